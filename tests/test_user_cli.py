"""``rosetta user``: accounts, tokens, roles and assignments from the command line."""

from pathlib import Path

from typer.testing import CliRunner

from builders import insert_sample
from conftest import DEMO_ONTOLOGY
from rosetta.cli.main import app
from rosetta.core.policies import Role
from rosetta.core.schema import Sample
from rosetta.services import accounts
from rosetta.store.engine import open_store


def _run(url: str, *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, ["--db", url, *args], input=stdin, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_users_tokens_roles_and_assignments(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'users.db'}"
    _run(url, "init", "--name", "demo", "--ontology", str(DEMO_ONTOLOGY))
    engine = open_store(url)

    made = _run(url, "user", "add", "ada", stdin="correct horse battery\ncorrect horse battery\n")
    _run(url, "user", "add", "bot", "--no-password", "--display-name", "Import bot")
    _run(url, "user", "add", "root", "--admin", "--no-password")
    secret = _run(url, "user", "token", "bot", "--name", "sdk", "--days", "7").strip()
    role = _run(url, "user", "role", "demo", "ada", "reviewer")
    listing = _run(url, "user", "list")

    assert "Created user ada" in made
    assert "ada has the role reviewer in demo." in role
    rows = [line for line in listing.splitlines() if "│" in line]
    assert [row.split("│")[1].strip() for row in rows] == ["ada", "bot", "root"]
    assert "Import bot" in rows[1] and "yes" in rows[2].split("│")[3]
    assert accounts.authenticate_password(engine, "ada", "correct horse battery").name == "ada"
    with engine.connect() as connection:
        assert accounts.token_principal(engine, connection, secret).name == "bot"
        project_id = connection.exec_driver_sql("select id from projects").scalar_one()
        ada = accounts.find_user(connection, "ada")
        assert accounts.membership(connection, project_id, ada.id) is Role.REVIEWER
        [token] = accounts.list_tokens(connection, accounts.find_user(connection, "bot").id)
    assert token.name == "sdk" and token.expires_at is not None

    insert_sample(engine, project_id, Sample(id="s1"))
    outsider = CliRunner().invoke(app, ["--db", url, "user", "assign", "s1", "bot"])
    assert outsider.exit_code == 1 and "'bot' is not a member" in outsider.output
    assert "Assigned sample s1 to ada" in _run(url, "user", "assign", "s1", "ada")

    removed = _run(url, "user", "role", "demo", "ada", "none")
    assert "ada has no role in demo." in removed
    bad = CliRunner().invoke(app, ["--db", url, "user", "role", "demo", "ada", "boss"])
    assert bad.exit_code == 2 and "expected admin, manager" in bad.output
    taken = CliRunner().invoke(app, ["--db", url, "user", "add", "bot", "--no-password"])
    assert taken.exit_code == 1 and "a user named 'bot' exists already" in taken.output
    missing = CliRunner().invoke(app, ["--db", url, "user", "token", "nobody"])
    assert missing.exit_code == 1 and "no user with id 'nobody'" in missing.output
    engine.dispose()

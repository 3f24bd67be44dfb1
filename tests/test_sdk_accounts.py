"""The Python SDK's accounts, projects, ontologies, members and assignments against a real
server on loopback, its password sessions, and its mapping of every error answer back to
the domain error it came from."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jobtools import add_samples
from loopback import api_token, serve
from rosetta import __version__
from rosetta.api.errors import domain_error
from rosetta.core.errors import (
    AlreadyExists,
    ConflictError,
    ImportFailed,
    NotAuthenticated,
    NotFoundError,
    OntologyError,
    PermissionDenied,
    RosettaError,
    RuleViolation,
)
from rosetta.core.ontology import Ontology
from rosetta.core.policies import Role
from rosetta.core.schema import Project
from rosetta.sdk import Client, Member, ProjectInfo
from rosetta.sdk.errors import error_from
from rosetta.services.accounts import create_user
from rosetta.services.settings import Settings

RENAME_CAT = {
    "description": "cats are felines",
    "operations": [{"op": "rename_class", "from": "cat", "to": "feline"}],
}


@pytest.fixture
def url(engine: Engine, tmp_path: Path) -> Iterator[str]:
    with serve(engine, Settings(data_dir=tmp_path / "data", job_workers=0)) as base:
        yield base


@pytest.fixture
def admin(url: str, engine: Engine, project: Project) -> Iterator[Client]:
    """A site administrator."""
    with Client(url, api_token(engine, "ada", admin=True)) as client:
        yield client


def test_the_caller_their_tokens_and_users(url: str, admin: Client) -> None:
    assert repr(admin) == f"<rosetta.sdk.Client {url} (token)>"
    assert admin.url == url
    assert (admin.health().status, admin.health().version) == ("ok", __version__)
    me = admin.me()
    assert (me.name, me.is_admin, me.active) == ("ada", True, True)

    new = admin.create_token("notebook", expires_in_days=1)
    assert new.token.startswith("rst_")
    assert new.token not in repr(new)
    assert new.expires_at is not None
    assert new.expires_at - new.created_at == pytest.approx(86400)
    assert [token.name for token in admin.tokens()] == ["tests", "notebook"]
    with Client(url, new.token) as notebook:
        assert notebook.me() == me
        admin.revoke_token(new.id)
        with pytest.raises(NotAuthenticated):
            notebook.me()
    assert next(t for t in admin.tokens() if t.id == new.id).revoked_at is not None

    bob = admin.create_user("bob", "correct horse battery", display_name="Bob")
    assert (bob.name, bob.display_name, bob.is_admin, bob.active) == ("bob", "Bob", False, True)
    assert [user.name for user in admin.users()] == ["ada", "bob"]
    retired = admin.update_user(bob.id, active=False, display_name="Robert")
    assert (retired.display_name, retired.active, retired.is_admin) == ("Robert", False, False)
    with pytest.raises(AlreadyExists, match="a user named 'bob' exists already") as taken:
        admin.create_user("bob")
    assert (taken.value.kind, taken.value.name) == ("user", "bob")


def test_a_password_session(engine: Engine, tmp_path: Path) -> None:
    create_user(engine, "lea", "a long password")
    settings = Settings(data_dir=tmp_path / "data", job_workers=0, dev=True, cookie_secure=False)
    with serve(engine, settings) as url:
        with pytest.raises(NotAuthenticated):
            Client.login(url, "lea", "not her password")
        with Client.login(url, "lea", "a long password") as session:
            assert repr(session) == f"<rosetta.sdk.Client {url} (session of 'lea')>"
            assert session.me().name == "lea"
            created = session.create_token("made in a session")  # a write: sends the CSRF token
            assert [token.id for token in session.tokens()] == [created.id]
            del session.http.headers["X-CSRF-Token"]
            with pytest.raises(PermissionDenied) as forged:
                session.create_token("forged")
            assert "X-CSRF-Token" in forged.value.obj
            session.http.headers["X-CSRF-Token"] = "wrong"
            with pytest.raises(PermissionDenied):
                session.revoke_token(created.id)


def test_logging_out_ends_the_session(engine: Engine, tmp_path: Path) -> None:
    create_user(engine, "lea", "a long password")
    settings = Settings(data_dir=tmp_path / "data", job_workers=0, dev=True, cookie_secure=False)
    with serve(engine, settings) as url, Client.login(url, "lea", "a long password") as session:
        session.logout()
        assert repr(session).endswith("(logged out)>")
        with pytest.raises(NotAuthenticated):
            session.me()


def test_projects_and_ontologies(admin: Client, project: Project, demo_ontology: Ontology) -> None:
    created = admin.create_project("second", demo_ontology)
    assert isinstance(created, ProjectInfo)
    assert isinstance(created, Project)
    assert (created.name, created.ontology_version, created.role) == ("second", 1, Role.ADMIN)
    assert [p.name for p in admin.projects()] == ["test-project", "second"]
    assert admin.project("second") == created
    assert admin.project(created.id) == created
    assert admin.ontology("second") == demo_ontology
    with pytest.raises(OntologyError) as bad:
        admin.create_project("third", {"classes": [{"name": "a", "parent": "nothing"}]})
    assert "nothing" in str(bad.value)
    with pytest.raises(NotFoundError) as missing:
        admin.project("no such project?")
    assert (missing.value.kind, missing.value.ident) == ("project", "no such project?")

    (first,) = admin.ontology_versions(project.name)
    assert (first.version, first.actor, first.migration) == (1, "tester", None)
    report = admin.migrate_ontology(project.name, RENAME_CAT, expected_version=1)
    assert (report.from_version, report.to_version, report.relabelled) == (1, 2, {})
    assert "feline" in {c.name for c in admin.ontology(project.name).classes}
    assert admin.ontology(project.id, version=1) == demo_ontology
    versions = admin.ontology_versions(project.name)
    assert [(v.version, v.actor) for v in versions] == [(1, "tester"), (2, "ada")]
    assert versions[1].migration is not None
    assert versions[1].migration["description"] == "cats are felines"
    with pytest.raises(ConflictError) as conflict:
        admin.migrate_ontology(project.name, RENAME_CAT, expected_version=1)
    assert (conflict.value.expected, conflict.value.actual) == (1, 2)


def test_members_and_assignments(url: str, engine: Engine, admin: Client, project: Project) -> None:
    ids = add_samples(engine, project.id, 3)
    bob = admin.create_user("bob")
    member = admin.set_member(project.name, "bob", "annotator")
    assert member == Member(user_id=bob.id, name="bob", role=Role.ANNOTATOR)
    assert admin.set_member(project.id, bob.id, Role.REVIEWER).role is Role.REVIEWER
    assert admin.set_member(project.id, bob.id, Role.ANNOTATOR).role is Role.ANNOTATOR
    assert [(m.name, m.role) for m in admin.members(project.name)] == [("bob", Role.ANNOTATOR)]

    for sample_id in ids:
        made = admin.assign(sample_id, "bob", blind=sample_id == ids[0])
        assert (made.sample_id, made.user_id, made.user) == (sample_id, bob.id, "bob")
    pages = admin.assignments(project.name, page_size=2)
    assert [(a.sample_id, a.blind) for a in pages] == [
        (ids[0], True),
        (ids[1], False),
        (ids[2], False),
    ]
    assert pages.pages_read == 2
    assert [a.sample_id for a in admin.assignments(project.id, user="bob")] == ids
    with Client(url, api_token(engine, "bob")) as as_bob:
        assert [(a.sample, a.blind) for a in as_bob.my_assignments(project.name)] == [
            (ids[0], True),
            (ids[1], False),
            (ids[2], False),
        ]
        assert [s.id for s in as_bob.samples(project.name)] == ids
        admin.unassign(ids[2], "bob")
        assert [s.id for s in as_bob.samples(project.name)] == ids[:2]
        with pytest.raises(NotFoundError):
            admin.unassign(ids[2], "bob")
        admin.remove_member(project.name, "bob")
        assert admin.members(project.name) == []
        with pytest.raises(NotFoundError):
            as_bob.project(project.name)


@pytest.mark.parametrize(
    "error",
    [
        NotFoundError("sample", "s/1"),
        RuleViolation("annotation 'a1'", "geometry.w", "box-size", "must be > 0, got -1"),
        RuleViolation("upload", "", "upload-empty", "the body is empty"),
        ConflictError("link 'l1'", 2, 3, current={"id": "l1", "revision": 3}),
        ConflictError("sample 's1'", 4, 5),
        OntologyError("ontology: classes.0.parent: no class 'x'"),
        ImportFailed("data.jsonl", 7, "annotations[0].label", "unknown class 'x'"),
        ImportFailed("data.jsonl", 8, "", "not JSON"),
        NotAuthenticated("log in"),
        PermissionDenied("confirm", "link 'l1'"),
        RosettaError("job 1 names no project"),
    ],
    ids=repr,
)
def test_every_error_answer_comes_back_as_the_error_it_was(error: RosettaError) -> None:
    response = domain_error(error)
    back = error_from(response.status_code, json.loads(bytes(response.body)))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert vars(back) == vars(error)


def test_answers_not_in_the_error_shape() -> None:
    back = error_from(502, "<html>Bad gateway</html>")
    assert type(back) is RosettaError
    assert str(back) == "HTTP 502: <html>Bad gateway</html>"
    invalid = {"error": {"type": "invalid_request", "message": "query.limit: too big"}}
    assert str(error_from(422, invalid)) == "query.limit: too big"

"""``rosetta user``: accounts, API tokens, project roles and sample assignments."""

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rosetta.cli.common import actor, project_of, store
from rosetta.core.policies import Role
from rosetta.services import accounts

user_app = typer.Typer(
    help="Users, API tokens, project roles and assignments.", no_args_is_help=True
)

Name = Annotated[str, typer.Argument(help="The user's login name.")]


@user_app.command("add")
def add(
    ctx: typer.Context,
    name: Name,
    admin: Annotated[bool, typer.Option(help="A site administrator.")] = False,
    password: Annotated[
        bool,
        typer.Option(
            "--password/--no-password",
            help="Ask for a password (--no-password: the user acts through API tokens only).",
        ),
    ] = True,
    display_name: Annotated[str | None, typer.Option(help="The name shown in the UI.")] = None,
) -> None:
    """Create a user."""
    engine = store(ctx)
    secret = (
        typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    )
    user = accounts.create_user(engine, name, secret, display_name=display_name, is_admin=admin)
    kind = "site administrator" if admin else "user"
    Console(highlight=False).print(f"Created {kind} [bold]{escape(user.name)}[/] ({user.id}).")


@user_app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every user."""
    engine = store(ctx)
    with engine.connect() as connection:
        found = accounts.list_users(connection)
    table = Table("name", "display name", "admin", "active", "id")
    for user in found:
        table.add_row(
            escape(user.name),
            escape(user.display_name or ""),
            "yes" if user.is_admin else "",
            "yes" if user.active else "no",
            user.id,
        )
    Console().print(table)


@user_app.command("token")
def token(
    ctx: typer.Context,
    name: Name,
    label: Annotated[str, typer.Option("--name", help="What the token is for.")] = "cli",
    days: Annotated[
        float | None, typer.Option(min=0.001, help="Lifetime in days (default: no expiry).")
    ] = None,
) -> None:
    """Make an API token for the user and print its secret (shown only this once)."""
    engine = store(ctx)
    with engine.connect() as connection:
        user = accounts.find_user(connection, name)
    secret, _ = accounts.create_token(
        engine, user.id, label, expires_in=None if days is None else days * 86400
    )
    typer.echo(secret)


@user_app.command("role")
def role(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="Project name or id.")],
    name: Name,
    given: Annotated[
        str, typer.Argument(metavar="ROLE", help="admin, manager, reviewer, annotator or none.")
    ],
) -> None:
    """Give the user a role in the project (``none`` removes them)."""
    engine = store(ctx)
    target = project_of(engine, project)
    if given != "none" and given not in {r.value for r in Role}:
        raise typer.BadParameter(
            f"expected admin, manager, reviewer, annotator or none, got {given!r}",
            param_hint="ROLE",
        )
    with engine.connect() as connection:
        user = accounts.find_user(connection, name)
    after = accounts.set_role(
        engine, actor(), target.id, user.id, None if given == "none" else Role(given)
    )
    what = "no role" if after is None else f"the role {after.value}"
    Console(highlight=False).print(
        f"[bold]{escape(user.name)}[/] has {what} in [bold]{escape(target.name)}[/]."
    )


@user_app.command("assign")
def assign(
    ctx: typer.Context,
    sample: Annotated[str, typer.Argument(help="Sample id.")],
    name: Name,
    blind: Annotated[bool, typer.Option(help="The user sees no one else's work on it.")] = False,
) -> None:
    """Assign a sample to the user."""
    engine = store(ctx)
    with engine.connect() as connection:
        user = accounts.find_user(connection, name)
    accounts.assign(engine, actor(), sample, user.id, blind=blind)
    Console(highlight=False).print(
        f"Assigned sample [bold]{escape(sample)}[/] to [bold]{escape(user.name)}[/]"
        + (" (blind)." if blind else ".")
    )

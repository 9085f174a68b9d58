"""``ceasefire users ...``: who may call the service (roles, tokens; see :mod:`ceasefire.publish.access`).

``users add`` prints the new user's bearer token once: only its SHA-256 is stored, so a lost
token cannot be shown again (add a new user instead). ``users list`` never shows tokens. Thin,
as the rest of the CLI: one library call per command; errors reach the one handler in
:mod:`ceasefire.cli.app`.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ceasefire.cli._common import DEFAULT_DB, DbOpt, Group, JsonOpt, err, out, print_json
from ceasefire.publish.access import ROLES

users_app = typer.Typer(
    cls=Group,
    help="Who may call the service: roles and bearer tokens.\n\n"
    "Example: ceasefire users add kyiv-liaison --role party --party UA --db var/demo.db",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A unique name: a person or a system.")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
    party: Annotated[
        str | None, typer.Option("--party", help="The party code a party user is bound to.")
    ] = None,
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """Add a user and print its bearer token, once (only its hash is stored).

    Example: ceasefire users add kyiv-liaison --role party --party UA --db var/demo.db
    """
    from ceasefire.store.facade import Store

    with Store.open(db) as store:
        token = store.add_user(name, role, party)
    if as_json:
        print_json({"name": name.strip(), "role": role, "party": party, "token": token})
    else:
        out.print(token, soft_wrap=True)
    err.print(
        "This token is shown once and is not stored: give it to the user now, over a safe "
        "channel. Send it as 'Authorization: Bearer <token>'.",
        soft_wrap=True,
    )


@users_app.command("list")
def list_users(db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """List the users: name, role, party, created, disabled (never a token).

    Example: ceasefire users list --db var/demo.db
    """
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        users = store.list_users()
    if as_json:
        print_json([u.to_dict() for u in users])
        return
    table = Table(box=None)
    for col in ("name", "role", "party", "created", "disabled"):
        table.add_column(col, no_wrap=True)
    for u in users:
        table.add_row(
            u.name, u.role, u.party or "", f"{u.created_at:%Y-%m-%d %H:%M}", "yes" * u.disabled
        )
    out.print(table)


def _set_disabled(name: str, db: str, disabled: bool) -> None:
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        store.set_user_disabled(name, disabled)
    err.print(f"{name}: {'disabled' if disabled else 'enabled'}", soft_wrap=True)


@users_app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(help="The user's name.")], db: DbOpt = DEFAULT_DB
) -> None:
    """Disable a user: its token stops working (a running service notices within 2 s).

    Example: ceasefire users disable kyiv-liaison --db var/demo.db
    """
    _set_disabled(name, db, True)


@users_app.command("enable")
def enable(
    name: Annotated[str, typer.Argument(help="The user's name.")], db: DbOpt = DEFAULT_DB
) -> None:
    """Enable a disabled user again (the same token works again).

    Example: ceasefire users enable kyiv-liaison --db var/demo.db
    """
    _set_disabled(name, db, False)

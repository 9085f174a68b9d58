"""``ceasefire users ...``: who may call the service (roles, tokens; see :mod:`ceasefire.publish.access`).

``users add``, ``users rotate`` and ``users enable`` print a bearer token once: only its SHA-256
is stored, so a lost token cannot be shown again (rotate it instead). ``users list`` never shows
tokens. Every change is logged in the ledger (``ceasefire ledger verify`` names a users row
edited behind the store's back). Thin, as the rest of the CLI: one library call per command;
errors reach the one handler in :mod:`ceasefire.cli.app`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from ceasefire.cli._common import DEFAULT_DB, DbOpt, Group, JsonOpt, err, out, print_json
from ceasefire.errors import InputError, Problem
from ceasefire.publish.access import ROLES

users_app = typer.Typer(
    cls=Group,
    help="Who may call the service: roles and bearer tokens.\n\n"
    "Example: ceasefire users add kyiv-liaison --role party --party UA --db var/demo.db",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NameArg = Annotated[str, typer.Argument(help="The user's name.")]
ExpiresOpt = Annotated[
    float | None,
    typer.Option(
        "--expires-in",
        metavar="DAYS",
        help="The token stops working this many days from now (default: never; for rotate "
        "and enable, as long as the old token was given).",
    ),
]


def _expires_in(days: float | None) -> timedelta | None:
    if days is None:
        return None
    if not days > 0:
        raise InputError(Problem("options", "--expires-in", "must be a number of days above 0"))
    return timedelta(days=days)


def _hand_over(name: str, token: str, as_json: bool, **extra: object) -> None:
    if as_json:
        print_json({"name": name, **extra, "token": token})
    else:
        out.print(token, soft_wrap=True)
    err.print(
        "This token is shown once and is not stored: give it to the user now, over a safe "
        "channel. Send it as 'Authorization: Bearer <token>'.",
        soft_wrap=True,
    )


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A unique name: a person or a system.")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
    party: Annotated[
        str | None,
        typer.Option(
            "--party",
            help="The party code a party user is bound to: one of the agreement stored in the "
            "database (before any is stored, any code but mission, mediator and sys).",
        ),
    ] = None,
    expires_in: ExpiresOpt = None,
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """Add a user and print its bearer token, once (only its hash is stored).

    Example: ceasefire users add kyiv-liaison --role party --party UA --db var/demo.db
    """
    from ceasefire.store.facade import Store

    lifetime = _expires_in(expires_in)
    with Store.open(db) as store:
        token = store.add_user(name, role, party, expires_in=lifetime)
    _hand_over(name.strip(), token, as_json, role=role, party=party)


@users_app.command("list")
def list_users(db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """List the users: name, role, party, created, token expiry, disabled (never a token;
    --json adds when each token was issued).

    Example: ceasefire users list --db var/demo.db
    """
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        users = store.list_users()
    if as_json:
        print_json([u.to_dict() for u in users])
        return
    table = Table(box=None)
    for col in ("name", "role", "party", "created", "expires", "disabled"):
        table.add_column(col, no_wrap=True)
    for u in users:
        table.add_row(
            u.name,
            u.role,
            u.party or "",
            f"{u.created_at:%Y-%m-%d %H:%M}",
            "" if u.expires_at is None else f"{u.expires_at:%Y-%m-%d %H:%M}",
            "yes" * u.disabled,
        )
    out.print(table)


@users_app.command("rotate")
def rotate(
    name: NameArg, expires_in: ExpiresOpt = None, db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False
) -> None:
    """Give a user a new bearer token and print it, once; the old one stops working at once
    (a running service drops it within a quarter of a second).

    Example: ceasefire users rotate kyiv-liaison --db var/demo.db
    """
    from ceasefire.store.facade import Store

    lifetime = _expires_in(expires_in)
    with Store.open(db, create=False) as store:
        token = store.rotate_token(name, expires_in=lifetime)
    _hand_over(name, token, as_json)


@users_app.command("disable")
def disable(name: NameArg, db: DbOpt = DEFAULT_DB) -> None:
    """Disable a user: its token stops working, for good (a running service drops it within
    a quarter of a second; enabling the user hands out a new token).

    Example: ceasefire users disable kyiv-liaison --db var/demo.db
    """
    from ceasefire.store.facade import Store

    with Store.open(db, create=False) as store:
        store.disable_user(name)
    err.print(f"{name}: disabled", soft_wrap=True)


@users_app.command("enable")
def enable(
    name: NameArg, expires_in: ExpiresOpt = None, db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False
) -> None:
    """Enable a disabled user and print its new bearer token, once: the token it had before
    never works again.

    Example: ceasefire users enable kyiv-liaison --db var/demo.db
    """
    from ceasefire.store.facade import Store

    lifetime = _expires_in(expires_in)
    with Store.open(db, create=False) as store:
        token = store.enable_user(name, expires_in=lifetime)
    _hand_over(name, token, as_json)

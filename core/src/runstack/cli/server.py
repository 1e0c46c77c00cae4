"""`runstack server`: run the team server, and manage who may call it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from runstack.cli.output import echo_json, echo_table, output_option, timestamp
from runstack.server.serve import DEFAULT_HOST, DEFAULT_PORT

if TYPE_CHECKING:
    from runstack.store.base import ServerStore

_DB_HELP = (
    "The store: a SQLite file path, sqlite:///path or postgresql://... "
    "(default: this machine's embedded store)."
)


def _opened(database: str | None) -> ServerStore:
    from runstack import paths
    from runstack.client_config import DEFAULT_USER, load_config
    from runstack.store import open_store

    url = database or str(load_config(paths.config_path()).resolved_store_path())
    return open_store(url, owner=DEFAULT_USER)


def _needs_server_extra() -> None:
    import importlib.util

    from runstack.errors import ConfigError

    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
        raise ConfigError(
            "the server needs runstack's server extra: pip install 'runstack[server]'"
        )


@click.group("server")
def server() -> None:
    """Run the team server and manage its users."""


@server.command("start")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option("--db", "database", help=_DB_HELP)
def start(host: str, port: int, database: str | None) -> None:
    """Serve the store's API (migrating its database first) until Ctrl-C."""
    _needs_server_extra()
    from runstack.server.serve import serve

    serve(_opened(database), host, port)


@server.group("user")
def user() -> None:
    """The users who may call the server, each with a token."""


@user.command("create")
@click.argument("name")
@click.option("--db", "database", help=_DB_HELP)
def create_user(name: str, database: str | None) -> None:
    """Add a user and print their token, once: the server keeps only its hash."""
    token = _opened(database).users.create(name)
    click.echo(f"Created user {name!r}. Their token, shown only this once:")
    click.echo(token)


@user.command("list")
@click.option("--db", "database", help=_DB_HELP)
@output_option()
def list_users(database: str | None, output: str) -> None:
    """List the users and whether their tokens still work."""
    users = _opened(database).users.list()
    if output == "json":
        echo_json([u.to_dict() for u in users])
        return
    echo_table(
        ["NAME", "CREATED", "STATUS"],
        [[u.name, timestamp(u.created), _state(u.revoked)] for u in users],
    )


def _state(revoked: datetime | None) -> str:
    return f"revoked {timestamp(revoked)}" if revoked else "active"


@user.command("revoke")
@click.argument("name")
@click.option("--db", "database", help=_DB_HELP)
def revoke_user(name: str, database: str | None) -> None:
    """Stop every token of a user."""
    _opened(database).users.revoke(name)
    click.echo(f"Revoked user {name!r}: their tokens no longer work.")

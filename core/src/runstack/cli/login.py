"""`runstack login` and `runstack logout`: use a team server's store, or this machine's again."""

from __future__ import annotations

import os

import click

from runstack.client import Client

TOKEN_ENV = "RUNSTACK_TOKEN"


@click.command("login")
@click.argument("url")
@click.option(
    "--token",
    help=f"The token from 'runstack server user create' (else ${TOKEN_ENV}, else asked for).",
)
def login(url: str, token: str | None) -> None:
    """Use the store of the team server at URL, once it answered and took the token."""
    given = token or os.environ.get(TOKEN_ENV) or click.prompt("Token", hide_input=True)
    server = Client().login(url, given.strip())
    click.echo(f"Logged in to {server.url} as user {server.user!r}.")


@click.command("logout")
def logout() -> None:
    """Go back to this machine's embedded store."""
    client = Client()
    server = client.logout()
    where = client.config.resolved_store_path()
    if server is None:
        click.echo(f"Not logged in; using the embedded store at {where}.")
    else:
        click.echo(f"Logged out of {server.url}; using the embedded store at {where}.")

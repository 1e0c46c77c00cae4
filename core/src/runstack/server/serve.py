"""`runstack server start`: the API and the dashboard served by uvicorn on a socket bound
first (`runstack.listening`)."""

from __future__ import annotations

import contextlib

import click

from runstack.listening import bound_socket
from runstack.store.base import ServerStore

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8237


def serve(store: ServerStore, host: str, port: int) -> None:
    """Serve the API over `store` until interrupted (Ctrl-C or SIGTERM stop it cleanly)."""
    listener = bound_socket(host, port, "runstack server start")
    import uvicorn

    from runstack.server.app import create_app

    config = uvicorn.Config(create_app(store), log_level="warning", access_log=False)
    address = f"[{host}]" if ":" in host else host
    click.echo(f"runstack server listening on http://{address}:{port} (store: {store.location})")
    click.echo(f"Dashboard at http://{address}:{port}/ (sign in with a user's token)")
    # uvicorn finishes the requests under way on Ctrl-C, then raises it again: a clean stop.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[listener])
    click.echo("runstack server stopped.")

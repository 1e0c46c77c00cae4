"""`runstack server start`: the API served by uvicorn on a socket bound first, so a port in
use is one clear line instead of uvicorn's log."""

from __future__ import annotations

import contextlib
import errno
import socket

import click

from runstack.errors import InUseError, StoreError
from runstack.store.base import ServerStore

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8237


def bound_socket(host: str, port: int) -> socket.socket:
    """A listening-ready socket on `host:port`; the error says which port and what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Named TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without
    # it every answer on a kept-alive connection waits 40 ms for a delayed ACK.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            raise InUseError(
                f"port {port} on {host} is in use by another program; pass another with "
                f"--port (for example --port {port + 1})"
            ) from None
        raise StoreError(
            f"cannot listen on {host}:{port}: {error.strerror or error}; check --host and --port"
        ) from None
    return listener


def serve(store: ServerStore, host: str, port: int) -> None:
    """Serve the API over `store` until interrupted (Ctrl-C or SIGTERM stop it cleanly)."""
    listener = bound_socket(host, port)
    import uvicorn

    from runstack.server.app import create_app

    config = uvicorn.Config(create_app(store), log_level="warning", access_log=False)
    address = f"[{host}]" if ":" in host else host
    click.echo(f"runstack server listening on http://{address}:{port} (store: {store.location})")
    # uvicorn finishes the requests under way on Ctrl-C, then raises it again: a clean stop.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[listener])
    click.echo("runstack server stopped.")

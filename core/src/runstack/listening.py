"""The socket a local server (the dashboard, the team server) listens on, taken before it says
where: a port in use is one clear line, never a server's log, and no other program can take
the port between the check and the serving."""

from __future__ import annotations

import errno
import socket

from runstack.errors import InUseError, StoreError


def bound_socket(host: str, port: int, command: str) -> socket.socket:
    """A TCP socket bound to `host:port`; `command` (`runstack dashboard`) is what the error
    suggests running again with another port."""
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
            other = port + 1 if port < 65535 else 8237
            raise InUseError(
                f"port {port} on {host} is in use; pick another with --port "
                f"(for example: {command} --port {other})"
            ) from None
        raise StoreError(
            f"cannot listen on {host}:{port}: {error.strerror or error}; check --host and --port"
        ) from None
    return listener

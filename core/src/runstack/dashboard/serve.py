"""`runstack dashboard`: the dashboard of the embedded store, served on this machine only."""

from __future__ import annotations

from collections.abc import Callable

from runstack.errors import RunstackError
from runstack.listening import bound_socket

HOST = "127.0.0.1"
DEFAULT_PORT = 8237
SERVER_EXTRA = "the dashboard needs runstack's server extra: pip install 'runstack[server]'"


def serve(port: int, ready: Callable[[str], None]) -> None:
    """Serve until Ctrl-C; `ready` is given the URL once the port is taken."""
    try:
        import uvicorn

        from runstack.dashboard.app import create_dashboard
    except ImportError:
        raise RunstackError(SERVER_EXTRA) from None
    from runstack.client import Client

    opened = Client()
    store = opened.store
    # A client per request over one store: each request reads config.toml again, so the
    # active stack is the one the CLI last set.
    app = create_dashboard(lambda request: Client(store=store, flavors=opened.flavors))
    listener = bound_socket(HOST, port, "runstack dashboard")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    ready(f"http://{HOST}:{listener.getsockname()[1]}/")
    try:
        server.run(sockets=[listener])
    except KeyboardInterrupt:
        pass  # uvicorn stops on Ctrl-C, then raises it again for the caller: stopping is the point
    finally:
        listener.close()

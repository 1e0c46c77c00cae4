"""`runstack dashboard`: browse stacks, runs and artifacts of the local store in a browser."""

from __future__ import annotations

import click

from runstack.dashboard.serve import DEFAULT_PORT, serve


@click.command("dashboard")
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="The port on 127.0.0.1 to serve on (0: any free port).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the dashboard in a browser.")
def dashboard(port: int, open_browser: bool) -> None:
    """Serve the dashboard of this machine's store on 127.0.0.1 until Ctrl-C."""

    def ready(url: str) -> None:
        click.echo(f"Dashboard at {url} (Ctrl-C stops it)")
        if open_browser:
            import webbrowser

            webbrowser.open(url)

    serve(port, ready)
    click.echo("Dashboard stopped.")

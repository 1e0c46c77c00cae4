"""What a failed PostgreSQL call means for the user, as one line naming the server (never its
password): a server that cannot be reached or refuses the login, a refused read or write."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from runstack.errors import StoreError

# SQLSTATE classes of a connection lost or refused, and of a server shutting down.
_UNREACHABLE = ("08", "57P", "28")


def server_location(url: str) -> str:
    """The URL without its password and options, to name the store in messages and listings."""
    try:
        parts = urlsplit(url)
        user = parts.username
    except ValueError:  # too broken to take apart: its scheme alone
        return url.partition("://")[0] + "://..."
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{user}@{host}" if user else host, parts.path, "", ""))


def database_error(url: str, error: Exception, *, writing: bool) -> StoreError:
    """The one-line error for a failed connection, read or write of the store at `url`."""
    location = server_location(url)
    reason = _reason(url, error)
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate is None or sqlstate.startswith(_UNREACHABLE):
        return StoreError(
            f"cannot reach the PostgreSQL store at {location}: {reason}; check the URL, the "
            "user and password, and that the server is running"
        )
    if writing:
        return StoreError(f"the store {location} refused a write: {reason}")
    return StoreError(f"cannot read the store {location}: {reason}")


def _reason(url: str, error: Exception) -> str:
    """The server's or libpq's own words, on one line, without the connection's preamble."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    first = lines[0] if lines else type(error).__name__
    first = first.rpartition(" failed: ")[2]
    first = re.sub(r"^(connection is bad|FATAL|ERROR):\s*", "", first)
    first = first.replace(url, server_location(url))
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    return first.replace(password, "***") if password else first

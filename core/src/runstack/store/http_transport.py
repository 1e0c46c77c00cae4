"""One pooled HTTP connection to a team server: requests with the token and this runstack's
version, answers back as data or as the runstack error the server raised."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from runstack.errors import ConfigError, StoreError
from runstack.store.wire import API_PREFIX, VERSION_HEADER, raised_error, this_version

if TYPE_CHECKING:
    import httpx

# Store calls are small and quick; a server that takes longer is stuck, not busy.
TIMEOUT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 5.0


def server_url(url: str) -> str:
    """`url` as the base of a server's address; a `ConfigError` for anything else."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{url!r} is not a server URL; give one like http://127.0.0.1:8237 (where "
            "'runstack server start' listens)"
        )
    try:
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        raise ConfigError(f"{url!r} has an invalid port; give one like http://host:8237") from None
    return url.strip().rstrip("/")


def segment(text: str) -> str:
    """A user's text as one path segment: '/' and dots escaped, so `a/b` or `..` stay names."""
    return quote(text, safe="").replace(".", "%2E")


class Transport:
    """Requests to one server on one pooled `httpx.Client` (it is thread-safe)."""

    def __init__(self, url: str, token: str | None) -> None:
        import httpx

        self.url = server_url(url)
        headers = {VERSION_HEADER: this_version()}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            base_url=self.url + API_PREFIX,
            headers=headers,
            timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """The answer's JSON (None for an empty answer); a runstack error for a failure."""
        import httpx

        kept = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._client.request(method, path, params=kept, json=body)
        except httpx.HTTPError as error:
            raise StoreError(
                f"cannot reach the runstack server at {self.url}: {error or type(error).__name__}; "
                "check that it runs there, or 'runstack logout' to use the embedded store"
            ) from None
        if response.status_code >= 400:
            raise self._failure(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise StoreError(
                f"the server at {self.url} answered {method} {path} with something other than "
                "JSON; is it a runstack server?"
            ) from None

    def _failure(self, response: httpx.Response) -> Exception:
        try:
            error = raised_error(response.json())
        except ValueError:
            error = None
        if error is not None:
            return error
        return StoreError(
            f"the server at {self.url} answered {response.status_code} "
            f"({response.reason_phrase}) to {response.request.method} {response.request.url.path}; "
            "is it a runstack server? See its log"
        )

    def close(self) -> None:
        self._client.close()

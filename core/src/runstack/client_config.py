"""The client config, `RUNSTACK_HOME/config.toml`: user name, active stack, store location, and
the team server the client logged in to (its URL, user and token; the file is 0600)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runstack import paths
from runstack.errors import StoreError
from runstack.files import write_atomically

DEFAULT_USER = "default"


@dataclass(frozen=True)
class ServerLogin:
    """A team server this client uses instead of the embedded store, and the stack it set
    active there (stack ids of one store mean nothing in another)."""

    url: str
    user: str
    token: str = field(repr=False)
    active_stack_id: str | None = None


@dataclass(frozen=True)
class ClientConfig:
    """What one client remembers between commands; missing keys take their defaults."""

    user: str = DEFAULT_USER
    active_stack_id: str | None = None
    store_path: Path | None = None
    server: ServerLogin | None = None

    @property
    def acting_user(self) -> str:
        """Who owns what this client registers: the server's user once logged in."""
        return self.server.user if self.server else self.user

    @property
    def current_stack_id(self) -> str | None:
        """The active stack of the store in use (None: the default stack)."""
        return self.server.active_stack_id if self.server else self.active_stack_id

    def with_active_stack(self, stack_id: str) -> ClientConfig:
        if self.server:
            return replace(self, server=replace(self.server, active_stack_id=stack_id))
        return replace(self, active_stack_id=stack_id)

    def logged_in(self, url: str, user: str, token: str) -> ClientConfig:
        return replace(self, server=ServerLogin(url=url, user=user, token=token))

    def logged_out(self) -> ClientConfig:
        return replace(self, server=None)

    def resolved_store_path(self) -> Path:
        return self.store_path or paths.default_store_path()


def load_config(path: Path) -> ClientConfig:
    """Read the config; a missing file means defaults, a broken one is an error naming it."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ClientConfig()
    except OSError as error:
        raise StoreError(
            f"cannot read the config file {path}: {error.strerror or error}; check its permissions"
        ) from None
    import tomllib  # only when there is a file: most commands on a fresh home have none

    try:
        data = tomllib.loads(raw.decode("utf-8"))
        return _parse(data, path)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise StoreError(
            f"the config file {path} is not valid TOML ({error}); it is left untouched: "
            "fix or remove it"
        ) from None


def _parse(data: dict[str, Any], path: Path) -> ClientConfig:
    def text(value: Any, key: str) -> str:
        if not isinstance(value, str) or not value:
            raise StoreError(
                f"the config file {path} has an invalid {key!r} (expected a non-empty string); "
                "it is left untouched: fix or remove it"
            )
        return value

    def table(key: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise StoreError(
                f"the config file {path} has an invalid [{key}] table; fix or remove it"
            )
        return value

    store = table("store")
    server = table("server")
    user = text(data.get("user", DEFAULT_USER), "user")
    active = data.get("active_stack_id")
    store_path = store.get("path")
    server_active = server.get("active_stack_id")
    return ClientConfig(
        user=user,
        active_stack_id=None if active is None else text(active, "active_stack_id"),
        store_path=None if store_path is None else Path(text(store_path, "store.path")),
        server=ServerLogin(
            url=text(server.get("url"), "server.url"),
            user=text(server.get("user"), "server.user"),
            token=text(server.get("token"), "server.token"),
            active_stack_id=(
                None if server_active is None else text(server_active, "server.active_stack_id")
            ),
        )
        if server
        else None,
    )


def save_config(config: ClientConfig, path: Path) -> None:
    """Write the config atomically, keeping only what differs from the defaults."""
    import tomli_w

    data: dict[str, Any] = {"user": config.user}
    if config.active_stack_id:
        data["active_stack_id"] = config.active_stack_id
    if config.store_path:
        data["store"] = {"path": str(config.store_path)}
    if config.server:
        login = config.server
        data["server"] = {"url": login.url, "user": login.user, "token": login.token}
        if login.active_stack_id:
            data["server"]["active_stack_id"] = login.active_stack_id
    from runstack.private_files import keep_home_private  # only writes change modes

    try:
        keep_home_private(path.parent)
        write_atomically(path, tomli_w.dumps(data).encode("utf-8"))
    except OSError as error:
        raise StoreError(
            f"cannot write the config file {path}: {error.strerror or error}; it is left as it "
            "was: check the folder's permissions and free space"
        ) from None

"""The client config, `RUNSTACK_HOME/config.toml`: user name, active stack, store location."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from runstack import paths
from runstack.errors import StoreError
from runstack.files import write_atomically

DEFAULT_USER = "default"


@dataclass(frozen=True)
class ClientConfig:
    """What one client remembers between commands; missing keys take their defaults."""

    user: str = DEFAULT_USER
    active_stack_id: str | None = None
    store_path: Path | None = None

    def with_active_stack(self, stack_id: str) -> ClientConfig:
        return replace(self, active_stack_id=stack_id)

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

    store = data.get("store", {})
    if not isinstance(store, dict):
        raise StoreError(f"the config file {path} has an invalid [store] table; fix or remove it")
    user = text(data.get("user", DEFAULT_USER), "user")
    active = data.get("active_stack_id")
    store_path = store.get("path")
    return ClientConfig(
        user=user,
        active_stack_id=None if active is None else text(active, "active_stack_id"),
        store_path=None if store_path is None else Path(text(store_path, "store.path")),
    )


def save_config(config: ClientConfig, path: Path) -> None:
    """Write the config atomically, keeping only what differs from the defaults."""
    import tomli_w

    data: dict[str, Any] = {"user": config.user}
    if config.active_stack_id:
        data["active_stack_id"] = config.active_stack_id
    if config.store_path:
        data["store"] = {"path": str(config.store_path)}
    from runstack.private_files import keep_home_private  # only writes change modes

    try:
        keep_home_private(path.parent)
        write_atomically(path, tomli_w.dumps(data).encode("utf-8"))
    except OSError as error:
        raise StoreError(
            f"cannot write the config file {path}: {error.strerror or error}; it is left as it "
            "was: check the folder's permissions and free space"
        ) from None

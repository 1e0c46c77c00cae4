"""Materializers for Python's own values: JSON data, raw bytes, pydantic models, and pickles."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from runstack.errors import ConfigError
from runstack.materializers.base import Materializer, import_type

if TYPE_CHECKING:
    from runstack.components.artifact_store import BaseArtifactStore

_JSON_SCALARS = (str, int, float, bool, type(None))


class JsonMaterializer(Materializer):
    """Plain data as one JSON file, readable by any tool.

    It takes only values JSON gives back unchanged: no subclasses (an IntEnum
    would come back as an int), no non-string dict keys, and a tuple only at the
    top (the recorded type turns it back into a tuple; nested ones would not).
    """

    name = "json"
    handles = tuple(f"builtins.{kind.__name__}" for kind in (*_JSON_SCALARS, list, dict, tuple))

    def can_save(self, value: Any) -> bool:
        items = value if type(value) is tuple else [value]
        try:
            return all(_exact_json(item) for item in items)
        except RecursionError:  # deeply nested or containing itself: leave it to pickle
            return False

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        with store.open(f"{uri}/value.json", "wb") as stream:
            stream.write(json.dumps(value).encode("utf-8"))

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        with store.open(f"{uri}/value.json", "rb") as stream:
            value = json.loads(stream.read())
        return tuple(value) if type_name == "builtins.tuple" else value


def _exact_json(value: Any) -> bool:
    kind = type(value)
    if kind in _JSON_SCALARS:
        return True
    if kind is list:
        return all(_exact_json(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _exact_json(item) for key, item in value.items())
    return False


class BytesMaterializer(Materializer):
    """Bytes as they are, in one file."""

    name = "bytes"
    handles = ("builtins.bytes",)
    handles_subclasses = False

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        with store.open(f"{uri}/value.bin", "wb") as stream:
            stream.write(value)

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        with store.open(f"{uri}/value.bin", "rb") as stream:
            return stream.read()


class PydanticMaterializer(Materializer):
    """A pydantic model as its JSON; loading validates it again with the recorded model class."""

    name = "pydantic"
    handles = ("pydantic.main.BaseModel",)

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        with store.open(f"{uri}/model.json", "wb") as stream:
            stream.write(value.model_dump_json().encode("utf-8"))

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        from pydantic import BaseModel

        model = import_type(type_name)
        if not issubclass(model, BaseModel):
            raise ConfigError(f"artifact {uri!r} was saved as {type_name}, not a pydantic model")
        with store.open(f"{uri}/model.json", "rb") as stream:
            return model.model_validate_json(stream.read())


class CloudpickleMaterializer(Materializer):
    """Any Python object, pickled: the fallback when no materializer handles a type.

    A pickle loads back only under compatible Python and library versions, and
    loading one runs code, so it is a last resort rather than a format.
    """

    name = "cloudpickle"

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        import cloudpickle

        with store.open(f"{uri}/value.pkl", "wb") as stream:
            cloudpickle.dump(value, stream)

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        import cloudpickle

        with store.open(f"{uri}/value.pkl", "rb") as stream:
            return cloudpickle.load(stream)

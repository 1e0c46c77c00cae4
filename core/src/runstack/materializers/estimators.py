"""scikit-learn estimators, pickled as scikit-learn itself advises, with the version that
pickled them: an estimator loaded under another version may predict differently, so that is
said when it is loaded. Nothing of scikit-learn is imported to save or check one."""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Any

from runstack.materializers.base import Materializer

if TYPE_CHECKING:
    from runstack.components.artifact_store import BaseArtifactStore

MODEL = "model.pkl"
VERSIONS = "versions.json"


class SklearnMaterializer(Materializer):
    """Any estimator, pipeline or transformer: what `sklearn.base` defines as one."""

    name = "sklearn"
    handles = tuple(
        f"sklearn.base.{kind}"
        for kind in (
            "BaseEstimator",
            "ClassifierMixin",
            "RegressorMixin",
            "ClusterMixin",
            "TransformerMixin",
            "OutlierMixin",
            "DensityMixin",
            "BiclusterMixin",
            "MetaEstimatorMixin",
            "MultiOutputMixin",
        )
    )

    def save(self, value: Any, store: BaseArtifactStore, uri: str) -> None:
        import cloudpickle

        with store.open(f"{uri}/{MODEL}", "wb") as stream:
            cloudpickle.dump(value, stream)
        with store.open(f"{uri}/{VERSIONS}", "wb") as stream:
            stream.write(json.dumps({"scikit-learn": _installed_version()}).encode("utf-8"))

    def load(self, store: BaseArtifactStore, uri: str, type_name: str) -> Any:
        import cloudpickle

        with store.open(f"{uri}/{VERSIONS}", "rb") as stream:
            saved = json.loads(stream.read())["scikit-learn"]
        installed = _installed_version()
        if saved != installed:
            warnings.warn(
                f"the {type_name} in {uri} was saved with scikit-learn {saved} and is loaded "
                f"with {installed}; it may not work or may predict differently (install "
                f"scikit-learn=={saved} to load it as it was)",
                stacklevel=2,
            )
        with store.open(f"{uri}/{MODEL}", "rb") as stream:
            return cloudpickle.load(stream)


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scikit-learn")
    except PackageNotFoundError:
        return "none"

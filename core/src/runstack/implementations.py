"""A flavor's implementation, checked early: its path before it is imported, its class
before it is built, so a plugin author's mistake is reported as such.

A typo in a `"module:Class"` path used to surface only when a run built the
component; `plugin list`, `status` and component registration check it instead.
The implementation may import heavy libraries, so the module is only found
(`importlib.util.find_spec`) and the class looked up in its source, unless the
module is already imported.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from runstack.errors import ConfigError

if TYPE_CHECKING:
    from runstack.components import BaseComponent
    from runstack.flavors import Flavor

# Statements whose bodies still run at module level.
_BLOCKS = (ast.If, ast.Try, ast.TryStar, ast.ExceptHandler, ast.With, ast.For, ast.While)


def path_problems(flavor: Flavor) -> list[str]:
    """What is wrong with each path the flavor names: implementation, config and settings
    class (only those given as `"module:Class"` paths are checked)."""
    named = [
        (flavor.implementation, "implementation"),
        (flavor.config_class, "config_class"),
        (flavor.settings_class, "settings_class"),
    ]
    found = (_named_path_problem(flavor, path, role) for path, role in named)
    return [problem for problem in found if problem is not None]


def _named_path_problem(flavor: Flavor, path: object, role: str) -> str | None:
    if not isinstance(path, str):
        return None
    mistake = _path_mistake(path)
    if mistake is None:
        return None
    return (
        f"the {flavor.label} names {path!r} as its {role}, but {mistake}; "
        "report this to the plugin's authors"
    )


def require_implementation(flavor: Flavor) -> None:
    """Refuse a flavor whose implementation, config or settings class path leads nowhere
    (before a component is registered), as the plugin author's mistake."""
    problems = path_problems(flavor)
    if problems:
        raise ConfigError(problems[0])


def buildable_class(flavor: Flavor) -> type[BaseComponent]:
    """The flavor's implementation, imported, refused unless it is a complete subclass of
    its component type's base (an abstract method left out is named)."""
    from runstack.component_types import ComponentType
    from runstack.components import (
        BaseAlerter,
        BaseArtifactStore,
        BaseComponent,
        BaseExperimentTracker,
        BaseOrchestrator,
    )

    implementation = _imported(flavor)
    expected = {
        ComponentType.ORCHESTRATOR: BaseOrchestrator,
        ComponentType.ARTIFACT_STORE: BaseArtifactStore,
        ComponentType.EXPERIMENT_TRACKER: BaseExperimentTracker,
        ComponentType.ALERTER: BaseAlerter,
    }.get(flavor.component_type, BaseComponent)
    if not (isinstance(implementation, type) and issubclass(implementation, expected)):
        raise ConfigError(
            f"the {flavor.label} names {implementation!r} as its implementation, which is "
            f"not a {expected.__name__}; report this to the plugin's authors"
        )
    missing = sorted(implementation.__abstractmethods__)
    if missing:
        raise ConfigError(
            f"the {flavor.label} cannot be built: its implementation "
            f"{implementation.__module__}.{implementation.__qualname__} does not implement "
            f"{', '.join(missing)}; report this to the plugin's authors"
        )
    return implementation


def _imported(flavor: Flavor) -> object:
    """The class that does the work, imported from its `"module:Class"` path on first need;
    a path that leads nowhere is reported as the plugin author's mistake."""
    try:
        return flavor.imported(flavor.implementation, "implementation")
    except ConfigError as error:
        mistake = _named_path_problem(flavor, flavor.implementation, "implementation")
        raise ConfigError(mistake or str(error)) from None


def _path_mistake(path: str) -> str | None:
    module_name, colon, class_name = path.partition(":")
    if not (colon and class_name.isidentifier()) or not all(
        part.isidentifier() for part in module_name.split(".")
    ):
        return "it is not of the form 'module:Class'"
    try:
        spec = importlib.util.find_spec(module_name)
    except ImportError:
        spec = None
    except Exception as error:  # a parent package that fails to import
        return f"finding module {module_name!r} raised {type(error).__name__}: {error}"
    if spec is None:
        return f"there is no module {module_name!r}"
    module = sys.modules.get(module_name)
    defined = hasattr(module, class_name) if module is not None else _binds(spec, class_name)
    return f"module {module_name!r} defines no {class_name!r}" if defined is False else None


def _binds(spec: importlib.machinery.ModuleSpec, name: str) -> bool | None:
    """Whether the module's source binds `name` at top level; None when that cannot be told
    without running it (no source, a syntax error, `import *`, a module `__getattr__`)."""
    if not (spec.has_location and spec.origin and spec.origin.endswith(".py")):
        return None
    try:
        statements = list(ast.parse(Path(spec.origin).read_bytes()).body)
    except (OSError, SyntaxError, ValueError):
        return None
    names: set[str] = set()
    while statements:
        node = statements.pop()
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, _BLOCKS):
            for field in ("body", "orelse", "handlers", "finalbody"):
                statements.extend(getattr(node, field, []))
    if names & {"*", "__getattr__"}:
        return None
    return name in names

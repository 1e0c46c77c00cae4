"""`runstack plugin init`: a new plugin distribution, shaped like runstack's own `plugins/*`.

The files come from the templates beside this module, filled in with the plugin's
names; the implementation's unwritten parts raise "not implemented yet", so its
contract test fails until they are written, and only then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from runstack.component_types import ComponentType
from runstack.errors import AlreadyExistsError, ConfigError
from runstack.version import __version__

TEMPLATES = Path(__file__).parent / "templates"
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")

# The template folder and implementation module of the types with a template of their own.
_KINDS = {
    ComponentType.ARTIFACT_STORE: ("artifact_store", "store"),
    ComponentType.ORCHESTRATOR: ("orchestrator", "orchestrator"),
    ComponentType.EXPERIMENT_TRACKER: ("experiment_tracker", "tracker"),
    ComponentType.ALERTER: ("alerter", "alerter"),
}


@dataclass(frozen=True)
class PluginNames:
    """Every name a new plugin's files use, derived from its short name."""

    short: str
    kind: ComponentType
    flavor: str

    @property
    def distribution(self) -> str:
        return "runstack-" + self.short.replace("_", "-")

    @property
    def package(self) -> str:
        return f"runstack_{self.short}"

    @property
    def template(self) -> tuple[str, str]:
        """(template folder, implementation module)."""
        return _KINDS.get(self.kind, ("component", "component"))

    @property
    def classname(self) -> str:
        return "".join(part.capitalize() for part in self.flavor.replace("-", "_").split("_"))

    def substitutions(self) -> dict[str, str]:
        _, module = self.template
        return {
            "distribution": self.distribution,
            "package": self.package,
            "package_short": self.short,
            "flavor": self.flavor,
            "noun": self.kind.noun,
            "cli_name": self.kind.cli_name,
            "type_value": self.kind.value,
            "type_constant": self.kind.name,
            "classname": self.classname,
            "module": module,
            "implementation": self.classname + self.kind.label.title().replace("_", ""),
            "core_version": __version__,
        }


def plugin_names(name: str, kind: ComponentType, flavor: str | None) -> PluginNames:
    """The names, once `name` (and `flavor`) are ones a package and a flavor can have."""
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"plugin name {name!r} must be 1 to 40 lowercase letters, digits or '_', starting "
            "with a letter (it becomes the package runstack_<name>)"
        )
    chosen = flavor or name
    if not _NAME.fullmatch(chosen.replace("-", "_")):
        raise ConfigError(
            f"flavor name {chosen!r} must be lowercase letters, digits, '-' or '_', starting "
            "with a letter"
        )
    return PluginNames(name, kind, chosen)


def write_plugin(names: PluginNames, parent: Path) -> tuple[Path, list[Path]]:
    """Write the plugin's folder under `parent`; (the folder, the files written).

    An existing folder is refused, never overwritten; the files are written into a
    temporary sibling that is renamed into place, so a failure leaves nothing behind.
    """
    target = parent / names.distribution
    if target.exists():
        raise AlreadyExistsError(f"{target} already exists; choose another name or folder")
    kind_folder, module = names.template
    values = names.substitutions()
    files = {
        "pyproject.toml": "common/pyproject.toml.tmpl",
        "README.md": "common/README.md.tmpl",
        f"src/{names.package}/__init__.py": "common/__init__.py.tmpl",
        f"src/{names.package}/config.py": "common/config.py.tmpl",
        f"src/{names.package}/plugin.py": "common/plugin.py.tmpl",
        f"src/{names.package}/{module}.py": f"{kind_folder}/{module}.py.tmpl",
        f"tests/test_{names.package}.py": f"{kind_folder}/test.py.tmpl",
    }
    import shutil
    import tempfile

    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{names.distribution}.", dir=parent))
    try:
        for relative, template in files.items():
            text = Template((TEMPLATES / template).read_text(encoding="utf-8"))
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.substitute(values), encoding="utf-8")
        (staging / "src" / names.package / "py.typed").touch()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target, [target / relative for relative in [*files, f"src/{names.package}/py.typed"]]

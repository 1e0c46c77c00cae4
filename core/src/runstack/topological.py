"""The one topological sort of runstack: pipelines order their steps with it, task graphs
hand out ready tasks with it, and both word a cycle the same way."""

from __future__ import annotations

import graphlib
from collections.abc import Callable, Iterable, Mapping

from runstack.errors import ConfigError


def prepared_sorter(
    upstream: Mapping[str, Iterable[str]], cycle_error: Callable[[str], str]
) -> graphlib.TopologicalSorter[str]:
    """The one topological sort of pipelines and task graphs, ready to hand out nodes.

    A cycle is a ConfigError worded by `cycle_error` from its path (`a -> b -> a`).
    """
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name, before in upstream.items():
        sorter.add(name, *sorted(before))
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        raise ConfigError(cycle_error(" -> ".join(error.args[1]))) from None
    return sorter

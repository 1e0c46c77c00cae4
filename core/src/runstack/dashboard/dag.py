"""A run's steps laid out as a graph for the run page's SVG: columns by depth, edges where a
step read an output another step of the run made (or reused from the cache)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runstack.history.results import StepRun

BOX_WIDTH = 190
BOX_HEIGHT = 62
COLUMN_GAP = 70
ROW_GAP = 22
MARGIN = 12


@dataclass(frozen=True)
class Box:
    """One step, where it is drawn."""

    step: StepRun
    x: int
    y: int


@dataclass(frozen=True)
class Edge:
    """From the right side of an upstream step to the left side of a downstream one."""

    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class StepGraph:
    boxes: list[Box]
    edges: list[Edge]
    width: int
    height: int
    box_width: int = BOX_WIDTH
    box_height: int = BOX_HEIGHT


def upstream_steps(steps: Mapping[str, StepRun]) -> dict[str, list[str]]:
    """For each step, the steps of the same run whose outputs it read."""
    made_by = {a.id: name for name, s in steps.items() for a in s.outputs.values()}
    return {
        name: sorted({made_by[a.id] for a in s.inputs.values() if made_by.get(a.id, name) != name})
        for name, s in steps.items()
    }


def step_graph(steps: Mapping[str, StepRun]) -> StepGraph:
    """Steps in columns by depth (a step stands right of every step it read from), in the
    pipeline's order within a column; `steps` come in the pipeline's order, upstream first."""
    upstream = upstream_steps(steps)
    depth: dict[str, int] = {}
    for name in steps:
        depth[name] = 1 + max((depth.get(u, 0) for u in upstream[name]), default=-1)
    rows: dict[int, int] = {}
    boxes: dict[str, Box] = {}
    for name, step in steps.items():
        column = depth[name]
        row = rows.get(column, 0)
        rows[column] = row + 1
        x = MARGIN + column * (BOX_WIDTH + COLUMN_GAP)
        boxes[name] = Box(step, x, MARGIN + row * (BOX_HEIGHT + ROW_GAP))
    edges = [
        Edge(
            boxes[u].x + BOX_WIDTH,
            boxes[u].y + BOX_HEIGHT // 2,
            boxes[name].x,
            boxes[name].y + BOX_HEIGHT // 2,
        )
        for name in steps
        for u in upstream[name]
    ]
    columns = 1 + max(depth.values(), default=0)
    tallest = max(rows.values(), default=1)
    return StepGraph(
        list(boxes.values()),
        edges,
        2 * MARGIN + columns * BOX_WIDTH + (columns - 1) * COLUMN_GAP,
        2 * MARGIN + tallest * BOX_HEIGHT + (tallest - 1) * ROW_GAP,
    )

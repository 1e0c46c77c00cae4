"""What a step function's `return` statements say, read from its source as ZenML reads them.

A `tuple[A, B]` annotation alone cannot tell one output holding a tuple from two
outputs; ZenML's rule, followed here so the same code gives the same outputs, is
that a `return a, b` (a tuple literal of two or more items) makes several outputs.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any


def returns_tuple_literal(function: Callable[..., Any]) -> bool | None:
    """Whether any `return` of the function itself (not of functions nested in it) gives a
    tuple literal of two or more items; None when its source cannot be read or parsed."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None
    definition = next(
        (node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))),
        None,
    )
    if definition is None:  # a lambda, whose body has no `return` statement
        return False
    return any(_is_tuple_literal(node) for node in _own_returns(definition.body))


def _own_returns(statements: list[ast.stmt]) -> list[ast.Return]:
    """The `return` statements of a function body, skipping nested functions and classes."""
    found: list[ast.Return] = []
    pending: list[ast.AST] = list(statements)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Return):
            found.append(node)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(node))
    return found


def _is_tuple_literal(node: ast.Return) -> bool:
    return isinstance(node.value, ast.Tuple) and len(node.value.elts) > 1

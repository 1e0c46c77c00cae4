"""`get_logger(__name__)`, as ZenML code asks for its loggers: the standard library's logger of
that name. Inside a step its records go to the step's log (`runstack run logs`), warnings and
errors to the console too, while logging is left unconfigured."""

from __future__ import annotations

import logging


def get_logger(name: str) -> logging.Logger:
    """The `logging` logger called `name`; configure it as any other."""
    return logging.getLogger(name)

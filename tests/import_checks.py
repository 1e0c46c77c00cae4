"""Which watched modules a command loaded: what a command does not need (the run side, a web
library, a database driver) it must not pay for importing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Collection, Sequence
from pathlib import Path


def loaded_by(
    arguments: Sequence[str], watched: Collection[str], home: Path
) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """Run `runstack ARGUMENTS` in a fresh process; the watched modules it had imported by its
    end, and the finished process (its output ends with that list)."""
    code = (
        "import atexit, json, sys\n"
        f"watched = set({sorted(watched)!r})\n"
        "atexit.register(lambda: print(json.dumps(sorted(watched & set(sys.modules)))))\n"
        "from runstack.cli.main import main\n"
        f"sys.argv = ['runstack', *{list(arguments)!r}]\n"
        "main()\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "RUNSTACK_HOME": str(home)},
    )
    last = finished.stdout.splitlines()[-1] if finished.stdout else ""
    assert last.startswith("["), (finished.stdout, finished.stderr)
    return list(json.loads(last)), finished

#!/usr/bin/env bash
# What `make demo` shows: the quickstart pipeline on the default stack, run twice
# (the second run comes entirely from the cache), then the runs it recorded.
# It uses a throwaway runstack home unless RUNSTACK_HOME is set.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUNSTACK_HOME="${RUNSTACK_HOME:-$(mktemp -d)/home}"
echo "runstack home for this demo: $RUNSTACK_HOME"

run() {
    printf '\n$ %s\n' "$*"
    "$@"
}

run runstack stack describe
run runstack pipeline run examples/quickstart/pipeline.py:quickstart
run runstack pipeline run examples/quickstart/pipeline.py:quickstart
run runstack run list

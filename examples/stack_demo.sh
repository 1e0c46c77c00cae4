#!/usr/bin/env bash
# A walk through the stack commands of the docs, on a fresh runstack home.
# (The quickstart pipeline joins this demo once pipelines land.)
set -euo pipefail

workdir=$(mktemp -d)
export RUNSTACK_HOME="${RUNSTACK_HOME:-$workdir/home}"
echo "runstack home for this demo: $RUNSTACK_HOME"

run() {
    printf '\n$ %s\n' "$*"
    "$@"
}

run runstack stack describe
run runstack stack list
run runstack orchestrator list
run runstack artifact-store list
run runstack flavor list
run runstack artifact-store flavor describe local
run runstack artifact-store register --flavor=local my_artifact_store --path="$workdir/artifacts"
run runstack stack register my_stack -o default -a my_artifact_store
run runstack stack set my_stack
run runstack stack describe
run runstack stack list
run runstack stack export my_stack "$workdir/my_stack.toml"
run cat "$workdir/my_stack.toml"
run runstack stack set default
run runstack status

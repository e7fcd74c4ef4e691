#!/usr/bin/env bash
# The local cluster (scripts/cluster.py): up | down | status, with the project's virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python scripts/cluster.py "$@"

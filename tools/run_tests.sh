#!/usr/bin/env bash
# Set up the environment if needed, then run the test suite.
#   bash tools/run_tests.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
VENV=${MMCRACK_VENV:-.venv}
# Tools that start `python` (dist_train.sh) get the environment's.
export PATH="$(cd "$VENV/bin" && pwd):$PATH"
exec "$VENV/bin/python" -m pytest tests "$@"

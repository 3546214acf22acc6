#!/usr/bin/env bash
# Builds or updates <repo>/.venv from spark/requirements.txt, dags/requirements.txt (when present) and
# requirements-dev.txt. Idempotent: a warm run only compares a stamp. Prints the venv's python.
# The logic lives in tests/harness/services/venv.ts, shared with the test harness.
set -euo pipefail
cd "$(dirname "$0")/.."
exec npx --no-install tsx tests/harness/services/venv.ts

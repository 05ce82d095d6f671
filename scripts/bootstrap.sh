#!/usr/bin/env bash
# Set up a fresh clone: .venv with fuelflow (and, with --test, what the test suite needs), plus
# .venv-checkov for checkov (it pins an old boto3, so it cannot live beside moto).
# Safe to run again: it only installs what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    -h|--help) echo "usage: scripts/bootstrap.sh [--test]"; exit 0 ;;
    *) echo "bootstrap: unknown option $arg (use --test or nothing)" >&2; exit 2 ;;
  esac
done

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "bootstrap: fuelflow needs Python 3.10 or newer (found: $("$python" --version 2>&1)); set PYTHON=python3.x" >&2
  exit 2
fi

quiet=(-q --disable-pip-version-check)
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv" >&2
  "$python" -m venv .venv
fi
if [ "$want_test" = 1 ]; then
  .venv/bin/pip install "${quiet[@]}" -e '.[test]'
else
  .venv/bin/pip install "${quiet[@]}" -e .
fi

if [ "$want_test" = 1 ]; then
  if [ ! -x .venv-checkov/bin/checkov ]; then
    echo "bootstrap: creating .venv-checkov (checkov, in its own environment)" >&2
    "$python" -m venv .venv-checkov
    .venv-checkov/bin/pip install "${quiet[@]}" 'checkov>=3.2,<4'
  fi
fi
echo "bootstrap: ready ($(.venv/bin/fuelflow --version))" >&2

#!/usr/bin/env bash
# Set up a fresh clone: .venv with fuelflow (and, with --test, what the test suite needs), plus
# .venv-checkov for checkov (it pins an old boto3, so it cannot live beside moto) and .venv-prowler for Prowler
# (the independent audit of a deployed environment; it pins its own boto3 too).
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
# constraints.txt pins what the tests ran with (moto above all: fuelflow.moto_fixes patches its internals).
# A stamp of the inputs makes a second run skip pip entirely.
extras=$([ "$want_test" = 1 ] && echo '.[test]' || echo '.')
stamp=".venv/.fuelflow-bootstrap"
want_stamp="$extras $(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want_stamp" ] || [ ! -x .venv/bin/fuelflow ]; then
  .venv/bin/pip install "${quiet[@]}" -c constraints.txt -e "$extras"
  echo "$want_stamp" > "$stamp"
fi

missing=()
if [ "$want_test" = 1 ]; then
  if [ ! -x .venv-checkov/bin/checkov ]; then
    echo "bootstrap: creating .venv-checkov (checkov, in its own environment)" >&2
    "$python" -m venv .venv-checkov
    .venv-checkov/bin/pip install "${quiet[@]}" 'checkov>=3.2,<4' \
      || missing+=("checkov: pip could not install it into .venv-checkov (see pip's error above)")
  fi
  if [ ! -x .venv-prowler/bin/prowler ]; then
    echo "bootstrap: creating .venv-prowler (Prowler, in its own environment)" >&2
    "$python" -m venv .venv-prowler
    .venv-prowler/bin/pip install "${quiet[@]}" 'prowler>=5.40,<6' \
      || missing+=("prowler: pip could not install it into .venv-prowler (see pip's error above)")
  fi
  # Terraform and its hashicorp/aws provider come from HashiCorp, not from a package registry: say so.
  if ! command -v "${FUELFLOW_TERRAFORM:-terraform}" >/dev/null 2>&1; then
    missing+=("terraform: not on PATH; install it from https://developer.hashicorp.com/terraform/install")
  fi
  provider=$(.venv/bin/python - <<'PY' 2>/dev/null || echo "could not check (fuelflow.tf.toolchain failed to import)"
from fuelflow.tf import toolchain as tf
if tf.resolve_plugin_dir(None) is None:
    print(f"no filesystem mirror holding {tf.AWS_PROVIDER}: set {tf.PLUGIN_DIR_ENV} "
          f"(looked in {', '.join(map(str, tf.plugin_dir_candidates()))})")
PY
)
  [ -n "$provider" ] && missing+=("provider: $provider")
fi
for what in "${missing[@]}"; do
  echo "bootstrap: NOT INSTALLED: $what" >&2
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: tests that need these skip (under FUELFLOW_REQUIRE, as in .ci/run, they fail)" >&2
fi
echo "bootstrap: ready ($(.venv/bin/fuelflow --version))" >&2

"""The `fuelflow` console script: a Ctrl-C while the tool is still loading is one line and exit 130, like a
Ctrl-C later on (fuelflow.cli.main handles those), not a traceback from the middle of an import."""

from __future__ import annotations

import sys

INTERRUPTED = 130


def main() -> int:
    """Load the CLI and run it."""
    try:
        from fuelflow.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted (Ctrl-C) while fuelflow was starting: nothing was changed\n")
        return INTERRUPTED
    return cli_main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

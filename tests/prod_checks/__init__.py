"""Read-back checks of the production profile, shared by both engines' prod end-to-end tests.

Each module here defines plain functions `check_<what>(aws, env)`: `aws` answers `.client(service)` with a
boto3 client bound to the emulator the environment was deployed to (a fuelflow AwsContext), `env` is the
loaded Environment. A check asserts what the environment file promises, whichever engine deployed it.
`tests/test_prod_e2e_cfn.py` and `tests/test_prod_e2e_tf.py` deploy prod once each and run every check.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

Check = Callable[[Any, Any], None]


def all_checks() -> list[tuple[str, Check]]:
    """(module.function, function) for every `check_*` in this package, in a stable order."""
    out: list[tuple[str, Check]] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        out += [(f"{info.name}.{name}", getattr(module, name)) for name in sorted(vars(module))
                if name.startswith("check_") and callable(getattr(module, name))]
    return out

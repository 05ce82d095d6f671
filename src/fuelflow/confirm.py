"""Confirmation policy shared by every command that changes or deletes things (both engines).

Changes: one y/N question on a terminal; without a terminal `--yes` is required (exit 2 otherwise).
Destroying a production-tier environment (`tier: production`), or deleting data (a database, a bucket's
contents): `--force` and the environment's name typed (or `--confirm ENV` without a terminal). A declined
question is exit 4; nothing was changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from fuelflow.config import Environment
from fuelflow.errors import ExitCode, FuelflowError, InputError
from fuelflow.output import Ui


def require_confirmation(ui: Ui, auto_approve: bool, action: str) -> None:
    """Refuse (exit 2) before any work when confirmation is needed and no one can be asked."""
    if not auto_approve and not ui.interactive:
        raise InputError(f"refusing to {action} without confirmation (not a terminal)",
                         f"pass --yes to {action} non-interactively")


def approve(ui: Ui, auto_approve: bool, action: str, question: str, expected: str | None = None) -> None:
    """Ask on a terminal (typing `expected` for destructive actions); exit 4 when declined."""
    require_confirmation(ui, auto_approve, action)
    if not auto_approve and not ui.confirm(question, expected):
        raise FuelflowError(f"{action} declined: nothing was changed", exit_code=ExitCode.DECLINED)


def guard_data_loss(ui: Ui, env: Environment, force: bool, confirm_name: str | None, loses: Sequence[str],
                    question: str) -> None:
    """A deploy whose changes remove or replace a resource holding data (`loses`, "stack/LogicalId (...)"):
    `force` and the environment's name typed, as for a destroy; otherwise nothing to ask here."""
    if not loses:
        return
    why = f"it removes or replaces {', '.join(loses)}, and the data in them"
    if not force:
        raise InputError(f"refusing to deploy {env.name}: {why}",
                         f"check the change, then add --force (you will be asked to type {env.name})")
    _typed(ui, env, confirm_name, f"{question} This deploy {why[3:]}.", "deploying")


def _typed(ui: Ui, env: Environment, confirm_name: str | None, question: str, doing: str) -> None:
    """The environment's name, typed at the terminal or passed as --confirm."""
    if confirm_name is not None:
        if confirm_name != env.name:
            raise InputError(f"--confirm {confirm_name!r} does not match the environment {env.name!r}",
                             f"pass --confirm {env.name}")
        return
    if not ui.interactive:
        raise InputError(f"{doing} {env.name} needs a typed confirmation and there is no terminal",
                         f"add --confirm {env.name}")
    if not ui.confirm(question, expected=env.name):
        raise FuelflowError("nothing was changed (confirmation did not match)", exit_code=ExitCode.DECLINED)


def guard_destroy(ui: Ui, env: Environment, auto_approve: bool, force: bool, confirm_name: str | None,
                  deletes_data: Sequence[str], question: str) -> None:
    """A production-tier environment, or data deleted: `force` and the environment's name typed
    (`confirm_name` without a terminal). Otherwise a y/N question (none with `auto_approve`)."""
    if not (env.is_production or deletes_data):
        approve(ui, auto_approve, "destroy", question)
        return
    why = ("it is a production-tier environment" if env.is_production
           else f"it deletes {', '.join(deletes_data)} and the data in them")
    if not force:
        raise InputError(f"refusing to destroy {env.name}: {why}",
                         f"add --force (you will be asked to type {env.name})")
    _typed(ui, env, confirm_name, f"{question} This deletes {env.name} ({why}).", "destroying")

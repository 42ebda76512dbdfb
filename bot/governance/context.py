"""What governance handlers need beyond `gh`: the store and a way to ask for a fresh PR run.

The app passes it to `router.dispatch(event, gh, governance=ctx)`; when it does not, the handlers
use the process default set by `set_default_context` (or one built from `ASYNCGUARD_DATA_DIR`).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncguard.bot.governance.audit_store import AuditStore

# rerun(repo_full_name, pr_number, head_sha) -> None: enqueue a PR run (C's queue); optional
Rerun = Callable[[str, int, str], Awaitable[None]]


@dataclass
class GovernanceContext:
    store: AuditStore
    rerun: Rerun | None = None


_default: GovernanceContext | None = None


def default_data_dir() -> Path:
    """Where the bot keeps its store: the same rules as `bot.settings` (environment, then `./.env`)."""
    from asyncguard.bot.settings import BotSettings, read_dotenv

    value = os.environ.get("ASYNCGUARD_DATA_DIR", "").strip()
    if not value and Path(".env").is_file():
        try:
            value = read_dotenv(Path(".env")).get("ASYNCGUARD_DATA_DIR", "").strip()
        except (OSError, UnicodeDecodeError):
            value = ""
    return Path(value) if value else BotSettings().data_dir


def set_default_context(ctx: GovernanceContext | None) -> None:
    global _default
    _default = ctx


def resolve_context(kwargs: dict[str, Any]) -> GovernanceContext:
    """The context passed to dispatch, else the process default (created on first use)."""
    global _default
    ctx = kwargs.get("governance")
    if isinstance(ctx, GovernanceContext):
        return ctx
    if _default is None:
        _default = GovernanceContext(store=AuditStore.in_data_dir(default_data_dir()))
    return _default

"""Alembic, driven from code: no alembic.ini to ship or find; the scripts live in `migrations/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(connection: Any) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def run_upgrade(connection: Any, revision: str = "head") -> list[str]:
    """Upgrade on this (sync-facing) connection; the revisions applied, oldest first."""
    before = current_revision(connection)
    command.upgrade(alembic_config(connection), revision)
    after = current_revision(connection)
    if before == after:
        return []
    script = ScriptDirectory.from_config(alembic_config())
    return [s.revision for s in reversed(list(script.iterate_revisions(after, before)))]

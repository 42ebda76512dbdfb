"""Shapes of real projects where a type checker finds the missed `await` and the index must too.

Each test is a minimal sketch of a layout or typing idiom met in released code (Discord bots,
database-backed web apps), written here from scratch.
"""

from __future__ import annotations

from pathlib import Path

from asyncguard.rules.engine import analyze
from tests.rules.helpers import Project, codes

# A bot's layout: `cogs/` is a namespace folder (no `__init__.py`) holding extension modules and a
# regular package `cogs/utils/`; the extensions import it relatively, as `cogs.utils`.
NAMESPACE_BOT = {
    "cogs/utils/__init__.py": "",
    "cogs/utils/context.py": """
        class Context:
            async def prompt(self, text: str) -> bool:
                return True
    """,
    "cogs/utils/db.py": """
        async def fetch_config(guild_id):
            return {}
    """,
    "cogs/admin.py": """
        from __future__ import annotations
        from typing import TYPE_CHECKING
        from .utils import db
        if TYPE_CHECKING:
            from .utils.context import Context

        class Admin:
            async def purge(self, ctx: Context):
                if ctx.prompt("sure?"):
                    db.fetch_config(1)
    """,
    "bot.py": """
        from cogs.utils.context import Context

        async def on_message(ctx: Context):
            ctx.prompt("absolute import of the same module")
    """,
}


def test_relative_imports_from_a_namespace_folder_reach_the_package_inside(project: Project) -> None:
    found = codes(project(NAMESPACE_BOT))
    assert ("AG110", "cogs/admin.py", 10) in found  # `if ctx.prompt(...)`: a coroutine is always truthy
    assert ("AG101", "cogs/admin.py", 11) in found
    assert ("AG101", "bot.py", 5) in found


def test_a_namespace_alias_is_followed_when_only_the_importer_is_checked(project: Project, tmp_path: Path) -> None:
    project(NAMESPACE_BOT)
    result = analyze(tmp_path, [tmp_path / "cogs" / "admin.py"], cache_dir=None)
    assert [(f.code, f.line) for f in result.findings] == [("AG110", 10), ("AG101", 11)]

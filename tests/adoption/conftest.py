"""The adoption tests reuse the checks fixtures (project trees, real git, the real CLI) and the bot
tests' pull-request scenario (`bot_scenario`) against the fake GitHub."""

import sys
from pathlib import Path

from tests.checks.conftest import make_git, make_project, run_cli

sys.path.insert(0, str(Path(__file__).parent.parent / "bot"))

__all__ = ["make_git", "make_project", "run_cli"]

"""The adoption tests reuse the checks fixtures: project trees, real git, the real CLI."""

from tests.checks.conftest import make_git, make_project, run_cli

__all__ = ["make_git", "make_project", "run_cli"]

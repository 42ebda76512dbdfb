"""Monitoring tests share the bot tests' PR scenario (tests/bot/bot_scenario.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))

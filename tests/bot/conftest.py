"""Make the bot tests' helper module (`bot_scenario`) importable under --import-mode=importlib."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

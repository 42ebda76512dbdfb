"""Where each rule's training page lives, so every output can link a finding to its lesson."""

from __future__ import annotations

import os

DEFAULT_TRAINING_URL = "http://127.0.0.1:8080/training"
ENV_VAR = "ASYNCGUARD_TRAINING_URL"


def training_base(base: str | None = None) -> str:
    """The site's base URL: the argument, else $ASYNCGUARD_TRAINING_URL, else the local bot's."""
    chosen = base or os.environ.get(ENV_VAR) or DEFAULT_TRAINING_URL
    return chosen.rstrip("/")


def rule_url(code: str, base: str | None = None) -> str:
    """`<base>/rules/<CODE>.html`: the page the training site builds for a rule or change code."""
    return f"{training_base(base)}/rules/{code.upper()}.html"

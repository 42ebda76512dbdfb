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


def configured_base(base: str | None = None) -> str | None:
    """The site's base URL when one is set (the argument, `training-url`, $ASYNCGUARD_TRAINING_URL);
    None otherwise: the local bot's address is no use to someone who is not running it."""
    chosen = base or os.environ.get(ENV_VAR)
    return chosen.rstrip("/") if chosen else None


def help_ref(code: str, base: str | None = None) -> str:
    """What a terminal or CI log says to read about a code: the page's URL when a site is
    configured, else the command that prints the page where the user is."""
    site = configured_base(base)
    return rule_url(code, site) if site else f"asyncguard explain {code.upper()}"

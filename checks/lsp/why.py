"""A rule's one-line why (for hovers), taken from its training page so it is written once."""

from __future__ import annotations

import functools
import re

from asyncguard.checks.codes import code_info
from asyncguard.checks.training import PageError, load_page

_SENTENCE = re.compile(r"(.+?[.:!?])(\s|$)", re.DOTALL)


@functools.cache
def one_line_why(code: str) -> str:
    """The first sentence of the page's "Why ..." section; the rule's summary when there is none."""
    try:
        page = load_page(code)
    except PageError:
        page = None
    if page is not None:
        for title, body in page.sections.items():
            if not title.startswith("Why"):
                continue
            prose = next((p for p in body.split("\n\n") if p.strip() and not p.lstrip().startswith("```")), "")
            match = _SENTENCE.match(" ".join(prose.split()))
            if match:
                sentence = match.group(1)
                return sentence[:-1] + "." if sentence.endswith(":") else sentence
    info = code_info(code)
    return f"{info.summary}." if info is not None else ""

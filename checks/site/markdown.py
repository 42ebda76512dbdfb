"""Markdown to HTML for the training site: heading anchors, `.md` links made `.html`, titled examples.

Pages link to each other by their source file names (`AG109.md`, `../kb/x.md#anchor`) so they
read well on GitHub too; here those links become links to the built pages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from asyncguard.checks.training import DEFAULT_MODULE, split_modules

_TITLE_RE = re.compile(r'title="([^"]+)"')
_MD_LINK_RE = re.compile(r"^(?P<path>[^:#?]+)\.md(?P<rest>#.*)?$")


def slugify(text: str) -> str:
    """GitHub-style anchor: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return re.sub(r"\s+", "-", text)


def _heading_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    inline = tokens[idx + 1]
    text = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
    slug = slugify(text)
    seen: dict[str, int] = env.setdefault("slugs", {})
    n = seen.get(slug, 0)
    seen[slug] = n + 1
    tokens[idx].attrSet("id", slug if n == 0 else f"{slug}-{n}")
    return self.renderToken(tokens, idx, options, env)


def _link_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    href = str(tokens[idx].attrGet("href") or "")
    m = _MD_LINK_RE.match(href)
    if m:
        tokens[idx].attrSet("href", f"{m.group('path')}.html{m.group('rest') or ''}")
    return self.renderToken(tokens, idx, options, env)


def _fence(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    tok = tokens[idx]
    lang = tok.info.split(maxsplit=1)[0] if tok.info.strip() else ""
    title = _TITLE_RE.search(tok.info)
    code = f'<pre><code class="language-{escape(lang)}">{escape(tok.content)}</code></pre>'
    modules = split_modules(tok.content) if lang == "python" else {}
    if len(modules) > 1 or (DEFAULT_MODULE not in modules and modules):
        code = "".join(
            f'<div class="module"><div class="filename">{escape(path)}</div>'
            f'<pre><code class="language-python">{escape(src.strip(chr(10)))}</code></pre></div>'
            for path, src in modules.items()
        )
    if not title:
        return code + "\n"
    label = escape(title.group(1))
    return f'<figure class="example example-{label}"><figcaption>{label}</figcaption>{code}</figure>\n'


def make_renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.add_render_rule("heading_open", _heading_open)
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("fence", _fence)
    return md


def to_html(text: str, md: MarkdownIt | None = None) -> str:
    env: dict[str, Any] = {}
    return (md or make_renderer()).render(text, env)


def to_plain(text: str) -> str:
    """Words of a page for the search index (code blocks and markup dropped)."""
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[`*#|>_]+", " ", text)

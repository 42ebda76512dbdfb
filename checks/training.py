"""Rule and knowledge-base pages: load them from `training_content/`, split out their parts.

A page is Markdown with YAML front matter. Its examples are fenced blocks tagged
```` ```python title="bad" ```` / ```` title="good" ```` (contract pages: `before` / `after`), so tests
can run the analyzer and CPython over exactly what the reader sees. One block may hold several
modules separated by `# file: pkg/mod.py` lines.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from asyncguard import training_content

CONTENT_DIR = Path(training_content.__file__).resolve().parent
RULES_DIR = CONTENT_DIR / "rules"
KB_DIR = CONTENT_DIR / "kb"

_CODE_RE = re.compile(r"^AG\d{3}$")
_FRONT_RE = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_FENCE_RE = re.compile(
    r"^```(?P<lang>[\w+-]*)(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE
)
_TITLE_RE = re.compile(r'title="([^"]+)"')
_FILE_MARK_RE = re.compile(r"^# file: (\S+)[ \t]*$", re.MULTILINE)
_H2_RE = re.compile(r"^## (.+?)\s*$", re.MULTILINE)

DEFAULT_MODULE = "example.py"


class PageError(Exception):
    """A page that is missing or malformed; the message says which and why."""


class UnknownCode(PageError):
    """No page exists for the requested code."""


@dataclass(frozen=True)
class Example:
    """One fenced example: its title (bad/good/before/after) and its modules by relative path."""

    title: str
    files: dict[str, str]

    @property
    def entry(self) -> str:
        """The module to run: `main.py` when the example has one, else its last module."""
        return "main.py" if "main.py" in self.files else list(self.files)[-1]

    def write(self, root: Path) -> Path:
        """Write the modules under `root` (packages get their `__init__.py`); return the entry path."""
        for rel, source in self.files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source, encoding="utf-8")
            parent = target.parent
            while parent != root:
                init = parent / "__init__.py"
                if not init.exists():
                    init.write_text("", encoding="utf-8")
                parent = parent.parent
        return root / self.entry


@dataclass(frozen=True)
class Page:
    """A parsed page. `meta` is the front matter; `body` is the Markdown after it."""

    slug: str
    kind: str  # "rule" | "contract" | "kb"
    meta: dict[str, Any]
    body: str
    path: Path
    sections: dict[str, str] = field(default_factory=dict)
    examples: tuple[Example, ...] = ()

    @property
    def code(self) -> str:
        return str(self.meta.get("code", ""))

    @property
    def title(self) -> str:
        if self.kind == "kb":
            return str(self.meta.get("title", self.slug))
        return f"{self.code} {self.meta.get('name', '')}".strip()

    @property
    def summary(self) -> str:
        return str(self.meta.get("summary", ""))

    def example(self, title: str) -> Example:
        for ex in self.examples:
            if ex.title == title:
                return ex
        raise PageError(f"{self.path.name}: no example titled {title!r}")


def split_modules(source: str) -> dict[str, str]:
    """Split a code block on `# file: path` markers; a block without markers is one module."""
    marks = list(_FILE_MARK_RE.finditer(source))
    if not marks:
        return {DEFAULT_MODULE: source}
    files: dict[str, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(source)
        files[m.group(1)] = source[m.end() + 1 : end]
    return files


def _examples(body: str) -> tuple[Example, ...]:
    out = []
    for m in _FENCE_RE.finditer(body):
        title = _TITLE_RE.search(m.group("info"))
        if m.group("lang") == "python" and title:
            out.append(Example(title.group(1), split_modules(m.group("body"))))
    return tuple(out)


def _sections(body: str) -> dict[str, str]:
    heads = list(_H2_RE.finditer(body))
    return {
        h.group(1): body[h.end() : heads[i + 1].start() if i + 1 < len(heads) else len(body)].strip()
        for i, h in enumerate(heads)
    }


def parse_page(path: Path, kind: str) -> Page:
    """Parse one page file; PageError with the file name when the front matter is broken."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PageError(f"{path}: cannot read: {exc}") from exc
    m = _FRONT_RE.match(text)
    if not m:
        raise PageError(f"{path}: missing YAML front matter (--- ... ---)")
    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        raise PageError(f"{path}: bad front matter: {exc}") from exc
    if not isinstance(meta, dict):
        raise PageError(f"{path}: front matter must be a mapping")
    body = text[m.end() :]
    return Page(path.stem, kind, meta, body, path, _sections(body), _examples(body))


def normalize_code(code: str) -> str:
    """`ag101` -> `AG101`, and a rule's or change's name (`missing-await`) -> its code.

    PageError for anything that is neither.
    """
    c = code.strip().upper()
    if _CODE_RE.match(c):
        return c
    from asyncguard.checks.codes import all_codes

    name = code.strip().lower().replace("_", "-")
    for info in all_codes().values():
        if info.name == name:
            return info.code
    raise UnknownCode(
        f"{code!r} is neither a code (AG followed by three digits, e.g. AG101) nor a rule's name "
        "(e.g. missing-await); `asyncguard explain --list` shows them all"
    )


@cache
def load_page(code: str) -> Page:
    """The page of a rule (AG0xx/AG1xx) or contract change code (AG2xx)."""
    c = normalize_code(code)
    path = RULES_DIR / f"{c}.md"
    if not path.is_file():
        raise UnknownCode(f"no training page for {c}; `asyncguard explain --list` shows the known codes")
    return parse_page(path, "contract" if c.startswith("AG2") else "rule")


def rule_pages() -> list[Page]:
    """Every rule and contract page, by code."""
    return [load_page(p.stem) for p in sorted(RULES_DIR.glob("AG*.md"))]


def kb_pages() -> list[Page]:
    """Every knowledge-base page, in the order their `order:` front matter gives."""
    pages = [parse_page(p, "kb") for p in sorted(KB_DIR.glob("*.md"))]

    def order(p: Page) -> tuple[int, str]:
        value = p.meta.get("order", 99)
        return (value if isinstance(value, int) else 99, p.slug)

    return sorted(pages, key=order)


# ---- terminal rendering -------------------------------------------------------------------------

_BOLD, _DIM, _CYAN, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[0m"
_INLINE_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_EMPH = re.compile(r"\*\*([^*]+)\*\*")


def _inline(text: str, color: bool) -> str:
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)}", text)
    if color:
        text = _EMPH.sub(lambda m: f"{_BOLD}{m.group(1)}{_RESET}", text)
        return _INLINE_CODE.sub(lambda m: f"{_CYAN}{m.group(1)}{_RESET}", text)
    return _INLINE_CODE.sub(r"\1", _EMPH.sub(r"\1", text))


def _terminal_lines(body: str, color: bool, width: int) -> Iterator[str]:
    in_code = False
    para: list[str] = []

    def flush() -> Iterator[str]:
        if para:
            text = _inline(" ".join(s.strip() for s in para), color)
            yield from textwrap.wrap(text, width) or [""]
            para.clear()

    for raw in body.splitlines():
        if raw.startswith("```"):
            yield from flush()
            if not in_code:
                title = _TITLE_RE.search(raw)
                label = f"--- {title.group(1)} ---" if title else ""
                if label:
                    yield f"{_DIM}{label}{_RESET}" if color else label
            in_code = not in_code
            continue
        if in_code:
            yield f"    {raw}".rstrip()
        elif raw.startswith("#"):
            yield from flush()
            head = raw.lstrip("#").strip()
            if raw.startswith("# "):
                yield f"{_BOLD}{head}{_RESET}" if color else head
                yield "=" * min(len(head), width)
            else:
                yield ""
                yield f"{_BOLD}{head}{_RESET}" if color else head
                yield "-" * min(len(head), width)
        elif raw.lstrip().startswith(("- ", "* ", "1. ", "| ")) or not raw.strip():
            yield from flush()
            if raw.strip():
                yield _inline(raw.rstrip(), color)
            else:
                yield ""
        else:
            para.append(raw)
    yield from flush()


def render_terminal(code: str, color: bool = False, width: int | None = None) -> str:
    """The page for a terminal: headings underlined, code indented, optional ANSI colour."""
    page = load_page(code)
    w = width or max(60, min(100, shutil.get_terminal_size((100, 24)).columns))
    lines = list(_terminal_lines(page.body, color, w))
    out: list[str] = []
    for line in lines:  # collapse runs of blank lines
        if line == "" and (not out or out[-1] == ""):
            continue
        out.append(line)
    return "\n".join(out).strip() + "\n"


# ---- Markdown for elsewhere (PR comments, chat) -------------------------------------------------

_MD_LINK = re.compile(r"\]\((?P<path>[^)#:\s]+)\.md(?P<frag>#[^)]*)?\)")


def render_markdown(code: str, base_url: str | None = None) -> str:
    """The page as Markdown whose links work outside the site: `AG109.md` -> `<base>/rules/AG109.html`.

    For the bot's `/asyncguard explain` reply. `base_url` defaults like the finding links
    (checks.links.training_base).
    """
    from asyncguard.checks.links import training_base

    page = load_page(code)
    base = training_base(base_url)

    def absolute(m: re.Match[str]) -> str:
        target = PurePosixPath("rules", m.group("path") + ".html")
        parts: list[str] = []
        for part in target.parts:
            if part == "..":
                if parts:
                    parts.pop()
            elif part != ".":
                parts.append(part)
        return f"]({base}/{'/'.join(parts)}{m.group('frag') or ''})"

    body = _MD_LINK.sub(absolute, page.body.strip())
    return f"{body}\n\n[Full page]({base}/rules/{page.code}.html)\n"

"""Build the static training site: index, rule and contract pages, knowledge base, checklist, search.

Every link is relative, so the same files work from disk, behind the bot at `/training/`, or on
any static host. Search is a JSON index plus a small plain-JS script: no build step, no CDN.
"""

from __future__ import annotations

import json
import re
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from asyncguard.checks.checklist import Rule, builtin_items
from asyncguard.checks.site.markdown import make_renderer, to_plain
from asyncguard.checks.training import CONTENT_DIR, Page, kb_pages, rule_pages
from asyncguard.rules.registry import RULES

ASSETS = ("search.js", "style.css")
# Kept here rather than as a file: package data ships only the suffixes pyproject lists.
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" '
    'fill="#2455c3"/><path d="M9 22 16 8l7 14M12 17h8" stroke="#fff" stroke-width="3" fill="none" '
    'stroke-linecap="round" stroke-linejoin="round"/></svg>\n'
)
_WORD_RE = re.compile(r"[a-z_][a-z0-9_]+")
_WHEN_TEXT = {
    "async_def_changed": lambda v: "an `async def` is added or changed",
    "files": lambda v: "changed files match " + ", ".join(f"`{g}`" for g in v),
    "imports": lambda v: "changed code imports " + ", ".join(f"`{m}`" for m in v),
    "code": lambda v: "a changed line matches " + ", ".join(f"`{r}`" for r in v),
    "findings": lambda v: "the run reports " + ", ".join(v),
    "contract_changes": lambda v: "the interface diff has " + ", ".join(v),
    "contract_breaking": lambda v: "the interface diff has a breaking change",
    "always": lambda v: "always",
}


class SiteError(Exception):
    """The site cannot be written (bad output folder); the message says why."""


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(CONTENT_DIR / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _inline_md(text: str) -> str:
    return make_renderer().renderInline(text)


def _badges(page: Page) -> list[dict[str, str]]:
    m = page.meta
    if page.kind == "contract":
        return [{"cls": "breaking" if m.get("breaking") else "compatible",
                 "text": "breaking" if m.get("breaking") else "compatible"}]
    if page.kind != "rule":
        return []
    out = [{"cls": str(m.get("severity")), "text": str(m.get("severity"))},
           {"cls": "fix" if m.get("fixable") else "nofix", "text": "--fix available" if m.get("fixable") else "no auto-fix"}]
    rule = RULES.get(page.code)
    if rule is not None and not rule.default_enabled:
        out.append({"cls": "optin", "text": "off by default"})
    return out


def _search_entry(page: Page, url: str) -> dict[str, Any]:
    words = sorted(set(_WORD_RE.findall(to_plain(page.body).lower())))
    return {
        "code": page.code if page.kind != "kb" else "",
        "name": str(page.meta.get("name", "")),
        "title": page.title,
        "summary": page.summary,
        "kind": page.kind,
        "url": url,
        "words": " ".join(words),
    }


def _when_text(rule: Rule) -> str:
    return "; or ".join(_WHEN_TEXT[k](v) for k, v in rule.when.items() if v)


def _prepare_out(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise SiteError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "search-index.json").exists():
        raise SiteError(f"{out_dir} is not empty and does not hold a training site; choose an empty folder")
    for sub in ("rules", "kb"):
        if (out_dir / sub).is_dir():
            shutil.rmtree(out_dir / sub)
    try:
        (out_dir / "rules").mkdir(parents=True, exist_ok=True)
        (out_dir / "kb").mkdir(exist_ok=True)
    except OSError as exc:
        raise SiteError(f"cannot create {out_dir}: {exc.strerror}") from exc


def build_site(out_dir: Path | str, base_url: str | None = None) -> Path:
    """Write the site into `out_dir` (created; a previous build there is replaced); return it.

    `base_url` (e.g. `https://bot.example.com/training`) only adds canonical links: the pages
    link to each other relatively.
    """
    out = Path(out_dir)
    _prepare_out(out)
    env, md = _env(), make_renderer()
    base = base_url.rstrip("/") if base_url else None
    pages = rule_pages()
    kbs = kb_pages()
    index: list[dict[str, Any]] = []

    def write(rel: str, template: str, **ctx: Any) -> None:
        root = "../" * rel.count("/")
        html = env.get_template(template).render(root=root, canonical=f"{base}/{rel}" if base else "", **ctx)
        (out / rel).write_text(html, encoding="utf-8")

    for page in pages:
        rel = f"rules/{page.code}.html"
        head, _, rest = md.render(page.body).partition("</h1>\n")
        write(rel, "page.html.j2", title=page.title, kind=page.kind, badges=_badges(page),
              body_head=head + "</h1>\n", body=rest)
        index.append(_search_entry(page, rel))
    for page in kbs:
        rel = f"kb/{page.slug}.html"
        write(rel, "page.html.j2", title=page.title, kind="kb", badges=[], body_head="", body=md.render(page.body))
        index.append(_search_entry(page, rel))

    items = [
        {"id": r.id, "text_html": _inline_md(r.text), "why": _inline_md(r.why), "when_text": _inline_md(_when_text(r)),
         "learn": r.learn.removesuffix(".md") + ".html" if r.learn else ""}
        for r in builtin_items()
    ]
    write("checklist.html", "checklist.html.j2", title="Review checklist", items=items)

    def with_summary(ps: list[Page]) -> list[dict[str, Any]]:
        return [{"code": p.code, "slug": p.slug, "title": p.title, "meta": p.meta,
                 "summary_html": _inline_md(p.summary)} for p in ps]

    write(
        "index.html",
        "index.html.j2",
        title="Rules and guides",
        rules=with_summary([p for p in pages if p.kind == "rule"]),
        contracts=with_summary([p for p in pages if p.kind == "contract"]),
        kb=with_summary(kbs),
    )
    data = json.dumps(index, ensure_ascii=False, separators=(",", ":"))
    (out / "search-index.json").write_text(data, encoding="utf-8")
    # The same data as a script, so search also works from file:// where fetch() is refused.
    (out / "search-index.js").write_text(f"window.ASYNCGUARD_SEARCH = {data};\n", encoding="utf-8")
    assets = resources.files("asyncguard.checks.site")
    for name in ASSETS:
        (out / name).write_text(assets.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    (out / "favicon.svg").write_text(FAVICON_SVG, encoding="utf-8")
    return out

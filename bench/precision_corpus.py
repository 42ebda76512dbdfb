"""Precision on a corpus of real async projects, every finding judged by hand.

The projects (bench/precision/corpus.json) are pinned by commit and unpacked from local git
mirrors; nothing of their code is in this repository. Each is analysed as a new user would run
it: `asyncguard check .` at the project root with the default configuration. Every finding is
matched to a verdict in bench/precision/verdicts.json by a key that survives line moves (path,
rule, enclosing function, the flagged code's text), so a verdict stays attached to its code when
the analyzer or the project shifts lines. A finding without a verdict is "unjudged": the run says
so, and `--check` fails on it, so a new finding cannot slip into the figures unread. Opt-in rules
(`--opt-in`, default AG109) are measured in a second run with `--extend-select` and tabled apart: they
are not what a new user sees, but their verdicts stay checked.

    .venv/bin/python bench/precision_corpus.py                  # table; unjudged findings listed
    .venv/bin/python bench/precision_corpus.py --check          # exit 1 on any unjudged finding
    .venv/bin/python bench/precision_corpus.py --template out.json   # unjudged findings as verdict stubs
    .venv/bin/python bench/precision_corpus.py --out bench/results/precision-corpus-YYYYMMDD.md

Mirrors are looked up as $ASYNCGUARD_MIRRORS/OWNER+NAME (default /work/.mirror), a bare git
directory at `repo` or `repo/.git` inside it; the unpacked trees go to $ASYNCGUARD_BENCH_ROOT
(default: $TMPDIR/asyncguard-precision-corpus) and are reused while their commit matches.
"""

from __future__ import annotations

import argparse
import ast
import collections
import datetime
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "precision" / "corpus.json"
VERDICTS = HERE / "precision" / "verdicts.json"
MIRRORS = Path(os.environ.get("ASYNCGUARD_MIRRORS", "/work/.mirror"))
BENCH_ROOT = Path(os.environ.get("ASYNCGUARD_BENCH_ROOT", Path(tempfile.gettempdir()) / "asyncguard-precision-corpus"))
VERDICT_KINDS = ("true", "debatable", "false")


class CorpusError(Exception):
    """A project cannot be materialized: the message says what to do."""


@dataclass(frozen=True)
class Project:
    name: str
    repo: str
    commit: str
    subdir: str | None
    kind: str


@dataclass(frozen=True)
class Finding:
    project: str
    path: str
    line: int
    code: str
    message: str
    scope: str
    snippet: str
    occurrence: int

    @property
    def key(self) -> tuple[str, str, str, str, str, int]:
        return (self.project, self.path, self.code, self.scope, self.snippet, self.occurrence)


def load_projects() -> list[Project]:
    data = json.loads(CORPUS.read_text())
    return [Project(p["name"], p["repo"], p["commit"], p.get("subdir"), p["kind"]) for p in data["projects"]]


def git_dir(project: Project) -> Path:
    base = MIRRORS / project.repo.replace("/", "+")
    for candidate in (base / "repo" / ".git", base / "repo", base):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    raise CorpusError(
        f"{project.name}: no git mirror of {project.repo} under {base}. Bring it with the search tool's "
        f"fetch (source github:{project.repo}), or set ASYNCGUARD_MIRRORS to a folder holding "
        f"{project.repo.replace('/', '+')}/repo as a git directory."
    )


def materialize(project: Project) -> Path:
    """Write the pinned commit's files (only `subdir` when set) into the cache; reuse them when already there.

    Read blob by blob rather than with `git archive`: a mirror lacks its largest files (binaries, data),
    which are no source to analyse, and one missing blob must not lose the whole tree. Symlinks and
    submodules are left out.
    """
    target = BENCH_ROOT / project.name
    stamp = target / ".precision-corpus-commit"
    want = f"{project.commit} {project.subdir or ''}".strip()
    if stamp.is_file() and stamp.read_text().strip() == want:
        return target
    gdir = git_dir(project)
    argv = ["git", f"--git-dir={gdir}", "ls-tree", "-r", "-z", project.commit]
    if project.subdir:
        argv += ["--", project.subdir]
    listing = subprocess.run(argv, capture_output=True)
    if listing.returncode != 0:
        raise CorpusError(
            f"{project.name}: commit {project.commit} cannot be read in {gdir}: "
            f"{listing.stderr.decode(errors='replace').strip()}. Fetch the mirror again (github:{project.repo})."
        )
    blobs: list[tuple[str, str]] = []
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_name = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        if kind == "blob" and mode != "120000":
            blobs.append((sha, raw_name.decode("utf-8", errors="surrogateescape")))
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    cat = subprocess.run(["git", f"--git-dir={gdir}", "cat-file", "--batch"],
                         input=b"".join(f"{sha}\n".encode() for sha, _ in blobs), capture_output=True, check=True)
    stream = io.BytesIO(cat.stdout)
    missing = 0
    for _sha, name in blobs:
        header = stream.readline().split()
        if len(header) < 3 or header[1] == b"missing":
            missing += 1
            continue
        body = stream.read(int(header[2]))
        stream.read(1)  # the newline after each object
        dest = target / name
        if target.resolve() not in dest.resolve().parents:
            continue  # a path that would leave the tree
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(body)
    if missing:
        print(f"{project.name}: {missing} blob(s) absent from the mirror (its largest files) left out", file=sys.stderr)
    stamp.write_text(want + "\n")
    return target


def asyncguard_argv() -> list[str]:
    script = Path(sys.executable).with_name("asyncguard")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "asyncguard"]


def run_check(root: Path, extend_select: str | None = None) -> list[dict[str, Any]]:
    """`asyncguard check .` at the project root, default configuration (plus `--extend-select`), as JSON."""
    extra = ["--extend-select", extend_select] if extend_select else []
    run = subprocess.run([*asyncguard_argv(), "check", ".", "--format", "json", "--no-cache", "--exit-zero", *extra],
                         cwd=root, capture_output=True, text=True)
    if run.returncode != 0:
        raise CorpusError(f"asyncguard check failed in {root} (exit {run.returncode}): {run.stderr.strip()}")
    findings: list[dict[str, Any]] = json.loads(run.stdout or "[]")
    return findings


def normalized(text: str) -> str:
    return " ".join(text.split())


def flagged_text(lines: list[str], raw: dict[str, Any]) -> str:
    """The text of the flagged span (columns are 1-based), whitespace-normalized; the line if the span is empty."""
    first, last = raw["line"] - 1, (raw.get("end_line") or raw["line"]) - 1
    if not 0 <= first < len(lines):
        return ""
    last = min(max(last, first), len(lines) - 1)
    start = max((raw.get("column") or 1) - 1, 0)
    end = raw.get("end_column")
    if first == last:
        segment = lines[first][start:end - 1 if end else None]
    else:
        segment = "\n".join([lines[first][start:], *lines[first + 1:last], lines[last][:end - 1 if end else None]])
    return normalized(segment) or normalized(lines[first])


def scopes_of(tree: ast.AST) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every def and class, outermost first."""
    found: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                found.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def enclosing(scopes: list[tuple[int, int, str]], line: int) -> str:
    inner = [s for s in scopes if s[0] <= line <= s[1]]
    return max(inner, key=lambda s: s[0])[2] if inner else "<module>"


def keyed(project: Project, root: Path, raw_findings: list[dict[str, Any]]) -> list[Finding]:
    files: dict[str, tuple[list[str], list[tuple[int, int, str]]]] = {}
    seen: collections.Counter[tuple[str, str, str, str]] = collections.Counter()
    result = []
    for raw in sorted(raw_findings, key=lambda r: (r["path"], r["line"], r.get("column") or 0, r["code"])):
        if raw["code"] == "AG000":
            continue
        path = raw["path"]
        if path not in files:
            text = (root / path).read_text(encoding="utf-8", errors="replace")
            try:
                tree_scopes = scopes_of(ast.parse(text))
            except SyntaxError:
                tree_scopes = []
            files[path] = (text.splitlines(), tree_scopes)
        lines, file_scopes = files[path]
        scope = enclosing(file_scopes, raw["line"])
        snippet = flagged_text(lines, raw)
        base = (path, raw["code"], scope, snippet)
        occurrence = seen[base]
        seen[base] += 1
        result.append(Finding(project.name, path, raw["line"], raw["code"], raw["message"], scope, snippet,
                              occurrence))
    return result


def verdict_key(v: dict[str, Any]) -> tuple[str, str, str, str, str, int]:
    return (v["project"], v["path"], v["code"], v["scope"], normalized(v["snippet"]), int(v.get("occurrence", 0)))


def load_verdicts() -> dict[tuple[str, str, str, str, str, int], dict[str, Any]]:
    if not VERDICTS.is_file():
        return {}
    entries = json.loads(VERDICTS.read_text())["verdicts"]
    verdicts: dict[tuple[str, str, str, str, str, int], dict[str, Any]] = {}
    for v in entries:
        if v["verdict"] not in VERDICT_KINDS:
            raise CorpusError(f"verdict {v['verdict']!r} for {v['path']} {v['code']}: use one of {VERDICT_KINDS}")
        if not str(v.get("reason", "")).strip():
            raise CorpusError(f"verdict for {v['project']} {v['path']} {v['code']} has no reason")
        key = verdict_key(v)
        if key in verdicts:
            raise CorpusError(f"two verdicts for one finding: {key}")
        verdicts[key] = v
    return verdicts


def table(findings: list[Finding], verdicts: dict[Any, dict[str, Any]]) -> tuple[str, dict[str, int]]:
    rows: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for f in findings:
        v = verdicts.get(f.key)
        rows[f.code][v["verdict"] if v else "unjudged"] += 1
    totals: collections.Counter[str] = collections.Counter()
    for counts in rows.values():
        totals.update(counts)

    def line(label: str, c: collections.Counter[str]) -> str:
        n = sum(c.values())
        judged = n - c["unjudged"]

        def share(verdict: str) -> str:
            return f"{100 * c[verdict] / judged:.0f}%" if judged else "-"

        return (f"| {label} | {n} | {c['true']} | {c['debatable']} | {c['false']} | {c['unjudged']} | "
                f"{share('true')} | {share('false')} |")

    out = ["| rule | findings | true | debatable | false | unjudged | precision (true / judged) | false / judged |",
           "|---|---|---|---|---|---|---|---|"]
    out += [line(code, rows[code]) for code in sorted(rows)]
    out.append(line("**all**", totals))
    return "\n".join(out), dict(totals)


def per_project(projects: list[Project], findings: list[Finding], verdicts: dict[Any, dict[str, Any]]) -> str:
    out = ["| project | kind | commit | findings | true | debatable | false | unjudged |", "|---|---|---|---|---|---|---|---|"]
    for p in projects:
        counts = collections.Counter((verdicts.get(f.key) or {"verdict": "unjudged"})["verdict"]
                                     for f in findings if f.project == p.name)
        out.append(f"| {p.name} ({p.repo}) | {p.kind} | {p.commit[:12]} | {sum(counts.values())} | {counts['true']} | "
                   f"{counts['debatable']} | {counts['false']} | {counts['unjudged']} |")
    return "\n".join(out)


def stub(f: Finding) -> dict[str, Any]:
    return {"project": f.project, "path": f.path, "code": f.code, "scope": f.scope, "snippet": f.snippet,
            "occurrence": f.occurrence, "line": f.line, "message": f.message, "verdict": "", "reason": ""}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when any finding has no verdict")
    parser.add_argument("--only", help="comma-separated project names")
    parser.add_argument("--template", type=Path, help="write the unjudged findings here as verdict stubs")
    parser.add_argument("--out", type=Path, help="also write the result tables here as Markdown")
    parser.add_argument("--opt-in", default="AG109", metavar="CODES",
                        help="opt-in rules measured in a second run, reported apart from the default set's figures "
                             "(comma-separated; default AG109; '' for none)")
    args = parser.parse_args()
    opt_in = sorted({c.strip() for c in args.opt_in.split(",") if c.strip()})
    projects = load_projects()
    if args.only:
        wanted = set(args.only.split(","))
        projects = [p for p in projects if p.name in wanted]
    try:
        verdicts = load_verdicts()
        findings: list[Finding] = []
        opted: list[Finding] = []
        for project in projects:
            root = materialize(project)
            findings += keyed(project, root, run_check(root))
            if opt_in:
                selected = [f for f in run_check(root, ",".join(opt_in)) if f["code"] in opt_in]
                opted += keyed(project, root, selected)
    except CorpusError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    rules_table, totals = table(findings, verdicts)
    projects_table = per_project(projects, findings, verdicts)
    opt_in_table = ""
    if opt_in:
        opt_in_rows, _ = table(opted, verdicts)
        opt_in_table = (f"Opt-in rules ({', '.join(opt_in)}), off by default and so not in the figures above; "
                        f"measured with `--extend-select {','.join(opt_in)}`:\n\n{opt_in_rows}")
    unjudged = [f for f in findings + opted if f.key not in verdicts]
    names = {p.name for p in projects}
    present = {f.key for f in findings + opted}
    stale = [v for k, v in verdicts.items() if v["project"] in names and k not in present]
    print(rules_table)
    print()
    print(projects_table)
    judged = sum(totals.values()) - totals.get("unjudged", 0)
    summary = ""
    if judged:
        summary = (f"false: {totals.get('false', 0)}/{judged} = {100 * totals.get('false', 0) / judged:.1f}% "
                   f"(target <= 5%); true: {totals.get('true', 0)}/{judged} = "
                   f"{100 * totals.get('true', 0) / judged:.1f}% (target >= 50%)")
        print(f"\n{summary}")
    if opt_in_table:
        print(f"\n{opt_in_table}")
    for f in unjudged:
        print(f"unjudged: {f.project} {f.path}:{f.line} {f.code} [{f.scope}] {f.snippet!r}: {f.message}",
              file=sys.stderr)
    for v in stale:
        print(f"no longer reported: {v['project']} {v['path']} {v['code']} [{v['scope']}] {v['snippet']!r} "
              f"({v['verdict']}: {v['reason']})", file=sys.stderr)
    if args.template is not None:
        args.template.write_text(json.dumps({"verdicts": [stub(f) for f in unjudged]}, indent=1) + "\n")
    if args.out is not None:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        head = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        args.out.write_text(f"# Precision corpus, {stamp}\n\nasyncguard at `{head.stdout.strip() or 'unknown'}`, "
                            f"`{' '.join(sys.argv)}`\n\n## By rule (default configuration)\n\n{rules_table}\n\n{summary}\n\n"
                            f"## By project (default configuration)\n\n{projects_table}\n"
                            + (f"\n## Opt-in rules\n\n{opt_in_table}\n" if opt_in_table else ""))
    if args.check and unjudged:
        print(f"{len(unjudged)} finding(s) without a verdict", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

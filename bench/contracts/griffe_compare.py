"""Compare asyncguard's contract diff with `griffe`'s breaking changes on real releases.

For each pinned version pair of a published async library (sdists from PyPI, checked against the
sha256 below) this prints:
  * every breaking change griffe reports for public API, and whether asyncguard reports it too;
    when it does not, the reason (classified automatically, "UNEXPLAINED" when no rule applies);
  * every sync<->async flip asyncguard reports (griffe has no such check);
  * the time each tool takes on the pair, in the same run.

Run: .venv/bin/python bench/contracts/griffe_compare.py [--json OUT]   (needs network once; cached)
Not part of the test suite: it downloads and takes seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from asyncguard.contracts.compare import compare
from asyncguard.contracts.extract import extract
from asyncguard.contracts.model import Contract, ContractDiff

CACHE = Path(os.environ.get("ASYNCGUARD_BENCH_CACHE", "/tmp/asyncguard-bench"))


@dataclass(frozen=True)
class Release:
    name: str
    version: str
    sha256: str


PAIRS: list[tuple[str, Release, Release]] = [
    (
        "websockets",
        Release("websockets", "13.1", "a3b3366087c1bc0a2795111edcadddb8b3b59509d5db5d7ea3fdd69f954a8878"),
        Release("websockets", "14.0", "be90aa6dab180fed523c0c10a6729ad16c9ba79067402d01a4d8aa7ce48d4084"),
    ),
    (
        "httpx",
        Release("httpx", "0.27.2", "f7c2be1d2f3c3c3160d441802406b206c2b76f5947b11115e6df10c6c65e66c2"),
        Release("httpx", "0.28.0", "0858d3bab51ba7e386637f22a61d8ccddaeec5f3fe4209da3a6168dbb91573e0"),
    ),
    (  # the 3.0 release turned `ws.send_str()`, `ClientSession.close()`, `resp.write()` into coroutines
        "aiohttp",
        Release("aiohttp", "2.3.10", "8adda6583ba438a4c70693374e10b60168663ffa6564c5c75d3c7a9055290964"),
        Release("aiohttp", "3.0.0", "f986bd51fc80b42b880d5579f47ef4f5ec8ef37cf7a799b6a8b61fab1b88d2cd"),
    ),
]
FLIPS = {"AG202", "AG203", "AG204", "AG205"}


def fetch_sdist(release: Release) -> Path:
    """Download (pip, no deps, sdist only) once, verify the pinned sha256, unpack; the source root."""
    target = CACHE / f"{release.name}-{release.version}"
    archive = CACHE / f"{release.name}-{release.version}.tar.gz"
    CACHE.mkdir(parents=True, exist_ok=True)
    if not archive.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q", "-d", str(CACHE),
             f"{release.name}=={release.version}"],
            check=True,
        )  # fmt: skip
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != release.sha256:
        raise SystemExit(f"{archive}: sha256 {digest} does not match the pinned {release.sha256}")
    if not target.exists():
        with tarfile.open(archive) as tar:
            tar.extractall(CACHE, filter="data")
    src = target / "src"
    return src if (src / release.name).is_dir() else target


def griffe_breakages(package: str, old_root: Path, new_root: Path) -> tuple[list[Any], float]:
    start = time.perf_counter()
    options: dict[str, Any] = {"allow_inspection": False, "resolve_aliases": True, "resolve_external": None}
    old = griffe.load(package, search_paths=[str(old_root)], **options)
    new = griffe.load(package, search_paths=[str(new_root)], **options)
    breakages = list(griffe.find_breaking_changes(old, new))
    return breakages, time.perf_counter() - start


def asyncguard_diff(
    package: str, old_root: Path, new_root: Path
) -> tuple[Contract, Contract, ContractDiff, float]:
    start = time.perf_counter()
    old = extract(old_root, packages=[package])
    new = extract(new_root, packages=[package])
    diff = compare(old, new)
    return old, new, diff, time.perf_counter() - start


def _is_public_path(path: str) -> bool:
    return not any(
        part.startswith("_") and not (part.startswith("__") and part.endswith("__"))
        for part in path.split(".")
    )


def _ancestors(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def explain_missing(
    b: Any, old: Contract, new: Contract, reported: set[str], reported_defs: set[str]
) -> str | None:
    """None when asyncguard reports the breakage; else the reason it does not.

    griffe names a breakage by the path of the object it compared, which for a re-exported name is
    the new definition's path; asyncguard names the public path. Both are matched.
    """
    path = str(b.obj.path)
    kind = b.kind.name
    if any(a in reported or a in reported_defs for a in _ancestors(path)):
        return None
    if kind == "OBJECT_CHANGED_KIND" and "attribute" in b.explain():
        old_symbol, new_symbol = old.symbols.get(path), new.symbols.get(path)
        if old_symbol is not None and new_symbol is not None and old_symbol.kind == new_symbol.kind:
            return (
                f"griffe sees an alias assignment (`name = Class`) as an attribute; asyncguard follows it: "
                f"a {new_symbol.kind} on both sides, compared member by member"
            )
    if kind in ("ATTRIBUTE_CHANGED_VALUE", "ATTRIBUTE_CHANGED_TYPE"):
        return "a module/class value (attribute), not a callable interface: never reported by design"
    for ancestor in _ancestors(path):
        dyn = new.dynamic.get(ancestor)
        if dyn is not None:
            return (
                f"kept as a {'deprecated ' if dyn.deprecated else ''}lazy alias ({ancestor} -> {dyn.target})"
            )
        symbol = new.symbols.get(ancestor)
        if symbol is not None and symbol.deprecated and ancestor != path:
            return f"reachable through deprecated {ancestor}"
    if kind == "CLASS_REMOVED_BASE":
        old_bases = set(getattr(old.symbols.get(path), "bases", ()))
        new_bases = set(getattr(new.symbols.get(path), "bases", ()))
        if old_bases - new_bases <= {"object"}:
            return "only `object` went: `class C(object)` and `class C` are the same class"
    if kind == "OBJECT_REMOVED" and path in new.symbols:
        return "still importable at the same path (re-exported)"
    if kind == "OBJECT_CHANGED_KIND" and getattr(old.symbols.get(path), "kind", None) == "attribute":
        return (
            "a value built by a call (e.g. a namedtuple) became a class: asyncguard records such a value "
            "by presence only, so it cannot tell the kinds apart"
        )
    if path not in old.symbols:
        parent = old.symbols.get(path.rpartition(".")[0])
        if parent is not None and parent.kind == "class":
            return "an instance/class attribute: the contract covers callables, not attributes"
        if parent is not None and parent.kind == "module":
            return "a module-level value not listed in __all__: not in the contract"
        return "not public for asyncguard (outside __all__ / not re-exported)"
    if kind == "PARAMETER_CHANGED_DEFAULT" and path in old.symbols and path in new.symbols:
        return "default equal by meaning (same value, spelled differently)"
    if kind == "RETURN_CHANGED_TYPE":
        return "return annotation equal by meaning (e.g. PEP 696 defaults, typing alias spelling)"
    return "UNEXPLAINED"


def run_pair(package: str, old_rel: Release, new_rel: Release) -> dict[str, Any]:
    old_root, new_root = fetch_sdist(old_rel), fetch_sdist(new_rel)
    breakages, griffe_time = griffe_breakages(package, old_root, new_root)
    old, new, diff, ag_time = asyncguard_diff(package, old_root, new_root)
    reported: set[str] = set()
    reported_defs: set[str] = set()
    for c in diff.changes:
        reported.update([c.symbol, *c.aliases] + ([c.new_symbol] if c.new_symbol else []))
        reported_defs.update(s.defined_in for s in (c.old, c.new) if s is not None and s.defined_in)
    codes_by_path: dict[str, set[str]] = {}
    for c in diff.changes:
        for name in [c.symbol, *c.aliases]:
            codes_by_path.setdefault(name, set()).add(c.code)
    public = [b for b in breakages if _is_public_path(str(b.obj.path))]
    rows = []
    for b in public:
        reason = explain_missing(b, old, new, reported, reported_defs)
        path = str(b.obj.path)
        rows.append({"kind": b.kind.name, "path": path, "explain": b.explain().strip().splitlines()[0],
                     "asyncguard_codes": sorted(codes_by_path.get(path, ())),
                     "asyncguard": "reported" if reason is None else f"not reported: {reason}"})  # fmt: skip
    flips = [
        {"code": c.code, "symbol": c.symbol, "message": c.message} for c in diff.changes if c.code in FLIPS
    ]
    return {
        "pair": f"{package} {old_rel.version} -> {new_rel.version}",
        "griffe_seconds": round(griffe_time, 3),
        "asyncguard_seconds": round(ag_time, 3),
        "griffe_breakages_public": len(public),
        "griffe_breakages_total": len(breakages),
        "griffe_removed": sum(1 for b in public if b.kind.name == "OBJECT_REMOVED"),
        # griffe says "removed" but the name still works: a deprecated alias or a re-export
        "griffe_removed_wrong": sum(
            1
            for r in rows
            if r["kind"] == "OBJECT_REMOVED"
            and (
                "AG235" in r["asyncguard_codes"]
                or "alias" in r["asyncguard"]
                or "re-exported" in r["asyncguard"]
            )
        ),
        "asyncguard_changes": len(diff.changes),
        "asyncguard_breaking": len(diff.breaking),
        "asyncguard_bump": diff.bump,
        "reported": sum(1 for r in rows if r["asyncguard"] == "reported"),
        "unexplained": [r for r in rows if r["asyncguard"].endswith("UNEXPLAINED")],
        "rows": rows,
        "flips": flips,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the full results here")
    parser.add_argument("--verbose", action="store_true", help="also list the breakages both tools report")
    args = parser.parse_args()
    results = [run_pair(*pair) for pair in PAIRS]
    for r in results:
        print(f"== {r['pair']}")
        print(
            f"   griffe: {r['griffe_breakages_public']} public breakages ({r['griffe_removed']} 'removed'), {r['griffe_seconds']} s"
        )
        print(
            f"   asyncguard: {r['asyncguard_changes']} changes, {r['asyncguard_breaking']} breaking, bump {r['asyncguard_bump']}, {r['asyncguard_seconds']} s"
        )
        print(
            f"   griffe breakages reported by asyncguard too: {r['reported']}; griffe 'removed' that still work (deprecated alias / re-export): {r['griffe_removed_wrong']}"
        )
        for row in r["rows"]:
            if row["asyncguard"] != "reported":
                print(f"   - {row['kind']:<28} {row['path']}: {row['asyncguard']}")
            elif args.verbose:
                print(
                    f"   + {row['kind']:<28} {row['path']}: asyncguard {', '.join(row['asyncguard_codes']) or 'reports it at the definition'}"
                )
        print(f"   sync<->async flips found by asyncguard (griffe has no such check): {len(r['flips'])}")
        for f in r["flips"]:
            print(f"   * {f['code']} {f['symbol']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 1 if any(r["unexplained"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Print asyncguard's findings for a project as JSON lines (analyzer only; for the mutation bench).

    python bench/ag_json.py ROOT [TARGET ...] [--python INTERPRETER]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from asyncguard.rules.engine import RuleConfig, analyze, discover_python_files


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("targets", nargs="*")
    parser.add_argument("--python")
    args = parser.parse_args()
    root = args.root
    files = None
    if args.targets:
        paths = [root / t for t in args.targets]
        files = [p for t in paths for p in (discover_python_files(t) if t.is_dir() else [t])]
    result = analyze(root, files, RuleConfig(python=args.python), cache_dir=None)
    for f in result.findings:
        print(json.dumps({"path": f.path, "line": f.line, "code": f.code, "message": f.message}))


if __name__ == "__main__":
    main()

"""Print asyncguard's findings for a project as JSON lines (analyzer only; for the mutation bench)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rules.engine import RuleConfig, analyze


def main() -> None:
    root = Path(sys.argv[1])
    targets = [root / t for t in sys.argv[2:]] or None
    files = None
    if targets:
        from rules.engine import discover_python_files

        files = [p for t in targets for p in (discover_python_files(t) if t.is_dir() else [t])]
    result = analyze(root, files, RuleConfig(), cache_dir=None)
    for f in result.findings:
        print(json.dumps({"path": f.path, "line": f.line, "code": f.code, "message": f.message}))


if __name__ == "__main__":
    main()

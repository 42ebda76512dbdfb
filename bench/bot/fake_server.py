"""Start the tests' fake GitHub with a generated repository and open pull requests (bench helper).

Prints one JSON line (url, app id, key file, repo, pulls) and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from fakegithub import FakeGitHub, GitRepo

REPO = "bench/big"


def module(i: int, n: int) -> str:
    other = (i * 7 + 3) % n
    return (
        f"from pkg.mod_{other:04d} import helper_{other:04d}\n\n\n"
        f"def helper_{i:04d}(x):\n    return x + {i}\n\n\n"
        f"class Service{i:04d}:\n"
        f"    def __init__(self, store):\n        self.store = store\n\n"
        f"    def lookup(self, key):\n        return self.store.get(key)\n\n"
        f"    async def handle(self, request):\n"
        f"        value = helper_{other:04d}(request)\n"
        f"        return self.lookup(value)\n\n\n"
        f"async def entry_{i:04d}(request):\n"
        f"    return await Service{i:04d}({{}}).handle(request)\n"
    )


def build(root: Path, files: int, pulls: int) -> GitRepo:
    git = GitRepo(root)
    tree: dict[str, str | bytes | None] = {"pkg/__init__.py": ""}
    tree.update({f"pkg/mod_{i:04d}.py": module(i, files) for i in range(files - 1)})
    git.commit("base", tree)
    for p in range(1, pulls + 1):
        git.checkout("main", new_branch=f"feature-{p}")
        # helper_000p becomes async; its caller in another module is touched near the call, not fixed
        target = p
        caller = next(i for i in range(files - 1) if (i * 7 + 3) % files == target)
        src = module(target, files).replace(f"def helper_{target:04d}", f"async def helper_{target:04d}")
        caller_src = module(caller, files).replace("        return self.lookup(value)\n",
                                                   "        return self.lookup(value)  # touched\n")
        git.commit(f"pr {p}", {f"pkg/mod_{target:04d}.py": src, f"pkg/mod_{caller:04d}.py": caller_src})
        git.checkout("main")
    return git


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--pulls", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="asyncguard-bench-"))
    git = build(tmp / "repo", args.files, args.pulls)
    fake = FakeGitHub()
    await fake.start()
    fake.add_repo(REPO, git, installation_id=77)
    pulls = {}
    for p in range(1, args.pulls + 1):
        pulls[p] = fake.open_pull(REPO, base_ref="main", head_ref=f"feature-{p}", number=p).head_sha
    key = tmp / "app.pem"
    key.write_text(fake.private_key_pem)
    print(json.dumps({"url": fake.url, "app_id": fake.app_id, "key": str(key), "repo": REPO,
                      "installation": 77, "pulls": pulls, "tmp": str(tmp)}), flush=True)
    while True:
        await asyncio.sleep(3600)
        if fake.invalid:
            print("INVALID:", fake.invalid, file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())

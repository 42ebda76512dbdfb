"""Generate a synthetic async project of N modules (default 1,000) for speed measurements.

Each module has a class with async and sync methods, module-level helpers, and imports of a few
earlier modules whose functions it calls (awaited correctly, so the tree is clean). Deterministic.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

TEMPLATE = '''"""Module {i} of the synthetic project."""

from __future__ import annotations

import asyncio
import logging
{imports}

log = logging.getLogger(__name__)


class Service{i}:
    """A service with a mix of sync and async methods."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[int] = []

    async def fetch(self, key: int) -> int:
        await asyncio.sleep(0)
        return key * {i}

    async def fetch_many(self, keys: list[int]) -> list[int]:
        results = await asyncio.gather(*(self.fetch(k) for k in keys))
        return list(results)

    def total(self) -> int:
        return sum(self.items)

    async def run(self) -> int:
        value = await self.fetch(1)
{calls}
        self.items.append(value)
        log.debug("service %s ran: %s", self.name, self.total())
        return self.total()


async def helper_{i}(x: int) -> int:
    service = Service{i}("helper")
    return await service.fetch(x)


def sync_helper_{i}(x: int) -> int:
    return x + {i}


async def main_{i}() -> None:
    task = asyncio.create_task(helper_{i}(1))
    await task
    print(sync_helper_{i}(2))
'''


def generate(out: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    pkg = out / "synth"
    pkg.mkdir(parents=True, exist_ok=True)
    (out / "pyproject.toml").write_text('[project]\nname = "synth"\nversion = "0"\n')
    (pkg / "__init__.py").write_text('"""Synthetic package."""\n')
    for i in range(n):
        deps = sorted(rng.sample(range(i), k=min(i, 3)))
        imports = "\n".join(f"from synth.mod{d:04d} import Service{d}, helper_{d}, sync_helper_{d}" for d in deps)
        calls = "\n".join(
            f"        value += await helper_{d}(value)\n        value += sync_helper_{d}(value)\n"
            f"        value += await Service{d}('x').fetch(value)"
            for d in deps
        )
        (pkg / f"mod{i:04d}.py").write_text(TEMPLATE.format(i=i, imports=imports, calls=calls or "        pass"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("-n", type=int, default=1000)
    args = parser.parse_args()
    generate(args.out, args.n)
    print(f"wrote {args.n} modules to {args.out}")


if __name__ == "__main__":
    main()

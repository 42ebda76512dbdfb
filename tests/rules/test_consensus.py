"""AG114: the project's own other call sites as evidence for a call nothing resolves.

Sketches of lightly annotated applications (a bot's cogs, a web app's views), written from scratch.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from asyncguard.checks.config import Settings
from asyncguard.checks.pipeline import run_check
from asyncguard.rules.engine import analyze
from tests.rules.helpers import Project, codes

COG = """
    class Cog:
        def __init__(self, bot):
            self.bot = bot

        async def one(self, url):
            async with self.bot.session.get(url) as resp:
                return await resp.text()

        async def two(self, ctx, url):
            async with ctx.typing():
                async with self.bot.session.get(url) as resp:
                    return await resp.json()

        async def three(self, ctx):
            async with ctx.typing():
                await self.bot.api.fetch_log(1)
            await ctx.bot.api.fetch_log(2)
            async for m in ctx.channel.history(limit=1):
                print(m)
            async for m in ctx.channel.history(limit=2):
                print(m)
"""


def test_with_for_and_missing_await_against_the_projects_own_uses(project: Project) -> None:
    found = project({
        "cogs/a.py": COG,
        "cogs/b.py": """
            async def deviant(self, ctx, url):
                with self.bot.session.get(url) as resp:
                    print(resp)
                with ctx.typing():
                    log = self.bot.api.fetch_log(3)
                    print(log["id"])
                for m in ctx.channel.history(limit=3):
                    print(m)
        """,
    })
    assert codes(found) == [("AG114", "cogs/b.py", 3), ("AG114", "cogs/b.py", 5), ("AG114", "cogs/b.py", 6),
                            ("AG114", "cogs/b.py", 8)]
    by_line = {f.line: f for f in found}
    assert "entered with `async with` (2, e.g. cogs/a.py:" in by_line[3].message
    assert "awaits every other `api.fetch_log(...)` call (2, e.g. cogs/a.py:" in by_line[6].message
    assert all(f.fix is not None and not f.fix.safe for f in found)  # evidence, not proof


def test_one_other_sync_use_means_the_form_names_two_kinds_of_object(project: Project) -> None:
    found = project({
        "a.py": """
            async def f(client):
                await client.get("/a")
                await client.get("/b")

            async def g(client):
                r = client.get("/c")
                return r.json()
        """,
        "sync_side.py": """
            def h(client):
                return client.get("/d").json()   # a sync client of the same name
        """,
    })
    assert codes(found) == []


def test_a_single_other_use_is_not_a_consensus(project: Project) -> None:
    found = project({"a.py": """
        async def f(store):
            await store.fetch(1)

        async def g(store):
            store.fetch(2)
    """})
    assert codes(found) == []


def test_handed_on_returned_and_builder_uses_are_not_deviations(project: Project) -> None:
    found = project({"a.py": """
        import asyncio

        async def f(app):
            await app.store.fetch(1)
            await app.store.fetch(2)
            await app.client.keys("p").route("n")
            await app.client.keys("q")
            await app.client.keys("r")

        async def g(app):
            asyncio.create_task(app.store.fetch(3))
            await asyncio.gather(*[app.store.fetch(i) for i in range(3)])
            t = app.store.fetch(4)
            await t

        def sync_wrapper(app):
            return app.store.fetch(5)      # a plain def handing the coroutine on
    """})
    assert codes(found) == []


def test_a_local_made_here_by_a_plain_call_is_not_the_projects_usual_object(project: Project) -> None:
    found = project({"a.py": """
        from websocket import create_connection

        async def f(session):
            ws = await session.ws_connect("u")
            await ws.close()

        async def g(other):
            await other.ws.close()

        async def h(url):
            ws = create_connection(url)    # websocket-client: a sync socket
            ws.close()
    """})
    assert codes(found) == []


def test_self_receivers_and_sync_functions_are_left_to_the_index(project: Project) -> None:
    found = project({"a.py": """
        class A:
            async def f(self):
                await self.helper.run()
                await self.helper.run()
                self.close()

            async def g(self):
                await self.close()
                await self.close()

        def sync(app):
            with app.session.get("u"):   # no `async with` possible here: another rule's business
                pass

        async def ok(app):
            async with app.session.get("a"):
                pass
            async with app.session.get("b"):
                pass
    """})
    assert codes(found) == []


def test_off_in_test_files_by_default_but_they_still_count_as_evidence(tmp_path: Path) -> None:
    files = {
        "app/views.py": """
            async def label(app, key):
                row = app.store.fetch(key)
                return row["key"]
        """,
        "tests/test_views.py": """
            async def test_a(app):
                assert await app.store.fetch(1)
                assert await app.store.fetch(2)

            async def test_builds_the_request_unawaited(app):
                app.store.fetch(3)
        """,
    }
    for rel, source in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(source))
    report = run_check(tmp_path, [tmp_path], Settings(), use_cache=False)
    assert [(f.code, f.path, f.line) for f in report.findings] == []  # the test's own sync use is evidence
    (tmp_path / "tests/test_views.py").write_text(textwrap.dedent(files["tests/test_views.py"]).replace(
        "app.store.fetch(3)", "await app.store.fetch(3)"))
    report = run_check(tmp_path, [tmp_path], Settings(), use_cache=False)
    assert [(f.code, f.path, f.line) for f in report.findings] == [("AG114", "app/views.py", 3)]


def test_an_edit_elsewhere_that_completes_the_consensus_rechecks_an_unchanged_file(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text("async def label(app):\n    return app.store.fetch(1)['k']\n")
    (tmp_path / "a.py").write_text("async def a(app):\n    await app.store.fetch(2)\n")
    cache = tmp_path / ".cache"
    assert analyze(tmp_path, cache_dir=cache).findings == []
    (tmp_path / "b.py").write_text("async def b(app):\n    await app.store.fetch(3)\n")
    found = analyze(tmp_path, cache_dir=cache).findings
    assert [(f.code, f.path, f.line) for f in found] == [("AG114", "views.py", 2)]
    (tmp_path / "c.py").write_text("def c(app):\n    app.store.fetch(4)\n")   # now a sync use elsewhere
    assert analyze(tmp_path, cache_dir=cache).findings == []

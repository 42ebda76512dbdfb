"""Issue 10's precision patterns: shapes of released code that were false alarms (must not flag),
each next to the accident the rule exists for (must still flag), in minimal code of our own."""

from __future__ import annotations

from asyncguard.rules.engine import RuleConfig
from tests.rules.helpers import Project, codes

# -- 1. dual-mode APIs ------------------------------------------------------------------------------


def test_ag102_a_sync_base_method_returning_a_method_an_async_subclass_overrides(project: Project) -> None:
    found = project({
        "kv/__init__.py": "",
        "kv/commands.py": """
            class Commands:
                def execute_command(self, *args):
                    return ("sent", args)

                def size(self):
                    return self.execute_command("DBSIZE")

                def ping(self):
                    return self.execute_command("PING")

                async def refresh(self):
                    # self may be the async client: size() is awaitable there
                    return await self.size()

            class Client(Commands):
                pass
        """,
        "kv/aio.py": """
            from kv.commands import Commands, Client

            class AsyncClient(Commands):
                async def execute_command(self, *args):
                    return args

            async def main():
                n = await AsyncClient().size()
                c = AsyncClient()
                await c.ping()
                await Client().size()  # the sync client's size() is a plain tuple: awaiting it fails
                return n
        """,
    })
    assert [f for f in codes(found) if f[0] in {"AG101", "AG102"}] == [("AG102", "kv/aio.py", 12)]


def test_ag101_ag102_methods_that_return_a_coroutine_only_in_async_mode(project: Project) -> None:
    found = project({"dual.py": """
        import asyncio

        class Client:
            def __init__(self, asynchronous=False):
                self.asynchronous = asynchronous

            async def _size(self):
                return 1

            def size(self):
                if self.asynchronous:
                    return self._size()
                return asyncio.run(self._size())

            def start(self):
                try:
                    asyncio.get_running_loop()
                except RuntimeError:
                    return asyncio.run(self._size())
                return self._size()

        async def in_a_loop():
            a = await Client(asynchronous=True).size()
            b = await Client().start()
            return a, b

        def without_a_loop():
            return Client().size(), Client().start()

        async def accident():
            Client()._size()
    """})
    assert codes(found) == [("AG101", "dual.py", 32)]


# -- 4. AG108: await-if-awaitable dispatch, parallel sync/async families, one report per pair ----


def test_ag108_hooks_dispatched_await_if_awaitable_accept_both_kinds(project: Project) -> None:
    found = project({
        "fw/__init__.py": "",
        "fw/core.py": """
            import inspect

            class Plugin:
                async def on_start(self, app):
                    pass

                def on_stop(self, app):
                    pass

                async def on_error(self, app):
                    pass

            async def start(plugins, app):
                for p in plugins:
                    result = p.on_start(app)
                    if inspect.isawaitable(result):
                        await result

            async def stop(plugins, app):
                for p in plugins:
                    await maybe_await(p.on_stop(app))

            async def maybe_await(value):
                return (await value) if inspect.isawaitable(value) else value
        """,
        "fw/mine.py": """
            from fw.core import Plugin

            class Mine(Plugin):
                def on_start(self, app):
                    print("sync start is fine")

                async def on_stop(self, app):
                    print("async stop is fine")

                def on_error(self, app):
                    print("but this hook is always awaited")
        """,
    })
    assert codes(found) == [("AG108", "fw/mine.py", 11)]


def test_ag108_a_deliberate_async_twin_of_a_sync_class_is_not_reported(project: Project) -> None:
    found = project({"client.py": """
        class Commands:
            def get(self, key):
                return self.execute("GET", key)

            def set(self, key, value):
                return self.execute("SET", key, value)

            def delete(self, key):
                return self.execute("DEL", key)

            def execute(self, *args):
                return None

        class AsyncCommands(Commands):
            async def get(self, key):
                return await self.execute_async("GET", key)

            async def set(self, key, value):
                return await self.execute_async("SET", key, value)

            async def delete(self, key):
                return await self.execute_async("DEL", key)

            async def execute_async(self, *args):
                return None

        class Slip(Commands):
            async def get(self, key):
                return None
    """})
    # the twin flips three methods together: a design; `Slip` flips one: the accident
    assert codes(found) == [("AG108", "client.py", 29)]


def test_ag108_base_out_of_step_with_all_its_overrides_is_reported_once_at_the_base(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "",
        "pkg/base.py": "class Handler:\n    async def handle(self, event):\n        raise NotImplementedError\n",
        "pkg/a.py": "from pkg.base import Handler\n\nclass A(Handler):\n    def handle(self, event):\n"
                    "        print(event)\n",
        "pkg/b.py": "from pkg.base import Handler\n\nclass B(Handler):\n    def handle(self, event):\n"
                    "        print(event)\n",
    })
    assert codes(found) == [("AG108", "pkg/base.py", 2)]
    assert "`pkg.a.A.handle`" in found[0].message and "`pkg.b.B.handle`" in found[0].message


def test_ag108_abstract_stub_implemented_by_a_sync_and_an_async_family(project: Project) -> None:
    """python-socketio's shape: `BaseClient._handle(self): raise NotImplementedError`, `Client`
    implements it with `def`, `AsyncClient` with `async def`."""
    found = project({"clients.py": """
        class BaseClient:
            def _handle(self, packet):
                raise NotImplementedError

            def emit(self, event):
                return None

        class Client(BaseClient):
            def _handle(self, packet):
                print(packet)

        class AsyncClient(BaseClient):
            async def _handle(self, packet):
                print(packet)

            async def emit(self, event):
                return None
    """})
    # the stub says nothing about the kind; `emit` has a body and one subclass flips it: reported
    assert codes(found) == [("AG108", "clients.py", 17)]


def test_ag108_a_base_on_an_unreadable_framework_class(project: Project) -> None:
    """tornado awaits a handler's `get` only if it returns something awaitable: a project base class
    over `RequestHandler` with `def get` and a subclass with `async def get` are both right."""
    found = project({"server.py": """
        import tornado.web

        class BaseHandler(tornado.web.RequestHandler):
            def get(self):
                self.write("ok")

        class LongHandler(BaseHandler):
            async def get(self):
                self.write("later")

        class Plain:
            def get(self):
                return 1

        class Slip(Plain):
            async def get(self):
                return 2
    """})
    assert codes(found) == [("AG108", "server.py", 17)]


# -- 2. awaitable objects that are not coroutines ------------------------------------------------


def test_ag101_awaitable_context_managers_returned_from_async_def(project: Project) -> None:
    found = project({"files.py": """
        import aiofiles
        import aiohttp

        async def open_resource(path):
            return aiofiles.open(path)

        async def request(session: aiohttp.ClientSession, url):
            ctx = session.request("GET", url)
            return ctx

        async def use(session: aiohttp.ClientSession, url):
            async with await open_resource("x") as f:
                print(await f.read())
            ctx = session.get(url)
            response = await ctx.__aenter__()
            print(response)

        async def slip():
            return helper()

        async def helper():
            return 1
    """})
    assert codes(found) == [("AG101", "files.py", 20)]  # a real coroutine returned un-awaited still is


# -- 3. dunders bound by assignment ---------------------------------------------------------------


def test_ag103_dunders_bound_by_assignment_in_the_class_body(project: Project) -> None:
    found = project({"locks.py": """
        class Lock:
            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc):
                return None

            def _sync_enter(self):
                return self

            def _sync_exit(self, *exc):
                return None

            __enter__ = _sync_enter
            __exit__ = _sync_exit

        class AsyncOnly:
            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc):
                return None

        async def main():
            with Lock():
                pass
            with AsyncOnly():
                pass
    """})
    assert codes(found) == [("AG103", "locks.py", 28)]


# -- 6. kept tasks --------------------------------------------------------------------------------


def test_ag109_tasks_kept_in_a_global_a_nonlocal_or_a_variable_read_later(project: Project) -> None:
    found = project({"tasks.py": """
        import asyncio

        _watcher = None

        async def work():
            pass

        async def start_global():
            global _watcher
            _watcher = asyncio.create_task(work())

        def make_starter():
            task = None

            async def start():
                nonlocal task
                task = asyncio.create_task(work())

            return start

        async def read_later(flag):
            for _ in range(3):
                last = asyncio.ensure_future(work())
            if flag:
                await last

        async def lost():
            t = asyncio.create_task(work())
            asyncio.create_task(work())
    """}, config=RuleConfig(extend_select=frozenset({"AG109"})))
    assert codes(found) == [("AG109", "tasks.py", 29), ("AG109", "tasks.py", 30)]


# -- 7. async overloads that return a Future -------------------------------------------------------


def test_ag112_async_overloads_returning_a_future_are_not_double_wrapped(project: Project) -> None:
    found = project({"hooks.py": """
        import asyncio
        import typing
        from typing import Literal, overload

        class Webhook:
            @overload
            async def send(self, text: str, wait: Literal[True]) -> str: ...

            @overload
            async def send(self, text: str, wait: Literal[False] = ...) -> asyncio.Future[None]: ...

            @typing.overload
            async def edit(self, wait: Literal[False]) -> asyncio.Future[None]: ...

            async def send(self, text, wait=False):
                return text

        async def wrong() -> asyncio.Future[int]:
            return 1
    """})
    assert codes(found) == [("AG112", "hooks.py", 19)]


# -- 5. blocking calls behind guards ---------------------------------------------------------------


def test_ag107_queue_get_that_cannot_wait(project: Project) -> None:
    found = project({"drain.py": """
        import queue

        async def drain(q: queue.Queue):
            while not q.empty():
                print(q.get())
            if q.qsize():
                print(q.get())
            print(q.get(False), q.get(block=False))

        async def wait(q: queue.Queue):
            print(q.get())
    """})
    assert codes(found) == [("AG107", "drain.py", 12)]


def test_ag107_a_blocking_call_under_a_parameter_guard_the_caller_rules_out(project: Project) -> None:
    found = project({
        "net/__init__.py": "",
        "net/hosts.py": """
            import socket
            import time

            def address(host, resolve=False):
                if host == "localhost":
                    return socket.gethostbyname(host)
                if resolve:
                    time.sleep(0.1)
                return host

            def pick(host, mode):
                if mode in ("dns", "both"):
                    socket.gethostbyname(host)
                else:
                    return host

            def rebound(host):
                host = host.lower()
                if host == "localhost":
                    socket.gethostbyname(host)

            def early(host):
                if host != "localhost":
                    return host
                return socket.gethostbyname(host)

            def connect(host, port=80):
                return early(host), port      # the value goes on down the chain

            def connect_resolved(host):
                return address(host, resolve=True)
        """,
        "net/app.py": """
            from net.hosts import address, connect, connect_resolved, early, pick, rebound

            async def handler(name):
                a = address("10.0.0.7")                   # neither branch can run: not reported
                b = address(host="example.org", resolve=False)
                c = pick("example.org", mode="static")    # the else branch: no lookup
                d = address("localhost")                  # the guard holds: reported
                e = address(name)                         # unknown value: reported
                f = address("10.0.0.7", resolve=True)     # the sleep: reported
                g = pick("example.org", "dns")            # reported
                h = rebound("LOCALHOST")                  # the test reads a rebound name: reported
                i = early("example.org")                  # returns before the lookup: not reported
                j = early("localhost")                    # reported
                k = connect("example.org")                # two calls down, still ruled out
                m = connect("localhost")                  # reported
                n = connect_resolved("example.org")       # the helper's own literal turns the sleep on
                return a, b, c, d, e, f, g, h, i, j, k, m, n
        """,
    })
    assert codes(found) == [("AG107", "net/app.py", 8), ("AG107", "net/app.py", 9), ("AG107", "net/app.py", 10),
                            ("AG107", "net/app.py", 11), ("AG107", "net/app.py", 12), ("AG107", "net/app.py", 14),
                            ("AG107", "net/app.py", 16), ("AG107", "net/app.py", 17)]


def test_ag108_one_sync_implementation_of_a_stub_among_async_ones_is_still_reported(project: Project) -> None:
    """tortoise's shape: `BaseDBAsyncClient.db_create` is a stub every backend implements with
    `async def`; one backend flipped to `def` is out of step, not a second family."""
    found = project({"backends.py": """
        class BaseClient:
            async def db_create(self):
                raise NotImplementedError

        class Postgres(BaseClient):
            async def db_create(self):
                pass

        class MySQL(BaseClient):
            async def db_create(self):
                pass

        class Sqlite(BaseClient):
            def db_create(self):
                pass
    """})
    assert codes(found) == [("AG108", "backends.py", 15)]


def test_ag108_an_async_face_that_only_delegates_to_the_sync_base_is_deliberate(project: Project) -> None:
    found = project({
        "mgr/__init__.py": "",
        "mgr/base.py": """
            class BaseManager:
                def connect(self, sid):
                    self.rooms = {sid}
                    return sid

                def leave(self, sid):
                    self.rooms.discard(sid)
        """,
        "mgr/aio.py": """
            from mgr.base import BaseManager

            class AsyncManager(BaseManager):
                async def connect(self, sid):
                    \"\"\"Note: this method is a coroutine.\"\"\"
                    return super().connect(sid)

                async def leave(self, sid):
                    BaseManager.leave(self, sid)

            class Accident(BaseManager):
                async def connect(self, sid):
                    await self.notify(sid)
                    return super().connect(sid)

                async def notify(self, sid):
                    pass
        """,
    })
    # the faces (whole body = the base's own method) are on purpose; a real async body is the accident
    assert codes(found) == [("AG108", "mgr/aio.py", 13)]

"""AG102-AG113: what each rule reports, and the near misses it must leave alone."""

from __future__ import annotations

from asyncguard.rules.engine import RuleConfig
from tests.rules.helpers import Project, codes


def test_ag102_await_on_plain_def_across_modules_with_fix(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "",
        "pkg/util.py": "def total(xs) -> int:\n    return sum(xs)\n\ndef nothing():\n    pass\n",
        "pkg/app.py": "from pkg.util import total, nothing\n\nasync def main():\n    x = await total([1])\n    await nothing()\n",
    })
    assert codes(found) == [("AG102", "pkg/app.py", 4), ("AG102", "pkg/app.py", 5)]
    edit = found[0].fix.edits[0] if found[0].fix else None
    assert edit is not None and (edit.column, edit.end_column, edit.replacement) == (9, 15, "")


def test_ag102_must_not_flag_awaitable_returning_defs(project: Project) -> None:
    found = project({"app.py": """
        import asyncio
        from typing import Awaitable

        async def work():
            return 1

        def factory():
            return work()

        def annotated() -> Awaitable[int]:
            return work()

        def future():
            return asyncio.ensure_future(work())

        class Base:
            def run(self):
                raise NotImplementedError

        class Child(Base):
            async def run(self):
                return 1

        def unknown_return(obj):
            return obj.get()

        async def main(b: Base, obj):
            await factory()
            await annotated()
            await future()
            await b.run()
            await unknown_return(obj)
    """})
    assert [c for c in codes(found) if c[0] == "AG102"] == []


def test_ag102_some_path_returns_a_non_awaitable(project: Project) -> None:
    """A plain def with an unannotated path that gives None, a literal or a number: `await` fails there."""
    found = project({"app.py": """
        import asyncio

        def find(name, items):
            for item in items:
                if item.name == name:
                    return item
            return None

        def score(expression, factor):
            return (1 - (1 / (len(expression) + 1) ** 2)) * factor

        def pick(event):
            result = None
            if event.kind == "a":
                result = event.a()
            if event.kind == "b":
                result = event.b()
            return result

        def trimmed(text):
            if not text:
                return text
            return "\\n".join(text.split()).strip()

        def make_event() -> "asyncio.Event":
            return asyncio.Event()

        async def main(items, event):
            await find("x", items)
            await score("ab", 2)
            await pick(event)
            await trimmed("a b")
            await make_event()
    """})
    assert codes(found) == [("AG102", "app.py", n) for n in (30, 31, 32, 33, 34)]
    assert "can return a non-awaitable value" in found[0].message


def test_ag102_must_not_flag_paths_that_may_give_an_awaitable(project: Project) -> None:
    found = project({"app.py": """
        import sys

        async def work():
            return 1

        def maybe_work(flag):
            if flag:
                return work()
            return None

        def chosen(flag, a, b):
            coro = None
            if flag:
                coro = a()
            else:
                coro = b()
            return coro

        def ends_in_exit(obj):
            if obj:
                return obj.run()
            sys.exit(1)

        def loop_forever(queue):
            while True:
                item = queue.get()
                if item:
                    return item.run()

        def via_local(obj):
            runner = obj.runner
            return runner()

        async def main(flag, a, b, obj, queue):
            await maybe_work(flag)
            await chosen(flag, a, b)
            await ends_in_exit(obj)
            await loop_forever(queue)
            await via_local(obj)
    """})
    assert [c for c in codes(found) if c[0] == "AG102"] == []


def test_ag103_ag104_context_manager_mixups(project: Project) -> None:
    found = project({"app.py": """
        import asyncio
        import threading
        from contextlib import asynccontextmanager, contextmanager

        @asynccontextmanager
        async def session():
            yield 1

        @contextmanager
        def opened():
            yield 1

        class AsyncOnly:
            async def __aenter__(self): return self
            async def __aexit__(self, *a): return None

        class Both(AsyncOnly):
            def __enter__(self): return self
            def __exit__(self, *a): return None

        async def main():
            with session():
                pass
            async with opened():
                pass
            with AsyncOnly():
                pass
            lock = asyncio.Lock()
            with lock:
                pass
            async with threading.Lock():
                pass
            with Both():
                pass
            async with Both():
                pass
            async with session():
                pass
    """})
    assert codes(found) == [("AG103", "app.py", 23), ("AG104", "app.py", 25), ("AG103", "app.py", 27),
                            ("AG103", "app.py", 30), ("AG104", "app.py", 32)]
    assert found[0].fix is not None and found[0].fix.edits[0].replacement == "async "


def test_ag105_ag106_iteration_mixups(project: Project) -> None:
    found = project({"app.py": """
        async def ticks():
            yield 1

        def numbers():
            yield 1

        class Stream:
            def __aiter__(self): return self
            async def __anext__(self): raise StopAsyncIteration

        async def main(s: Stream):
            for t in ticks():
                pass
            async for n in numbers():
                pass
            for x in s:
                pass
            async for y in [1, 2]:
                pass
            async for t in ticks():
                pass
            for n in numbers():
                pass
            xs = [t async for t in ticks()]
    """})
    assert codes(found) == [("AG105", "app.py", 13), ("AG106", "app.py", 15), ("AG105", "app.py", 17),
                            ("AG106", "app.py", 19)]


def test_ag107_blocking_directly_and_through_helpers_in_other_modules(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "",
        "pkg/helpers.py": "import time\nimport requests\n\ndef pause():\n    time.sleep(1)\n\ndef fetch(u):\n    return requests.get(u)\n\ndef outer():\n    pause()\n",
        "pkg/app.py": """
import asyncio
import time
from pkg import helpers
from pkg.helpers import outer

async def main():
    time.sleep(1)
    helpers.fetch("x")
    outer()
    await asyncio.to_thread(time.sleep, 1)
    await asyncio.get_running_loop().run_in_executor(None, lambda: time.sleep(1))

    def inner():
        time.sleep(1)

def sync_main():
    time.sleep(1)
""",
    })
    assert codes(found) == [("AG107", "pkg/app.py", 8), ("AG107", "pkg/app.py", 9), ("AG107", "pkg/app.py", 10)]
    assert found[2].chain == ("pkg.helpers.outer", "pkg.helpers.pause", "time.sleep")


def test_ag107_catalog_is_extensible(project: Project) -> None:
    config = RuleConfig(blocking_calls=("mylib.slow",))
    found = project({"app.py": "import mylib\n\nasync def main():\n    mylib.slow()\n"}, config=config)
    assert codes(found) == [("AG107", "app.py", 4)]


def test_ag108_override_mismatches_across_modules(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "",
        "pkg/base.py": """
from typing import Awaitable, Protocol

class Store(Protocol):
    async def save(self) -> None: ...

class Base:
    async def close(self):
        pass

    def handle(self):
        raise NotImplementedError

    async def fine(self):
        pass
""",
        "pkg/impl.py": """
from typing import Awaitable
from pkg.base import Base, Store

class Impl(Base):
    def close(self):
        pass

    async def handle(self):
        pass

    def fine(self) -> Awaitable[None]:
        return super().fine()

class Disk(Store):
    def save(self) -> None:
        return None
""",
    })
    # once per mismatch, at the override that is out of step (not a second copy at the base)
    assert [(c, p, ln) for c, p, ln in codes(found)] == [
        ("AG108", "pkg/impl.py", 6), ("AG108", "pkg/impl.py", 9), ("AG108", "pkg/impl.py", 16),
    ]


def test_ag109_dropped_tasks_opt_in(project: Project) -> None:
    files = {"app.py": """
        import asyncio

        async def work():
            pass

        tasks = set()

        async def main():
            asyncio.create_task(work())
            loop = asyncio.get_running_loop()
            loop.create_task(work())
            t = asyncio.ensure_future(work())
            kept = asyncio.create_task(work())
            tasks.add(kept)
            async with asyncio.TaskGroup() as tg:
                tg.create_task(work())
    """}
    assert codes(project(files)) == []  # off by default (a policy a team opts into, like ruff's RUF006)
    found = project(files, config=RuleConfig(extend_select=frozenset({"AG109"})))
    assert codes(found) == [("AG109", "app.py", 10), ("AG109", "app.py", 12), ("AG109", "app.py", 13)]


def test_ag111_and_ag112(project: Project) -> None:
    found = project({"app.py": """
        import asyncio
        from typing import Awaitable

        async def work() -> Awaitable[int]:
            return 1

        async def gen() -> Awaitable[int]:
            yield 1

        async def main():
            asyncio.run(work())
            asyncio.get_event_loop().run_until_complete(work())

        def sync_main():
            asyncio.run(work())
    """})
    assert codes(found) == [("AG112", "app.py", 5), ("AG111", "app.py", 12), ("AG111", "app.py", 13)]


def test_ag112_a_project_class_named_like_an_awaitable_is_a_plain_result(project: Project) -> None:
    """apscheduler's data store: `async def get_task(...) -> Task`, `Task` its own model class
    imported under TYPE_CHECKING; the name alone does not make it asyncio's Task."""
    found = project({"store/models.py": """
        class Task:
            id: str

        class Future:
            when: float
    """, "store/abc.py": """
        from __future__ import annotations
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from .models import Task
        from . import models

        class DataStore:
            async def get_task(self, task_id: str) -> Task:
                return None

            async def get_future(self) -> models.Future:
                return None

            async def get_quoted(self) -> "Task":
                return None
    """, "store/__init__.py": ""})
    assert codes(found) == []


def test_ag112_still_reports_asyncio_and_typing_awaitables_however_imported(project: Project) -> None:
    found = project({"app.py": """
        import asyncio
        import asyncio as aio
        import typing
        from asyncio import Task
        from collections.abc import Coroutine

        async def a() -> Task[int]:
            return 1

        async def b() -> aio.Future[int]:
            return 1

        async def c() -> typing.Awaitable[int]:
            return 1

        async def d() -> Coroutine[None, None, int]:
            return 1

        async def e() -> "asyncio.Task[int]":
            return 1
    """})
    assert codes(found) == [("AG112", "app.py", 8), ("AG112", "app.py", 11), ("AG112", "app.py", 14),
                            ("AG112", "app.py", 17), ("AG112", "app.py", 20)]


def test_ag113_is_off_by_default_and_opt_in(project: Project) -> None:
    files = {"app.py": """
        class Conn:
            async def commit_all(self):
                pass

        def run(conn):
            conn.commit_all()
    """}
    assert codes(project(files)) == []
    found = project(files, config=RuleConfig(extend_select=frozenset({"AG113"})))
    assert codes(found) == [("AG113", "app.py", 7)]


def test_select_ignore_and_severity(project: Project) -> None:
    from asyncguard.rules.model import Severity

    files = {"app.py": "import time\n\nasync def w():\n    pass\n\nasync def main():\n    w()\n    time.sleep(1)\n"}
    assert [c for c, _, _ in codes(project(files, config=RuleConfig(select=frozenset({"AG107"}))))] == ["AG107"]
    assert [c for c, _, _ in codes(project(files, config=RuleConfig(ignore=frozenset({"AG1"}))))] == []
    found = project(files, config=RuleConfig(severity={"AG101": Severity.WARNING}))
    assert [f.severity for f in found if f.code == "AG101"] == [Severity.WARNING]


def test_type_aliases_and_function_level_imports(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "",
        "pkg/conn.py": """
class Wrapper:
    async def __aenter__(self): return self
    async def __aexit__(self, *a): return None

class PoolWrapper(Wrapper):
    pass

ConnType = Wrapper | PoolWrapper

class Context:
    pass

def current() -> Context | None:
    return None

def acquire() -> ConnType:
    return Wrapper()
""",
        "pkg/app.py": """
def outer():
    from pkg.conn import current, acquire

    async def inner():
        ctx = await current()
        with acquire():
            pass
    return inner
""",
    })
    assert codes(found) == [("AG102", "pkg/app.py", 6), ("AG103", "pkg/app.py", 7)]


def test_generic_context_managers_bind_their_type_argument_and_abc_bases_count(project: Project) -> None:
    found = project({"app.py": """
        from collections.abc import Coroutine
        from typing import Generic, TypeVar

        T = TypeVar("T")

        class CursorCM(Coroutine):
            def __init__(self, coro): self._coro = coro
            def send(self, value): return self._coro.send(value)
            def throw(self, *a): return self._coro.throw(*a)
            def __await__(self): return self._coro.__await__()
            async def __aenter__(self): return self
            async def __aexit__(self, *a): return None

        class Connection:
            def cursor(self) -> CursorCM:
                return CursorCM(None)

        class Wrapper(Generic[T]):
            def __init__(self, conn: T) -> None:
                self.conn = conn
            async def __aenter__(self) -> T:
                return self.conn
            async def __aexit__(self, *a) -> None:
                return None

        def acquire() -> Wrapper[Connection]:
            return Wrapper(Connection())

        async def main():
            async with acquire() as connection:
                with connection.cursor() as cursor:
                    pass
    """})
    assert codes(found) == [("AG103", "app.py", 32)]


def test_futures_deliberate_double_wrapping_and_dead_branches_are_not_flagged(project: Project) -> None:
    """Found on installed async libraries: `for f in asyncio.as_completed(...)` is the classic loop;
    `run_in_executor` gives a future (its methods are for use, and it runs unawaited); an `async def`
    that really returns a task is double-wrapped on purpose; generated `if True: ... else:` code."""
    found = project({"app.py": """
        import asyncio
        from typing import Awaitable

        async def work():
            return 1

        async def pong() -> Awaitable[float]:
            return asyncio.ensure_future(work())

        async def wrong() -> Awaitable[int]:
            return 1

        async def unsupported() -> Awaitable[int]:
            raise NotImplementedError

        def setter(conn):
            if True:
                conn.flag = 1
            else:
                work()

        if False:
            def __del__():
                work()

        async def main(loop, tasks):
            for fut in asyncio.as_completed(tasks):
                await fut
            loop.run_in_executor(None, print).add_done_callback(print)
            loop.run_in_executor(None, print)
            closing = loop.run_in_executor(None, print)
            closing.add_done_callback(print)
    """})
    assert codes(found) == [("AG112", "app.py", 11)]


def test_ag108_a_plain_def_that_returns_a_future_is_compatible_with_async_overrides(project: Project) -> None:
    """aiomysql's Cursor.fetchone is a `def` returning `loop.create_future()`; SSCursor's is `async def`."""
    found = project({"cursors.py": """
        class Cursor:
            def fetchone(self):
                fut = self._loop.create_future()
                fut.set_result(None)
                return fut

            def close(self):
                self._rows = None

        class SSCursor(Cursor):
            async def fetchone(self):
                return None

            async def close(self):
                pass
    """})
    assert codes(found) == [("AG108", "cursors.py", 15)]  # at the override only


def test_isinstance_with_a_class_outside_the_index_drops_the_declared_type(project: Project) -> None:
    """nio's attachment reader: `data: Union[AsyncStream, Iterable]`, then `elif isinstance(data, Iterable):
    for chunk in data` is a plain loop over the plain-iterable member."""
    found = project({"app.py": """
        from typing import Iterable, Union

        class AsyncStream:
            def __aiter__(self):
                return self

            async def __anext__(self):
                raise StopAsyncIteration

        async def read(data: Union[AsyncStream, Iterable], other: AsyncStream):
            if isinstance(data, AsyncStream):
                async for chunk in data:
                    print(chunk)
            elif isinstance(data, Iterable):
                for chunk in data:
                    print(chunk)
            if isinstance(other, (list, tuple)):
                for item in other:
                    print(item)
            for item in other:
                print(item)
    """})
    assert codes(found) == [("AG105", "app.py", 21)]


def test_ag107_socket_calls_in_a_module_that_makes_sockets_non_blocking(project: Project) -> None:
    """anyio's and trio's own loops call `recv`/`send` on sockets they set non-blocking: not AG107,
    directly or through their helpers (`wakeup.drain()`). The same call elsewhere is."""
    found = project({
        "loop.py": """
            import socket

            class Wakeup:
                def __init__(self):
                    self.sock = socket.socket()
                    self.sock.setblocking(False)

                def drain(self):
                    self.sock.recv(1024)

            async def wait_readable(sock: socket.socket):
                sock.recv(1)
        """,
        "app.py": """
            import socket
            from loop import Wakeup

            async def handler(sock: socket.socket, wakeup: Wakeup):
                sock.recv(1024)
                wakeup.drain()
        """,
    })
    assert codes(found) == [("AG107", "app.py", 6)]

"""AG101/AG110: coroutines that are never awaited, across modules; and what must not be flagged."""

from __future__ import annotations

from tests.rules.helpers import Project, codes

DB = {
    "pkg/__init__.py": "",
    "pkg/db.py": """
        import asyncio

        async def connect():
            await asyncio.sleep(0)

        async def check() -> bool:
            return True

        class Client:
            async def fetch(self) -> int:
                return 1

            def sync(self) -> int:
                return 1
    """,
}


def test_the_incident_cross_module_call_without_await(project: Project) -> None:
    found = project({**DB, "pkg/app.py": """
        from pkg.db import connect

        def main():
            conn = connect()
            conn.close()
    """})
    assert codes(found) == [("AG101", "pkg/app.py", 5)]
    assert "pkg.db.connect" in found[0].message


def test_discarded_in_async_def_has_an_await_fix(project: Project) -> None:
    found = project({**DB, "pkg/app.py": """
        import pkg.db as db

        async def main():
            db.connect()
    """})
    assert codes(found) == [("AG101", "pkg/app.py", 5)]
    fix = found[0].fix
    assert fix is not None and fix.edits[0].replacement == "await " and fix.edits[0].column == 5


def test_relative_import_and_reexport_through_init(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "from .db import connect\n__all__ = ['connect']\n",
        "pkg/db.py": "async def connect():\n    pass\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/app.py": "from .. import connect\nfrom pkg import connect as c2\n\nasync def go():\n    connect()\n    c2()\n",
    })
    assert codes(found) == [("AG101", "pkg/sub/app.py", 5), ("AG101", "pkg/sub/app.py", 6)]


def test_self_method_through_inheritance_across_modules(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "",
        "pkg/base.py": "class Base:\n    async def save(self):\n        pass\n",
        "pkg/child.py": "from pkg.base import Base\n\nclass Child(Base):\n    async def run(self):\n        self.save()\n        super().save()\n",
    })
    assert codes(found) == [("AG101", "pkg/child.py", 5), ("AG101", "pkg/child.py", 6)]


def test_annotated_parameters_optional_and_string_annotations(project: Project) -> None:
    found = project({**DB, "pkg/app.py": """
        from typing import Optional
        from pkg.db import Client

        async def a(c: Client):
            c.fetch()

        async def b(c: Optional[Client]):
            c.fetch()

        async def d(c: "Client | None"):
            c.fetch()
    """})
    assert codes(found) == [("AG101", "pkg/app.py", 6), ("AG101", "pkg/app.py", 9), ("AG101", "pkg/app.py", 12)]


def test_locals_and_attributes_assigned_from_constructors_and_returns(project: Project) -> None:
    found = project({**DB, "pkg/app.py": """
        from pkg.db import Client

        def make() -> Client:
            return Client()

        class Service:
            def __init__(self):
                self.client = Client()

            async def run(self):
                self.client.fetch()

        async def main():
            c = make()
            c.fetch()
    """})
    assert codes(found) == [("AG101", "pkg/app.py", 12), ("AG101", "pkg/app.py", 16)]


def test_value_uses_are_reported(project: Project) -> None:
    found = project({**DB, "pkg/app.py": """
        import logging
        from pkg.db import Client, check
        log = logging.getLogger(__name__)

        async def main(c: Client):
            n = c.fetch() + 1
            print(c.fetch())
            log.info("got %s", c.fetch())
            s = f"{c.fetch()}"
            r = c.fetch()
            r.bit_length()
            if check():
                pass
            ok = check() == True
            _ = c.fetch()
            pending = [c.fetch()]
    """})
    assert codes(found) == [
        ("AG101", "pkg/app.py", 7), ("AG101", "pkg/app.py", 8), ("AG101", "pkg/app.py", 9),
        ("AG101", "pkg/app.py", 10), ("AG101", "pkg/app.py", 11), ("AG110", "pkg/app.py", 13),
        ("AG110", "pkg/app.py", 15), ("AG101", "pkg/app.py", 16), ("AG101", "pkg/app.py", 17),
    ]


def test_coroutine_used_as_context_manager_or_iterated(project: Project) -> None:
    found = project({**DB, "pkg/app.py": """
        from pkg.db import connect

        async def main():
            with connect() as c:
                pass
            for x in connect():
                pass
    """})
    assert codes(found) == [("AG101", "pkg/app.py", 5), ("AG101", "pkg/app.py", 7)]


def test_returned_from_async_def_is_reported_but_not_from_sync_def(project: Project) -> None:
    found = project({**DB, "pkg/app.py": """
        from pkg.db import connect

        async def wrong():
            return connect()

        def factory():
            return connect()
    """})
    assert codes(found) == [("AG101", "pkg/app.py", 5)]


def test_catalogued_library_coroutines(project: Project) -> None:
    found = project({"app.py": """
        import asyncio
        import aiohttp

        async def main(q: asyncio.Queue):
            asyncio.sleep(1)
            q.get()
            session = aiohttp.ClientSession()
            session.close()
    """})
    assert codes(found) == [("AG101", "app.py", 6), ("AG101", "app.py", 7), ("AG101", "app.py", 9)]


def test_must_not_flag(project: Project) -> None:
    found = project({**DB, "pkg/app.py": """
        import asyncio
        from pkg.db import connect, Client
        from somewhere import unknown, decorate

        @decorate
        async def wrapped():
            pass

        background = set()

        async def main(c: Client, other):
            await connect()
            x = connect()
            await x
            coros = [c.fetch() for _ in range(3)]
            await asyncio.gather(*coros)
            pending = []
            pending.append(connect())
            await asyncio.wait(pending)
            task = asyncio.create_task(connect())
            background.add(task)
            task.add_done_callback(background.discard)
            asyncio.ensure_future(connect()).add_done_callback(print)
            unknown(connect())
            other.fetch()
            wrapped()
            await asyncio.wait_for(c.fetch(), 1)
            self_stored = connect()
            self_stored.send(None)
            c.sync()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, c.sync)
            coro = connect()
            def later():
                return coro
            return await asyncio.shield(c.fetch())

        class Holder:
            def __init__(self):
                self.pending = connect()

            async def finish(self):
                await self.pending

        def sync_main():
            asyncio.run(connect())
            loop = asyncio.new_event_loop()
            loop.run_until_complete(connect())

        async def shadow():
            connect = lambda: 1
            connect()
    """})
    assert codes(found) == []


def test_conflicting_definitions_in_either_order(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "",
        "pkg/compat.py": "try:\n    def go():\n        pass\nexcept ImportError:\n    async def go():\n        pass\n",
        "pkg/app.py": "from pkg.compat import go\n\nasync def main():\n    go()\n",
    })
    assert codes(found) == []


def test_conflicting_definitions_make_the_callee_unknown(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "",
        "pkg/compat.py": "import sys\nif sys.version_info > (3, 12):\n    async def go():\n        pass\nelse:\n    def go():\n        pass\n",
        "pkg/app.py": "from pkg.compat import go\n\nasync def main():\n    go()\n",
    })
    assert codes(found) == []


def test_returned_from_sync_def_annotated_with_a_plain_type(project: Project) -> None:
    found = project({**DB, "pkg/app.py": """
        from pkg.db import check

        def is_ready() -> bool:
            return check()

        def passthrough():
            return check()
    """})
    assert codes(found) == [("AG101", "pkg/app.py", 5)]


def test_passed_to_a_project_parameter_typed_with_a_plain_class(project: Project) -> None:
    found = project({**DB, "pkg/app.py": """
        from pkg.db import Client

        async def make() -> Client:
            return Client()

        def use(client: Client, *, name: str = "") -> None:
            pass

        def schedule(coro) -> None:
            pass

        async def main():
            use(make())
            c = make()
            use(client=c)
            schedule(make())
    """})
    assert codes(found) == [("AG101", "pkg/app.py", 14), ("AG101", "pkg/app.py", 15)]


def test_isinstance_narrowing_and_generator_send_types(project: Project) -> None:
    found = project({"app.py": """
        from typing import AsyncGenerator

        class SyncStream:
            def close(self) -> None: ...

        class AsyncStream:
            async def aclose(self) -> None: ...

        class Reply:
            async def aread(self) -> bytes:
                return b""

        class Holder:
            def __init__(self, stream: SyncStream | AsyncStream) -> None:
                self.stream = stream

            async def aclose(self) -> None:
                if not isinstance(self.stream, AsyncStream):
                    raise RuntimeError("sync stream")
                self.stream.aclose()

            async def maybe(self, other) -> None:
                if isinstance(other, AsyncStream):
                    other.aclose()
                other.aclose()

        async def flow() -> AsyncGenerator[int, Reply]:
            reply = yield 1
            reply.aread()
    """})
    assert codes(found) == [("AG101", "app.py", 21), ("AG101", "app.py", 25), ("AG101", "app.py", 30)]


def test_registering_decorators_packages_and_attributes_of_several_classes(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "",
        "pkg/api/__init__.py": "from .migrate import migrate\n",
        "pkg/api/migrate.py": "async def migrate():\n    pass\n",
        "pkg/app.py": """
from pkg.api import migrate

def register(kind):
    def decorator(func):
        func.kind = kind
        return func
    return decorator

class A:
    async def close(self): ...

class B:
    async def close(self): ...

class Bot:
    def __init__(self, fast):
        if fast:
            self.conn = A()
        else:
            self.conn = B()

    @register("x")
    async def send(self):
        pass

    async def run(self):
        migrate()
        self.send()
        self.conn.close()
""",
    })
    assert codes(found) == [("AG101", "pkg/app.py", 28), ("AG101", "pkg/app.py", 29), ("AG101", "pkg/app.py", 30)]


def test_attributes_built_from_modules_imported_inside_the_method(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "",
        "pkg/pool.py": "class Pool:\n    async def aclose(self):\n        pass\n",
        "pkg/transport.py": """
class Transport:
    def __init__(self):
        import pkg.pool
        from pkg.pool import Pool
        self._pool = pkg.pool.Pool()
        self._other = Pool()

    async def aclose(self):
        self._pool.aclose()
        self._other.aclose()
""",
    })
    assert codes(found) == [("AG101", "pkg/transport.py", 10), ("AG101", "pkg/transport.py", 11)]


def test_attributes_and_locals_set_to_an_instance_or_none(project: Project) -> None:
    found = project({"app.py": """
        class Client:
            async def disconnect(self): ...

        class Bot:
            def __init__(self, token):
                self.client = Client() if token else None

            async def stop(self, flag):
                self.client.disconnect()
                other = None if flag else Client()
                other.disconnect()
    """})
    assert codes(found) == [("AG101", "app.py", 10), ("AG101", "app.py", 12)]


def test_coroutine_used_as_a_decorator(project: Project) -> None:
    """A decorator factory made `async def`: its coroutine is then applied to the function."""
    found = project({
        "pkg/__init__.py": "",
        "pkg/events.py": "async def register(kind):\n    def deco(f):\n        return f\n    return deco\n",
        "pkg/app.py": """
            from pkg.events import register

            @register("message")
            def handler():
                pass

            class Connector:
                @register("reply")
                async def send(self):
                    pass
        """,
    })
    assert codes(found) == [("AG101", "pkg/app.py", 4), ("AG101", "pkg/app.py", 9)]
    assert "(a decorator)" in found[0].message


def test_awaitable_query_iterated_without_await(project: Project) -> None:
    """An awaitable that can be sliced but not iterated (an ORM query set) in a plain `for`."""
    found = project({"app.py": """
        from __future__ import annotations
        from typing import Any, Generator

        class Query:
            def filter(self, **kw: Any) -> Query:
                return self

            def __getitem__(self, key: slice) -> Query:
                return self

            def __await__(self) -> Generator[Any, None, list]:
                yield

        class Rows:
            def __getitem__(self, i: int) -> int:
                return i

        async def ids(query: Query, pair: tuple[str, Query], rows: Rows):
            objs = query.filter(x=1)
            _name, related = pair
            out = [o for o in objs]
            for r in related.filter(y=2):
                out.append(r)
            for row in rows:  # an old-style sequence: fine
                out.append(row)
            for o in await query.filter(x=2):  # awaited: fine
                out.append(o)
            return out
    """})
    assert codes(found) == [("AG101", "app.py", 22), ("AG101", "app.py", 23)]
    assert "awaitable that is not iterable" in found[0].message


def test_tuple_unpacking_of_annotated_pairs(project: Project) -> None:
    found = project({
        "pkg/__init__.py": "",
        "pkg/conn.py": """
            class Conn:
                async def close(self):
                    pass

            def open_pair() -> tuple[str, Conn]:
                return "a", Conn()
        """,
        "pkg/app.py": """
            from pkg.conn import Conn, open_pair

            async def main(pair: tuple[Conn, int], triple: tuple[int, ...]):
                conn, _n = pair
                conn.close()
                name, other = open_pair()
                other.close()
                a, b = triple
                a.close()
        """,
    })
    assert codes(found) == [("AG101", "pkg/app.py", 6), ("AG101", "pkg/app.py", 8)]


def test_unannotated_parameters_typed_by_their_callers(project: Project) -> None:
    """Every project caller passes `self` of one class: the parameter is that class (tests ignored)."""
    found = project({
        "bot/__init__.py": "",
        "bot/core.py": """
            from asyncguard.bot.parsers import parse_always
            from asyncguard.bot.creator import SlackCreator, MatrixCreator

            class Core:
                async def run_skill(self, skill):
                    pass

                async def parse(self, event):
                    await parse_always(self, event)

            class Slack:
                def __init__(self):
                    self.creator = SlackCreator(self)

                async def lookup(self, name):
                    return name

            class Matrix:
                def __init__(self):
                    self.creator = MatrixCreator(connector=self)

                async def nick(self, name):
                    return name
        """,
        "bot/parsers.py": """
            async def parse_always(core, event):
                core.run_skill(event)
        """,
        "bot/creator.py": """
            class Creator:
                def __init__(self, connector):
                    self.connector = connector

            class SlackCreator(Creator):
                def __init__(self, connector, *args):
                    super().__init__(connector)
                    self.connector = connector

                async def create(self, event):
                    info = self.connector.lookup(event)
                    return info["name"]

            class MatrixCreator(Creator):
                def __init__(self, connector):
                    super().__init__(connector)

                async def create(self, event):
                    self.connector.nick(event)
        """,
        "bot/tests/__init__.py": "",
        "bot/tests/test_parsers.py": """
            from asyncguard.bot.parsers import parse_always
            from asyncguard.bot.creator import SlackCreator

            async def test_parse(mock_core, mock_connector):
                await parse_always(mock_core, {})
                SlackCreator(mock_connector)
        """,
    })
    assert codes(found) == [("AG101", "bot/creator.py", 12), ("AG101", "bot/creator.py", 20),
                            ("AG101", "bot/parsers.py", 3)]


def test_parameters_whose_callers_disagree_stay_unknown(project: Project) -> None:
    found = project({"app.py": """
        class A:
            async def close(self):
                pass

            def start(self):
                shutdown(self)

        class B:
            def close(self):
                pass

            def start(self):
                shutdown(self)

        class C:
            async def close(self):
                pass

            def start(self, other):
                stop(self)
                stop(other)

        def shutdown(thing):
            thing.close()

        def stop(thing):
            thing.close()
    """})
    assert codes(found) == []


def test_type_variables_class_objects_awaitables_and_callable_annotations(project: Project) -> None:
    """`type[MODEL]` with MODEL bound to Model; `Model._meta.db`; `a or b`; awaiting an object with
    `__await__`; an attribute typed `Callable[..., Awaitable[None]]`."""
    found = project({"orm.py": """
        from __future__ import annotations
        from typing import Any, Awaitable, Callable, Generator, Optional, TypeVar

        MODEL = TypeVar("MODEL", bound="Model")
        Handler = Callable[[dict], Awaitable[None]]

        class Client:
            async def execute(self, sql: str) -> None:
                pass

            async def cursor(self) -> Client:
                return self

        class Meta:
            db: Client

        class Model:
            _meta: Meta

        class Connecting:
            def __await__(self) -> Generator[Any, None, Client]:
                yield

        def connect() -> Connecting:
            return Connecting()

        class Relation:
            def __init__(self, model: type[MODEL], handler: Handler) -> None:
                self.model = model
                self.handler = handler

            async def add(self, using_db: Optional[Client] = None) -> None:
                db = using_db or self.model._meta.db
                db.execute("insert")
                conn = await connect()
                conn.execute("select")
                self.handler({})
    """})
    assert codes(found) == [("AG101", "orm.py", 35), ("AG101", "orm.py", 37), ("AG101", "orm.py", 38)]


def test_coroutine_stored_by_a_constructor_that_nothing_awaits(project: Project) -> None:
    """`Message(text, user=coro)`: `__init__` (through `super().__init__`, `*args` and `**kwargs`)
    only stores it, and no code awaits `.user`; a stored task that is awaited elsewhere is fine."""
    found = project({
        "chat/__init__.py": "",
        "chat/events.py": """
            class Event:
                def __init__(self, user=None, target=None, linked_event=None):
                    self.user = user
                    self.target = target
                    self.linked_event = linked_event

            class Message(Event):
                def __init__(self, text, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    self.text = text

            class Job:
                def __init__(self, work):
                    self.work = work

                async def run(self):
                    await self.work

            SQL = "SELECT {}"
        """,
        "chat/connector.py": """
            from chat.events import Job, Message, SQL

            class Connector:
                async def nick(self, uid):
                    return uid

                async def lookup(self, name):
                    return name

                async def handle(self, uid, text):
                    Message(self.lookup(text), user=self.nick(uid))
                    Message(text, None, self.nick(uid))
                    Job(self.nick(uid))
                    query = SQL.format(self.lookup(text))
                    return query
        """,
    })
    assert codes(found) == [("AG101", "chat/connector.py", 12), ("AG101", "chat/connector.py", 12),
                            ("AG101", "chat/connector.py", 13), ("AG101", "chat/connector.py", 15)]
    assert "stored in `Message.text`, which nothing awaits" in found[0].message


def test_abstract_async_stub_implemented_as_async_generators(project: Project) -> None:
    """python-socketio's pub/sub manager: the base `async def _listen` only raises
    NotImplementedError and every backend implements it as an async generator, so the base's
    `async for ... in self._listen()` is right. A stub whose overrides are coroutines still counts."""
    found = project({"pubsub.py": """
        class PubSub:
            async def _listen(self):
                raise NotImplementedError

            async def handle(self):
                \"\"\"Implemented by backends.\"\"\"

            async def run(self):
                async for message in self._listen():
                    print(message)
                self.handle()

        class RedisPubSub(PubSub):
            async def _listen(self):
                while True:
                    yield await self.read()

            async def handle(self):
                return None

            async def read(self):
                return b""
    """})
    assert codes(found) == [("AG101", "pubsub.py", 12)]

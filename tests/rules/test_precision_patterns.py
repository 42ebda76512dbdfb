"""Issue 10's precision patterns: shapes of released code that were false alarms (must not flag),
each next to the accident the rule exists for (must still flag), in minimal code of our own."""

from __future__ import annotations

from tests.rules.helpers import Project, codes

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

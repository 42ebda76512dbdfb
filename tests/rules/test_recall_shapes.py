"""Shapes of real projects where a type checker finds the missed `await` and the index must too.

Each test is a minimal sketch of a layout or typing idiom met in released code (Discord bots,
database-backed web apps), written here from scratch.
"""

from __future__ import annotations

from pathlib import Path

from asyncguard.rules.engine import analyze
from tests.rules.helpers import Project, codes

# A bot's layout: `cogs/` is a namespace folder (no `__init__.py`) holding extension modules and a
# regular package `cogs/utils/`; the extensions import it relatively, as `cogs.utils`.
NAMESPACE_BOT = {
    "cogs/utils/__init__.py": "",
    "cogs/utils/context.py": """
        class Context:
            async def prompt(self, text: str) -> bool:
                return True
    """,
    "cogs/utils/db.py": """
        async def fetch_config(guild_id):
            return {}
    """,
    "cogs/admin.py": """
        from __future__ import annotations
        from typing import TYPE_CHECKING
        from .utils import db
        if TYPE_CHECKING:
            from .utils.context import Context

        class Admin:
            async def purge(self, ctx: Context):
                if ctx.prompt("sure?"):
                    db.fetch_config(1)
    """,
    "bot.py": """
        from cogs.utils.context import Context

        async def on_message(ctx: Context):
            ctx.prompt("absolute import of the same module")
    """,
}


def test_relative_imports_from_a_namespace_folder_reach_the_package_inside(project: Project) -> None:
    found = codes(project(NAMESPACE_BOT))
    assert ("AG110", "cogs/admin.py", 10) in found  # `if ctx.prompt(...)`: a coroutine is always truthy
    assert ("AG101", "cogs/admin.py", 11) in found
    assert ("AG101", "bot.py", 5) in found


def test_a_namespace_alias_is_followed_when_only_the_importer_is_checked(project: Project, tmp_path: Path) -> None:
    project(NAMESPACE_BOT)
    result = analyze(tmp_path, [tmp_path / "cogs" / "admin.py"], cache_dir=None)
    assert [(f.code, f.line) for f in result.findings] == [("AG110", 10), ("AG101", 11)]


def test_a_declared_attribute_type_wins_over_what_is_assigned(project: Project) -> None:
    """`bot: Bot` in the class body is the type; `self.bot = cog.bot` (unknown here) does not undo it."""
    found = project({
        "app.py": """
            class Pool:
                async def execute(self, query): ...

            class Bot:
                pool: Pool

            class Item:
                bot: Bot

                def __init__(self, cog, record):
                    self.bot = cog.bot
                    self.id = record["id"]

                async def save(self):
                    self.bot.pool.execute("UPDATE ...")

            class Unsure:
                def __init__(self, cog):
                    self.bot = cog.bot  # nothing declared: unknown, not reported

                async def save(self):
                    self.bot.pool.execute("UPDATE ...")
        """,
    })
    assert codes(found) == [("AG101", "app.py", 16)]


def test_an_async_generator_stored_first_is_still_an_async_iterable(project: Project) -> None:
    found = project({
        "app.py": """
            class Guild:
                async def audit_logs(self, limit=10):
                    yield limit

            async def find(guild: Guild):
                entries = guild.audit_logs(limit=5)
                for entry in entries:
                    print(entry)
                again = guild.audit_logs()
                async for entry in again:
                    print(entry)
        """,
    })
    assert codes(found) == [("AG105", "app.py", 8)]


def test_a_for_loop_variable_is_an_element_of_the_annotated_iterable(project: Project) -> None:
    found = project({
        "app.py": """
            from typing import AsyncIterator, List, Union

            class Message:
                async def pin(self): ...

            class User:
                async def history(self) -> AsyncIterator[Message]:
                    yield Message()

            class Member(User):
                pass

            class Thread:
                members: list[Member]

                @property
                def recipients(self) -> List[Union[User, Member]]:
                    return []

                async def scan(self, pinned: "list[Message]"):
                    for user in self.recipients:
                        for msg in user.history():
                            msg.pin()
                        async for kept in user.history():
                            kept.pin()
                    for m in self.members:
                        async for msg in m.history():
                            await msg.pin()
                    for p in pinned:
                        p.pin()
                    for key in {"a": 1}:
                        key.upper()
        """,
    })
    assert codes(found) == [("AG105", "app.py", 23), ("AG101", "app.py", 26), ("AG101", "app.py", 31)]


def test_items_of_annotated_mappings_and_chained_assignment_targets(project: Project) -> None:
    found = project({
        "app.py": """
            import asyncio
            import weakref

            class Stars:
                def __init__(self) -> None:
                    self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
                    self.queues: dict[str, list[asyncio.Queue]] = {}

                async def star(self, guild_id: int):
                    lock = self._locks.get(guild_id)
                    if lock is None:
                        self._locks[guild_id] = lock = asyncio.Lock()
                    with lock:
                        pass
                    with self._locks[guild_id]:
                        pass
                    self.queues["a"][0].get()
                    plain = {}
                    with plain.get(guild_id):
                        pass
        """,
    })
    assert codes(found) == [("AG103", "app.py", 14), ("AG103", "app.py", 16), ("AG101", "app.py", 18)]


def test_type_arguments_given_to_a_generic_base_bind_inherited_members(project: Project) -> None:
    """A UI component parameterised by its view: `self.view` is that view, not the bound `View`."""
    found = project({
        "ui.py": """
            from typing import Generic, Optional, TypeVar

            class View:
                pass

            V = TypeVar("V", bound=View)

            class Item(Generic[V]):
                @property
                def view(self) -> Optional[V]:
                    return None

            class Button(Item[V]):
                pass
        """,
        "game.py": """
            import ui

            class Message:
                async def edit(self, content: str): ...

            class Button(ui.Button['BoardView']):
                async def callback(self):
                    self.view.parent_message.edit("won")

            class BoardView(ui.View):
                parent_message: Message

            class Plain(ui.Button):
                async def callback(self):
                    self.view.parent_message.edit("unknown view: not reported")
        """,
    })
    assert codes(found) == [("AG101", "game.py", 9)]


def test_calling_a_parameter_typed_as_a_coroutine_function(project: Project) -> None:
    """`func: Callable[..., Coroutine[...]]`, written out or through a module alias (a decorator's
    `FuncType`): calling it gives a coroutine, so returning or dropping it unawaited is AG101."""
    found = project({
        "deco.py": """
            from functools import wraps
            from typing import Any, Awaitable, Callable, Coroutine, TypeVar

            T = TypeVar("T")
            FuncType = Callable[..., Coroutine[Any, Any, T]]

            def translate(func: FuncType) -> FuncType:
                @wraps(func)
                async def inner(self, *args) -> T:
                    return func(self, *args)
                return inner

            async def notify(handler: Callable[[str], Awaitable[None]]) -> None:
                handler("ready")

            async def kept(handler: Callable[[str], Awaitable[None]]) -> None:
                await handler("awaited")
                pending = handler("gathered")
                await pending
        """,
    })
    assert codes(found) == [("AG101", "deco.py", 11), ("AG101", "deco.py", 15)]


def test_await_on_a_method_declared_to_return_none_despite_async_overrides(project: Project) -> None:
    """`def aclose(self) -> None: pass` in the base, `async def aclose` in a subclass: the base's
    own `await self.aclose()` fails for every subclass that keeps the no-op (AG102), and removing
    the `await` would drop the override's coroutine, so that fix is not safe. Without a declared
    result the base may be a dual-mode method, and stays unreported."""
    found = project({
        "transport.py": """
            class Transport:
                async def __aexit__(self, *exc) -> None:
                    await self.aclose()

                def aclose(self) -> None:
                    pass

            class Pooled(Transport):
                async def aclose(self) -> None:
                    print("closed")

            class Dual:
                async def __aexit__(self, *exc):
                    await self.shutdown()

                def shutdown(self):
                    return self.finish()

                def finish(self):
                    return None

            class AsyncDual(Dual):
                async def finish(self):
                    return None
        """,
    })
    # AG108 at line 24 is the dual family's own finding (one override out of step), not this rule's.
    assert codes(found) == [("AG102", "transport.py", 4), ("AG108", "transport.py", 10),
                            ("AG108", "transport.py", 24)]
    ag102 = next(f for f in found if f.code == "AG102")
    assert ag102.fix is not None and not ag102.fix.safe


def test_a_plain_def_that_only_returns_a_coroutine_hands_it_to_its_callers(project: Project) -> None:
    """The incident once removed: `get_manager` (a plain `def`) returns `initialize_manager(...)`,
    which became `async def`; its callers in other modules get a coroutine. Not when the wrapper
    can also return something else, or when a subclass overrides it (a dual-mode family)."""
    found = project({
        "mgr.py": """
            async def initialize_manager(config):
                return object()

            def get_manager(config):
                return initialize_manager(config)

            def maybe_manager(config):
                if not config:
                    return None
                return initialize_manager(config)

            class Factory:
                def build(self):
                    return initialize_manager({})

            class SyncFactory(Factory):
                def build(self):
                    return object()
        """,
        "app.py": """
            from mgr import Factory, get_manager, maybe_manager

            async def startup():
                m = get_manager({})
                m.send("hi")

            async def fine():
                m = await get_manager({})
                m.send("hi")
                pending = maybe_manager({})
                if pending:
                    await pending

            async def family(factory: Factory):
                factory.build().send("hi")
        """,
    })
    assert codes(found) == [("AG101", "app.py", 5)]
    assert "returned by the plain `def` `mgr.get_manager`" in found[0].message


def test_await_on_a_result_declared_optional(project: Project) -> None:
    """`def object_at(addr) -> Optional[Any]`: one way out is None, which `await` cannot take (AG102,
    as a type checker says). Not when the other member is surely awaitable (`Optional[Awaitable[int]]`,
    a `Task | None`): that is an "await if there is one" API, checked by its caller."""
    found = project({
        "lookup.py": """
            import asyncio
            from typing import Any, Awaitable, Optional

            def object_at(addr: int) -> Optional[Any]:
                return None

            def pending(key) -> Optional[Awaitable[int]]:
                return None

            def running() -> "asyncio.Task[int] | None":
                return None

            async def main():
                await object_at(1)
                await pending(1)
                await running()
        """,
    })
    assert codes(found) == [("AG102", "lookup.py", 15)]
    assert found[0].fix is not None and not found[0].fix.safe


def test_a_decorated_name_holds_the_object_its_decorator_is_annotated_to_return(project: Project) -> None:
    """`@cache.cache()` annotated `-> Callable[[...], CacheProtocol[R]]`, `@register` annotated
    `-> Registered`: the decorated name is that object, so its async methods need `await`."""
    found = project({
        "cache.py": """
            from typing import Any, Callable, Coroutine, Protocol, TypeVar

            R = TypeVar("R")

            class CacheProtocol(Protocol[R]):
                async def invalidate(self, *args: Any) -> bool: ...
                def get_stats(self) -> tuple[int, int]: ...

            def cache(maxsize: int = 128) -> Callable[[Callable[..., Coroutine[Any, Any, R]]], CacheProtocol[R]]:
                def decorator(func):
                    return func
                return decorator

            class Registered:
                async def unregister(self) -> None: ...

            def register(func) -> Registered:
                return Registered()

            def keep(func: Callable[..., R]) -> Callable[..., R]:
                return func
        """,
        "cog.py": """
            import cache
            from cache import keep, register

            class Cog:
                @cache.cache()
                async def get_feeds(self, channel_id: int) -> dict:
                    return {}

                async def command(self):
                    self.get_feeds.invalidate(self, 1)
                    self.get_feeds.get_stats()
                    await self.get_feeds.invalidate(self, 2)

            @register
            def handler():
                pass

            @keep
            def plain():
                pass

            async def shutdown():
                handler.unregister()
                plain.unregister()
        """,
    })
    assert codes(found) == [("AG101", "cog.py", 11), ("AG101", "cog.py", 24)]


def test_a_union_of_library_classes_is_compared_method_by_method(project: Project) -> None:
    """`Event = Union[asyncio.Event, trio_like.Event]` under TYPE_CHECKING, the return type of a
    factory: `.wait()` is async on both, so calling it unawaited is AG101. `.set()` is not awaited
    by anyone, and a member whose method is plain (`threading.Event`) keeps the call unknown."""
    site = ".venv/lib/python3.11/site-packages"
    found = project({
        f"{site}/trio_like/__init__.py": """
            class Event:
                async def wait(self) -> None: ...
                def set(self) -> None: ...
        """,
        ".venv/bin/python": "",
        "app.py": """
            import asyncio
            import threading
            import typing

            if typing.TYPE_CHECKING:
                import trio_like
                Event = typing.Union[asyncio.Event, trio_like.Event]
                Mixed = typing.Union[asyncio.Event, threading.Event]

            def create_event() -> "Event":
                return asyncio.Event()

            def create_mixed() -> "Mixed":
                return asyncio.Event()

            async def main():
                done = create_event()
                done.set()
                done.wait()
                either = create_mixed()
                either.wait()
        """,
    })
    assert codes(found) == [("AG101", "app.py", 20)]

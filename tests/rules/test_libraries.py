"""Installed libraries are read (never imported) so calls into them resolve; nothing is reported in them."""

from __future__ import annotations

from pathlib import Path

from asyncguard.rules.engine import RuleConfig
from tests.rules.helpers import Project, codes

SITE = ".venv/lib/python3.11/site-packages"
LIB = {
    f"{SITE}/extlib/__init__.py": "from .client import Client, fetch\n",
    f"{SITE}/extlib/client.py": """
        import time

        async def fetch(url):
            pass

        class Client:
            async def close(self):
                pass

            def blocking(self):
                time.sleep(1)

        async def bad():
            fetch("never awaited, but this is a library: not ours to report")
    """,
    ".venv/bin/python": "",
    "app.py": """
        import extlib
        from extlib import Client

        async def main(c: Client):
            extlib.fetch("x")
            c.close()
            c.blocking()
    """,
}


def test_calls_into_an_installed_library_resolve_through_its_source(project: Project) -> None:
    found = project(LIB)
    assert codes(found) == [("AG101", "app.py", 6), ("AG101", "app.py", 7), ("AG107", "app.py", 8)]
    assert "extlib.client.Client.close" in found[1].message


def test_libraries_can_be_turned_off_or_named_by_interpreter(project: Project, tmp_path: Path) -> None:
    assert codes(project(LIB, config=RuleConfig(libraries=False))) == []
    (tmp_path / ".venv").rename(tmp_path / "env")
    assert codes(project({"app.py": LIB["app.py"]})) == []
    found = project({"app.py": LIB["app.py"]}, config=RuleConfig(python=str(tmp_path / "env" / "bin" / "python")))
    assert [c for c, _, _ in codes(found)] == ["AG101", "AG101", "AG107"]


def test_catalogued_classes_fall_back_to_the_library_source_for_other_methods(project: Project) -> None:
    found = project({
        f"{SITE}/redis/__init__.py": "",
        f"{SITE}/redis/asyncio/__init__.py": "from .client import Redis\n",
        f"{SITE}/redis/asyncio/client.py": "class Redis:\n    async def execute_command(self, *a):\n        pass\n",
        ".venv/bin/python": "",
        "app.py": """
            import io
            from typing import cast
            from redis.asyncio import Redis

            class Store:
                async def read(self) -> bytes:
                    return b""

            async def main(obj):
                client = Redis()
                client.execute_command("PING")   # not in the catalog: read from the library
                client.get("k")                  # in the catalog
                store = cast("Store", obj)
                data = store.read()
                io.BytesIO(data)
        """,
    })
    assert codes(found) == [("AG101", "app.py", 12), ("AG101", "app.py", 13), ("AG101", "app.py", 15)]


def test_request_managers_through_helpers_properties_and_stored_with_targets(project: Project) -> None:
    """The mattermost/twitch shapes: a sync helper returning `session.get(...)`, an unannotated
    property, a catalogued class imported from its defining module, and a websocket stored from
    `async with session.ws_connect(...) as ws`."""
    found = project({
        f"{SITE}/aiohttp/__init__.py": "from .client import ClientSession\n",
        f"{SITE}/aiohttp/client.py": "class ClientSession:\n    def get(self, url):\n        pass\n",
        ".venv/bin/python": "",
        "chat/__init__.py": "",
        "chat/endpoints.py": """
            from aiohttp.client import ClientSession

            class Base:
                def __init__(self, client: ClientSession, url: str):
                    self._client = client
                    self._url = url

                def get(self, path):
                    return self._client.get(self._url + path)

            class Channels(Base):
                def by_name(self, name):
                    return self.get("/channels/" + name)
        """,
        "chat/driver.py": """
            import aiohttp
            from chat.endpoints import Channels

            class Driver:
                def __init__(self, client):
                    self._client = client

                @property
                def channels(self):
                    return Channels(self._client, "https://chat")

            class Connector:
                def __init__(self):
                    self.driver = Driver(None)
                    self.websocket = None

                async def listen(self):
                    async with aiohttp.ClientSession() as session:
                        async with session.ws_connect("wss://chat") as websocket:
                            self.websocket = websocket
                            await self.loop()

                async def loop(self):
                    for message in self.websocket:
                        print(message)

                async def channel(self, name):
                    with self.driver.channels.by_name(name) as response:
                        return response
                    async with self.driver.channels.by_name(name) as response:  # right
                        return response
        """,
    })
    assert codes(found) == [("AG105", "chat/driver.py", 25), ("AG103", "chat/driver.py", 29)]


def test_a_declared_local_type_wins_over_what_a_with_binds(project: Project) -> None:
    found = project({
        f"{SITE}/psycopg/__init__.py": """
            class AsyncCursor:
                async def __aenter__(self):
                    return self
                async def __aexit__(self, *a):
                    pass

            class AsyncServerCursor(AsyncCursor):
                pass

            class AsyncConnection:
                def cursor(self, name: str = "") -> AsyncCursor | AsyncServerCursor:
                    return AsyncCursor()
        """,
        ".venv/bin/python": "",
        "db.py": """
            import psycopg

            async def run(pool):
                connection: psycopg.AsyncConnection
                async with pool.acquire() as connection:
                    with connection.cursor() as cursor:
                        pass
        """,
    })
    assert codes(found) == [("AG103", "db.py", 7)]


# -- the standard library's stubs (typeshed, as shipped in typeshed_client) -------------------------

def test_standard_library_types_come_from_typeshed_stubs(project: Project) -> None:
    """No venv at all: what awaiting a catalogued coroutine gives and a stdlib base class's methods
    are read from typeshed, like any library's source."""
    found = project({
        "app.py": """
            import asyncio

            class Echo(asyncio.Protocol):
                async def data_received(self, data):   # the loop calls it and drops the coroutine
                    pass

                def connection_lost(self, exc):       # a plain def, as the base has it
                    pass

            async def main():
                proc = await asyncio.create_subprocess_exec("ls")
                proc.wait()                            # Process.wait is async in the stub
                await proc.communicate()
                proc.kill()                            # sync in the stub: nothing to say
                server = await asyncio.start_server(None, "localhost", 0)
                server.serve_forever()
        """,
    })
    assert codes(found) == [("AG108", "app.py", 5), ("AG101", "app.py", 13), ("AG101", "app.py", 17)]
    assert "asyncio.subprocess.Process.wait" in found[1].message


def test_stdlib_stubs_can_be_turned_off_with_the_libraries(project: Project) -> None:
    found = project({"app.py": """
        import asyncio

        async def main():
            proc = await asyncio.create_subprocess_exec("ls")
            proc.wait()
    """}, config=RuleConfig(libraries=False))
    assert codes(found) == []


def test_typing_is_still_modelled_by_name_not_read_from_its_stub(project: Project) -> None:
    """`typing.Protocol`, `cast`, the ABCs keep their meaning: typing's stub would only say less."""
    found = project({"app.py": """
        import typing
        from collections.abc import AsyncIterator

        class Source(typing.Protocol):
            async def fetch(self) -> bytes: ...

        class Stream(AsyncIterator[bytes]):
            async def __anext__(self) -> bytes:
                return b""

        async def main(obj, s: Stream):
            source = typing.cast(Source, obj)
            source.fetch()
            for chunk in s:
                pass
    """})
    assert codes(found) == [("AG101", "app.py", 14), ("AG105", "app.py", 15)]


def test_star_imports_bind_only_what_all_lists(project: Project) -> None:
    found = project({
        f"{SITE}/extlib/__init__.py": "from .impl import *\nfrom .other import *\n",
        f"{SITE}/extlib/impl.py": """
            __all__ = ["helper"]
            from extlib.sync import Client   # imported for its own use, not exported by `*`

            def helper():
                pass
        """,
        f"{SITE}/extlib/other.py": """
            class Client:
                async def close(self):
                    pass
        """,
        f"{SITE}/extlib/sync.py": """
            class Client:
                def close(self):
                    pass
        """,
        ".venv/bin/python": "",
        "app.py": """
            import extlib

            async def main():
                extlib.Client().close()
        """,
    })
    assert codes(found) == [("AG101", "app.py", 5)]
    assert "extlib.other.Client.close" in found[0].message


def test_a_decorator_named_property_makes_a_property_in_a_library(project: Project) -> None:
    """discord.py's `@utils.cached_slot_property('_cs_response')`: `interaction.response` is a value."""
    found = project({
        f"{SITE}/chat/__init__.py": """
            def cached_slot_property(name):
                def deco(func):
                    return func
                return deco

            class Response:
                async def send_message(self, text: str) -> None:
                    pass

            class Interaction:
                @cached_slot_property("_cs_response")
                def response(self) -> Response:
                    return Response()
        """,
        ".venv/bin/python": "",
        "app.py": """
            import chat

            async def reply(interaction: chat.Interaction):
                interaction.response.send_message("hi")
                await interaction.response.send_message("hi")
        """,
    })
    assert codes(found) == [("AG101", "app.py", 5)]

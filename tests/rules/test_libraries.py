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

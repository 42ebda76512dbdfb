"""A running bot server as the tests see it (built by the `start_bot` fixture in tests/conftest.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from .webhooks import WebhookSender


@dataclass
class BotServer:
    """A running bot (real aiohttp server on loopback) plus a signed-webhook sender."""

    url: str
    app: web.Application
    session: aiohttp.ClientSession
    webhook: WebhookSender

    @property
    def ctx(self) -> Any:
        from asyncguard.bot.app import CTX

        return self.app[CTX]

    async def settle(self, within: float = 60.0) -> None:
        """Wait until every queued delivery was handled and every PR run finished."""
        from asyncguard.bot.app import QUEUE

        async with asyncio.timeout(within):
            while True:
                await self.app[QUEUE].join()
                await self.ctx.scheduler.drain()
                await asyncio.sleep(0.02)
                if self.app[QUEUE].queue.empty() and not self.ctx.scheduler.busy():
                    return

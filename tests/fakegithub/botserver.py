"""A running bot server as the tests see it (built by the `start_bot` fixture in tests/conftest.py)."""

from __future__ import annotations

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
        """Wait until no job (delivery or PR run) is queued or running in the store."""
        from asyncguard.bot.app import WORKER

        worker = self.app[WORKER]
        assert worker is not None, "settle() needs a bot that runs its own worker"
        await worker.drain(within)

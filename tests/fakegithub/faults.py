"""Faults the fake GitHub can inject: server errors, rate limits, expired tokens, hangs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .server import FakeGitHub

KINDS = {"500", "rate_limit", "429", "secondary", "401", "hang", "422", "disconnect"}


@dataclass
class Fault:
    """`operation_id` ("*" = any) fails `times` times, after letting `skip` matching calls through.

    kind: "500" (option status=500|502|503), "rate_limit" (403, remaining 0, reset in
    `reset_in` s), "429" (Retry-After `retry_after` s, or x-ratelimit-reset when `reset_in`),
    "secondary" (403 secondary rate limit + Retry-After), "401" (Bad credentials),
    "hang" (sleep `seconds`, then 504), "422" (Validation Failed), "disconnect" (drop the socket).
    """

    operation_id: str
    kind: str
    times: int = 1
    options: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(KINDS)}")

    async def respond(self, fake: FakeGitHub, request: web.Request | None = None) -> web.StreamResponse | None:
        o = self.options
        if self.kind == "500":
            status = int(o.get("status", 500))
            return web.json_response({"message": "Server Error"}, status=status)
        if self.kind == "rate_limit":
            reset = int(time.time() + float(o.get("reset_in", 1))) + 1
            return web.json_response(
                {"message": "API rate limit exceeded for installation.", "documentation_url": "x"},
                status=403,
                headers={"x-ratelimit-remaining": "0", "x-ratelimit-limit": "5000", "x-ratelimit-reset": str(reset)},
            )
        if self.kind == "429":
            headers = {"x-ratelimit-remaining": "0"}
            if "reset_in" in o:
                headers["x-ratelimit-reset"] = str(int(time.time() + float(o["reset_in"])) + 1)
            else:
                headers["Retry-After"] = str(o.get("retry_after", 1))
            return web.json_response({"message": "Too many requests"}, status=429, headers=headers)
        if self.kind == "secondary":
            return web.json_response(
                {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
                status=403,
                headers={"Retry-After": str(o.get("retry_after", 1)), "x-ratelimit-remaining": "4000"},
            )
        if self.kind == "401":
            return web.json_response({"message": "Bad credentials"}, status=401)
        if self.kind == "422":
            return web.json_response({"message": "Validation Failed", "errors": [o.get("error", "invalid")]}, status=422)
        if self.kind == "hang":
            await fake.hang(float(o.get("seconds", 30)))
            return web.json_response({"message": "Gateway Timeout"}, status=504)
        if self.kind == "disconnect":
            if request is not None and request.transport is not None:
                request.transport.close()
            return web.json_response({"message": "dropped"}, status=500)
        return None


class FaultBox:
    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self.pending.append(fault)
        return fault

    def take(self, operation_id: str) -> Fault | None:
        for fault in self.pending:
            if fault.operation_id in ("*", operation_id):
                skip = int(fault.options.get("skip", 0))
                if skip > 0:
                    fault.options["skip"] = skip - 1
                    return None
                fault.fired += 1
                if fault.fired >= fault.times:
                    self.pending.remove(fault)
                return fault
        return None


@dataclass
class Hold:
    """The next call of `operation_id` whose JSON body satisfies `when` is carried out, then its
    answer is held back: the caller has changed GitHub but does not know it yet. `reached` is set
    then; the answer goes out when `release` is set (or never, if the caller was killed meanwhile).
    This is where a process killed "between GitHub and its own store" dies."""

    operation_id: str
    when: Callable[[Any], bool] | None = None
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    fired: int = 0

    def matches(self, operation_id: str, body: Any) -> bool:
        return not self.fired and operation_id == self.operation_id and (self.when is None or self.when(body))

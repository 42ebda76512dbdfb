"""Match a request to one of GitHub's operations and validate it with openapi-core.

OpenAPI path templates match one segment per parameter, but GitHub accepts `/` inside the
parameters marked `x-multi-segment` (a ref, a file path). We route those ourselves and hand
openapi-core the path with `/` sent as `%2F`, under GitHub's own host.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest

from tests.shared_data import OPENAPI_EXTRA, OPENAPI_SUBSET

SPEC_PATH = OPENAPI_SUBSET
GITHUB_HOST = "https://api.github.com"


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    template: str
    regex: re.Pattern[str]
    multi_segment: frozenset[str]


@dataclass
class Matched:
    operation: Operation
    params: dict[str, str]  # decoded path parameters


@functools.lru_cache(maxsize=1)
def _load() -> tuple[OpenAPI, tuple[Operation, ...]]:
    doc = _merged(json.loads(SPEC_PATH.read_text()), json.loads(OPENAPI_EXTRA.read_text()))
    ops: list[Operation] = []
    for op_id, spec in doc["x-subset"]["operations"].items():
        method, template = spec.split(" ", 1) if isinstance(spec, str) else (spec["method"], spec["path"])
        item = doc["paths"][template][method.lower()]
        params = list(item.get("parameters", [])) + list(doc["paths"][template].get("parameters", []))
        multi: set[str] = set()
        for p in params:
            if "$ref" in p:
                p = _resolve(doc, p["$ref"])
            if p.get("in") == "path" and p.get("x-multi-segment"):
                multi.add(p["name"])
        pattern = "^"
        for piece in re.split(r"(\{[^}]+\})", template):
            if piece.startswith("{"):
                name = piece[1:-1]
                pattern += f"(?P<{name}>.+)" if name in multi else f"(?P<{name}>[^/]+)"
            else:
                pattern += re.escape(piece)
        pattern += "$"
        ops.append(Operation(op_id, method.upper(), template, re.compile(pattern), frozenset(multi)))
    # literal segments beat parameters: try templates with more literal text first
    ops.sort(key=lambda o: -len(re.sub(r"\{[^}]+\}", "", o.template)))
    return OpenAPI.from_dict(doc), tuple(ops)


def _merged(doc: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """The shared subset plus tests/data/github-extra's operations (same upstream document, so a
    component both define is the same text; the shared one is kept)."""
    for template, item in extra["paths"].items():
        target = doc["paths"].setdefault(template, {})
        for method, op in item.items():
            target.setdefault(method, op)
    for kind, items in extra["components"].items():
        for name, node in items.items():
            doc["components"].setdefault(kind, {}).setdefault(name, node)
    doc["x-subset"]["operations"].update(extra["x-subset"]["operations"])
    return doc


def _resolve(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]


def operation_ids() -> set[str]:
    return {o.operation_id for o in _load()[1]}


def match(method: str, raw_path: str) -> Matched | None:
    """Find the operation for a request path (raw, still percent-encoded)."""
    for op in _load()[1]:
        if op.method != method.upper():
            continue
        m = op.regex.match(raw_path)
        if m:
            params = {k: unquote(v) for k, v in m.groupdict().items()}
            if any("/" in params[k] for k in params if k not in op.multi_segment):
                continue
            return Matched(op, params)
    return None


def validate(
    matched: Matched,
    method: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    content_type: str | None,
) -> None:
    """Raise (openapi-core's error) when the request does not conform to GitHub's description."""
    path = matched.operation.template
    for name, value in matched.params.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    api = _load()[0]
    api.validate_request(
        MockRequest(
            GITHUB_HOST,
            method.lower(),
            path,
            args=query,
            headers=headers,
            data=body or None,
            content_type=content_type or "application/json",
        )
    )

"""Extract the GitHub operations and webhook example the monitoring tests need beyond ../shared.

Same upstream as the shared subset: the npm package @octokit/openapi 23.0.2,
generated/api.github.com.json (sha256 829b4beb..., checked below), and @octokit/webhooks-examples /
@octokit/webhooks-schemas 7.6.1 for the `pull_request_review_comment` and `merge_group` deliveries
the shared data lacks.

    npm pack @octokit/openapi@23.0.2 @octokit/webhooks-examples@7.6.1 @octokit/webhooks-schemas@7.6.1
    (untar each) then: python extract.py <openapi-dir> <examples-dir> <schemas-dir>

Writes openapi-extra.json (standalone: the operations plus every component they reference,
`x-octokit` keys dropped as in the shared subset) and webhooks/.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHA256 = "829b4bebb19a53133289f7b0bc819f4f1118115821db2ca9f25e9ee995a7da2a"
OPERATIONS = [
    "reactions/list-for-pull-request-review-comment",
    "reactions/create-for-pull-request-review-comment",
    "issues/create",
    "issues/update",
    "issues/list-for-repo",
    "users/get-authenticated",
    "apps/list-installations-for-authenticated-user",
]


def _refs(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            out.add(ref)
        for v in node.values():
            _refs(v, out)
    elif isinstance(node, list):
        for v in node:
            _refs(v, out)


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k != "x-octokit"}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _get(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def openapi(src: Path) -> dict[str, Any]:
    raw = src.read_bytes()
    if hashlib.sha256(raw).hexdigest() != SHA256:
        raise SystemExit(f"{src}: not the document the shared subset was made from")
    doc = json.loads(raw)
    paths: dict[str, dict[str, Any]] = {}
    ops: dict[str, str] = {}
    for template, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") in OPERATIONS:
                paths.setdefault(template, {})[method] = _strip(op)
                ops[op["operationId"]] = f"{method.upper()} {template}"
                if "parameters" in item:
                    paths[template]["parameters"] = item["parameters"]
    missing = set(OPERATIONS) - set(ops)
    if missing:
        raise SystemExit(f"not in the document: {sorted(missing)}")
    components: dict[str, dict[str, Any]] = {}
    todo: set[str] = set()
    _refs(paths, todo)
    done: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in done:
            continue
        done.add(ref)
        _, _, kind, name = ref.split("/", 3)
        node = _strip(_get(doc, ref))
        components.setdefault(kind, {})[name] = node
        _refs(node, todo)
    return {
        "openapi": doc["openapi"], "info": doc["info"], "servers": doc["servers"], "paths": paths,
        "components": {kind: dict(sorted(items.items())) for kind, items in sorted(components.items())},
        "x-subset": {"source": "@octokit/openapi 23.0.2 generated/api.github.com.json", "sha256": SHA256,
                     "operations": ops, "changes": ["dropped x-octokit extension"]},
    }


def _pick(event: dict[str, Any], name: str) -> dict[str, Any]:
    if name == "pull_request_review_comment":
        # the newest shape (GitHub added start_line, reactions, ...): the first example has every field
        return next(x for x in event["examples"] if x.get("action") == "created" and "start_line" in x["comment"])
    return next(x for x in event["examples"] if x.get("action") == "checks_requested")


# (event, action): the deliveries the shared data lacks (review-comment replies; merge queues)
EVENTS = [("pull_request_review_comment", "created"), ("merge_group", "checks_requested")]


def webhooks(examples: Path, schemas: Path) -> None:
    index = json.loads((examples / "api.github.com" / "index.json").read_text())
    big = json.loads((schemas / "schema.json").read_text())
    for name, action in EVENTS:
        event = next(e for e in index if e["name"] == name)
        out = HERE / "webhooks" / name
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{action}.json").write_text(json.dumps(_pick(event, name), indent=2) + "\n")
        root = f"#/definitions/{name}${action}"
        todo, done = {root}, set()
        defs: dict[str, Any] = {}
        while todo:
            ref = todo.pop()
            if ref in done:
                continue
            done.add(ref)
            key = ref.removeprefix("#/definitions/")
            defs[key] = big["definitions"][key]
            _refs(defs[key], todo)
        schema = {"$schema": "http://json-schema.org/draft-07/schema", "$ref": root,
                  "definitions": dict(sorted(defs.items()))}
        sdir = HERE / "webhooks" / "schemas" / name
        sdir.mkdir(parents=True, exist_ok=True)
        (sdir / f"{action}.schema.json").write_text(json.dumps(schema, indent=1) + "\n")


def main(argv: list[str]) -> int:
    api_dir, examples_dir, schemas_dir = (Path(a) for a in argv)
    doc = openapi(api_dir / "generated" / "api.github.com.json")
    (HERE / "openapi-extra.json").write_text(json.dumps(doc, indent=1) + "\n")
    webhooks(examples_dir, schemas_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

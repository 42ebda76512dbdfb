"""The deployment files agree with the code: events handled, settings names, probe routes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from asyncguard.bot.app import build_router, make_app
from asyncguard.bot.settings import BotSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTINGS_SRC = (Path(__file__).resolve().parents[2] / "bot" / "settings.py").read_text()
ALWAYS_SENT = {"installation", "installation_repositories", "ping"}


def _known_env() -> set[str]:
    return set(re.findall(r'"(ASYNCGUARD_[A-Z_]+)"', SETTINGS_SRC))


def test_manifest_subscribes_exactly_to_handled_events() -> None:
    manifest = json.loads((DEPLOY / "github-app-manifest.json").read_text())
    handled = set(build_router()._shallow_routes) | set(build_router()._deep_routes)
    assert set(manifest["default_events"]) == handled - ALWAYS_SENT
    perms = manifest["default_permissions"]
    assert perms["checks"] == "write" and perms["pull_requests"] == "write" and perms["contents"] == "read"
    assert manifest["hook_attributes"]["url"].endswith("/webhook")


def test_compose_and_kubernetes_use_real_setting_names_and_routes() -> None:
    known = _known_env() | {"ASYNCGUARD_PRIVATE_KEY_PATH"}
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    env = compose["services"]["asyncguard"]["environment"]
    assert set(env) <= known
    docs = [yaml.safe_load(p.read_text()) for p in sorted((DEPLOY / "kubernetes").glob("*.yaml"))]
    deployment = next(d for d in docs if d.get("kind") == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert {e["name"] for e in container["env"]} <= known
    routes = {r.resource.canonical for r in make_app(BotSettings()).router.routes() if r.resource is not None}
    assert container["readinessProbe"]["httpGet"]["path"] in routes
    assert container["livenessProbe"]["httpGet"]["path"] in routes
    kustom = next(d for d in docs if d.get("kind") == "Kustomization")
    assert all((DEPLOY / "kubernetes" / r).is_file() for r in kustom["resources"])


def test_dockerfile_serves_with_healthcheck() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["asyncguard", "serve"]' in text
    assert "/healthz" in text and "USER asyncguard" in text
    for folder in re.findall(r"^COPY (\w+) \./", text, flags=re.M):
        assert (DEPLOY.parent / folder).is_dir()


def test_readme_documents_every_setting() -> None:
    readme = (DEPLOY / "README.md").read_text()
    missing = sorted(n for n in _known_env() if n not in readme)
    assert missing == []

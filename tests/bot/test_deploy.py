"""The deployment files agree with the code: events handled, settings names, probe routes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
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
    assert perms["merge_queues"] == "read"  # GitHub sends `merge_group` only to Apps with it
    assert manifest["hook_attributes"]["url"].endswith("/webhook")


def _kube_docs() -> list[dict]:
    return [d for p in sorted((DEPLOY / "kubernetes").glob("*.yaml")) for d in yaml.safe_load_all(p.read_text()) if d]


def test_compose_runs_web_and_workers_on_postgresql_with_real_setting_names() -> None:
    known = _known_env() | {"ASYNCGUARD_PRIVATE_KEY_PATH"}
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert {"postgres", "web", "worker"} <= set(services)
    assert services["web"]["deploy"]["replicas"] == 2 and services["worker"]["deploy"]["replicas"] == 2
    assert services["web"]["command"] == ["--web-only"]
    assert services["worker"]["entrypoint"] == ["asyncguard", "worker"]
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert set(env) <= known
        assert env["ASYNCGUARD_DATABASE_URL"].startswith("postgresql://")


def test_kubernetes_web_and_worker_deployments_use_real_names_routes_and_secrets() -> None:
    from asyncguard.bot.app import make_worker_app

    known = _known_env() | {"ASYNCGUARD_PRIVATE_KEY_PATH"}
    docs = _kube_docs()
    deployments = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Deployment"}
    assert set(deployments) == {"asyncguard-web", "asyncguard-worker"}
    apps = {"asyncguard-web": make_app(BotSettings(), with_worker=False), "asyncguard-worker": make_worker_app(BotSettings())}
    for name, dep in deployments.items():
        container = dep["spec"]["template"]["spec"]["containers"][0]
        assert {e["name"] for e in container["env"]} <= known
        secrets = {e["name"] for e in container["env"] if "valueFrom" in e}
        assert {"ASYNCGUARD_WEBHOOK_SECRET", "ASYNCGUARD_DATABASE_URL", "ASYNCGUARD_APP_ID"} <= secrets  # by reference
        routes = {r.resource.canonical for r in apps[name].router.routes() if r.resource is not None}
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in routes
        assert container["livenessProbe"]["httpGet"]["path"] in routes
        assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
    assert deployments["asyncguard-web"]["spec"]["template"]["spec"]["containers"][0]["args"] == ["--web-only"]
    assert deployments["asyncguard-worker"]["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "asyncguard", "worker"]
    hpas = {d["spec"]["scaleTargetRef"]["name"] for d in docs if d.get("kind") == "HorizontalPodAutoscaler"}
    assert hpas == set(deployments)
    kustom = next(d for d in docs if d.get("kind") == "Kustomization")
    assert all((DEPLOY / "kubernetes" / r).is_file() for r in kustom["resources"])


def test_kubernetes_manifests_validate_against_the_api_schemas() -> None:
    """Strict schema validation (kubernetes-validate; no cluster or container engine runs here)."""
    import kubernetes_validate

    docs = [d for d in _kube_docs() if d.get("kind") != "Kustomization"]
    assert len(docs) >= 5
    for doc in docs:
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
    broken = next(yaml.safe_load_all((DEPLOY / "kubernetes" / "web.yaml").read_text()))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


def test_dockerfile_serves_with_healthcheck() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["asyncguard", "serve"]' in text
    assert "/healthz" in text and "USER asyncguard" in text
    assert '"asyncguard[app]"' in text and '".[app]"' in text  # the server's packages are the app extra
    for folder in re.findall(r"^COPY (\w+) \./", text, flags=re.M):
        assert (DEPLOY.parent / folder).is_dir()


def test_readme_documents_every_setting() -> None:
    readme = (DEPLOY / "README.md").read_text()
    missing = sorted(n for n in _known_env() if n not in readme)
    assert missing == []

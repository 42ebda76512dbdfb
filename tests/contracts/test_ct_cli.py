"""`asyncguard contracts generate|check|diff` in a subprocess, on real git repositories."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
from ct_helpers import Repo, Run, git

BASE = {
    "pyproject.toml": '[project]\nname = "pkg"\nversion = "1.0.0"\n',
    "pkg/__init__.py": "from pkg.net import fetch\n",
    "pkg/net.py": "def fetch(url):\n    return url\n\ndef close():\n    pass\n",
    "pkg/use.py": "from pkg import fetch\n\nasync def main():\n    page = fetch('x')\n    return page\n",
}
HEAD = {
    "pyproject.toml": '[project]\nname = "pkg"\nversion = "1.1.0"\n',
    "pkg/net.py": "async def fetch(url):\n    return url\n\ndef close():\n    pass\n\ndef opened():\n    pass\n",
}
from tests.shared_data import SARIF_SCHEMA  # noqa: E402


def test_diff_between_refs_reports_the_flip_and_the_caller(
    make_repo: Callable[..., Repo], cli: Callable[..., Run]
) -> None:
    repo = make_repo(BASE, HEAD)
    run = cli("contracts", "diff", "base", "head", cwd=repo.path)
    assert run.code == 1, run.err
    assert "BREAKING   AG202 pkg.net.fetch became async" in run.out
    assert "still old-style: pkg/use.py:4:12" in run.out
    assert "compatible AG230 function pkg.net.opened was added" in run.out
    assert "recommended bump: major" in run.out
    assert "version 1.0.0 -> 1.1.0 is a minor bump, too small" in run.out
    assert git(repo.path, "status", "--porcelain") == ""  # the work tree is untouched


def test_diff_json_and_sarif(make_repo: Callable[..., Repo], cli: Callable[..., Run]) -> None:
    repo = make_repo(BASE, HEAD)
    data = json.loads(cli("contracts", "diff", "base", "head", "--format", "json", cwd=repo.path).out)
    assert data["bump"] == "major" and data["breaking"] == 1
    flip = next(c for c in data["changes"] if c["code"] == "AG202")
    assert flip["aliases"] == ["pkg.fetch"]
    assert flip["call_sites"] == [
        {"path": "pkg/use.py", "line": 4, "column": 12, "status": "old-style", "caller": "pkg.use.main"}
    ]
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert [(f["path"], f["line"]) for f in errors] == [("pkg/net.py", 1), ("pkg/use.py", 4)]
    sarif = json.loads(cli("contracts", "diff", "base", "head", "--format", "sarif", cwd=repo.path).out)
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"AG202", "AG230"}


def test_diff_writes_guide_and_changelog(
    make_repo: Callable[..., Repo], cli: Callable[..., Run], tmp_path: Path
) -> None:
    repo = make_repo(BASE, HEAD)
    guide, changelog = tmp_path / "MIGRATION.md", tmp_path / "CHANGELOG-section.md"
    run = cli(
        "contracts", "diff", "base", "head", "--guide", str(guide), "--changelog", str(changelog),
        "--release-version", "2.0.0", cwd=repo.path,
    )  # fmt: skip
    assert run.code == 1
    text = guide.read_text()
    assert "## 1. `pkg.net.fetch`" in text and "- [ ] `pkg/use.py:4` in `pkg.use.main`" in text
    log = changelog.read_text()
    assert log.startswith("## 2.0.0 - ")
    assert "### Added\n\n- `pkg.net.opened`" in log and "### Changed\n\n- `pkg.net.fetch`" in log


def test_diff_fixed_caller_passes_fail_on_error(
    make_repo: Callable[..., Repo], cli: Callable[..., Run]
) -> None:
    head = {
        **HEAD,
        "pkg/use.py": "from pkg import fetch\n\nasync def main():\n    page = await fetch('x')\n    return page\n",
    }
    repo = make_repo(BASE, head)
    run = cli("contracts", "diff", "base", "head", "--fail-on", "error", cwd=repo.path)
    assert run.code == 0, run.out + run.err
    assert "updated: pkg/use.py:4" in run.out


def test_allowlist_in_the_base_contract_file_approves_the_break(
    make_repo: Callable[..., Repo], cli: Callable[..., Run]
) -> None:
    allow = "format: 1\nallow:\n  - {code: AG202, symbol: pkg.net.fetch, reason: 'major release, callers told'}\nsymbols: {}\n"
    repo = make_repo({**BASE, "asyncguard.contracts.yaml": allow}, HEAD)
    run = cli("contracts", "diff", "base", "head", cwd=repo.path)
    assert run.code == 0, run.out
    assert "approved   AG202" in run.out and "major release, callers told" in run.out
    assert "GOVERNED" not in run.out


def test_an_allow_entry_the_head_adds_is_a_governed_change_not_an_approval(
    make_repo: Callable[..., Repo], cli: Callable[..., Run]
) -> None:
    """Like the bot (contracts.api.compare_trees): a change cannot approve itself."""
    allow = "format: 1\nallow:\n  - {code: AG202, symbol: pkg.net.fetch, reason: 'major release, callers told'}\nsymbols: {}\n"
    repo = make_repo(BASE, {**HEAD, "asyncguard.contracts.yaml": allow})
    run = cli("contracts", "diff", "base", "head", cwd=repo.path)
    assert run.code == 1, run.out
    assert "BREAKING   AG202 pkg.net.fetch became async" in run.out
    assert "GOVERNED   allow: AG202 pkg.net.fetch: the head adds an `allow:` entry" in run.out
    data = json.loads(cli("contracts", "diff", "base", "head", "--format", "json", cwd=repo.path).out)
    assert [sc["key"] for sc in data["setting_changes"]] == ["allow: AG202 pkg.net.fetch"]


def test_contract_settings_are_read_from_the_base_and_a_head_edit_is_governed(
    make_repo: Callable[..., Repo], cli: Callable[..., Run]
) -> None:
    narrowed = HEAD["pyproject.toml"] + '\n[tool.asyncguard.contracts]\nexclude = ["pkg.net"]\n'
    repo = make_repo(BASE, {**HEAD, "pyproject.toml": narrowed})
    run = cli("contracts", "diff", "base", "head", cwd=repo.path)
    assert run.code == 1, run.out
    # the head's `exclude` would hide pkg.net; the base's settings still govern it
    assert "BREAKING   AG202 pkg.net.fetch became async" in run.out
    assert "GOVERNED   [tool.asyncguard.contracts] exclude: the head changes `exclude`" in run.out
    # a settings edit alone (no interface change) still needs approval
    repo2 = make_repo(BASE, {"pyproject.toml": BASE["pyproject.toml"] + '\n[tool.asyncguard.contracts]\nexclude = ["pkg.use"]\n'},
                      name="repo2")
    only = cli("contracts", "diff", "base", "head", cwd=repo2.path)
    assert only.code == 1, only.out
    assert "no change to the public interface" in only.out and "GOVERNED" in only.out
    assert cli("contracts", "diff", "base", "head", "--fail-on", "never", cwd=repo2.path).code == 0


def test_generate_then_check_gates_the_interface(
    make_repo: Callable[..., Repo], cli: Callable[..., Run]
) -> None:
    repo = make_repo(BASE)
    assert cli("contracts", "generate", cwd=repo.path).code == 0
    lock = repo.path / "asyncguard.contracts.yaml"
    assert "pkg.fetch: {alias_of: pkg.net.fetch}" in lock.read_text()
    assert cli("contracts", "check", cwd=repo.path).code == 0
    (repo.path / "pkg/net.py").write_text("async def fetch(url):\n    return url\n\ndef close():\n    pass\n")
    run = cli("contracts", "check", cwd=repo.path)
    assert run.code == 1
    assert "AG202 pkg.net.fetch became async" in run.out and "no longer matches" in run.err


def test_diff_between_contract_files_and_directories(
    make_repo: Callable[..., Repo], cli: Callable[..., Run], tmp_path: Path
) -> None:
    repo = make_repo(BASE)
    assert cli("contracts", "generate", "-o", str(tmp_path / "old.yaml"), cwd=repo.path).code == 0
    (repo.path / "pkg/net.py").write_text("def fetch(url, *, timeout):\n    return url\n")
    run = cli("contracts", "diff", str(tmp_path / "old.yaml"), ".", cwd=repo.path)
    assert run.code == 1
    assert "AG201 function pkg.net.close was removed" in run.out
    assert "AG210" in run.out and "required parameter 'timeout'" in run.out


def test_bad_inputs_exit_2_with_one_line_and_write_nothing(
    make_repo: Callable[..., Repo], cli: Callable[..., Run], tmp_path: Path
) -> None:
    repo = make_repo(BASE, HEAD)
    guide = tmp_path / "guide.md"
    newer = tmp_path / "newer.yaml"
    newer.write_text("format: 99\nsymbols: {}\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 1\nsymbols: {a: [\n")
    cases = [
        (
            ("contracts", "diff", "no-such-ref", "head"),
            "'no-such-ref' is not a git ref, a directory or a contract file",
        ),
        (("contracts", "diff", str(newer), "head"), "contract format 99 is newer"),
        (("contracts", "diff", str(broken), "head"), "malformed contract file"),
    ]
    for args, message in cases:
        run = cli(*args, "--guide", str(guide), cwd=repo.path)
        assert run.code == 2, (args, run.out, run.err)
        assert message in run.err and run.err.count("\n") == 1 and "Traceback" not in run.err
        assert run.out == "" and not guide.exists()
    repo.commit({"pkg/bad.py": "def broken(:\n"})
    run = cli("contracts", "diff", "base", "HEAD", "--guide", str(guide), cwd=repo.path)
    assert run.code == 2 and "pkg/bad.py:1: cannot parse" in run.err and not guide.exists()
    lock = repo.path / "asyncguard.contracts.yaml"
    run = cli("contracts", "generate", cwd=repo.path)
    assert run.code == 2 and not lock.exists()
    run = cli("contracts", "check", cwd=repo.path)
    assert run.code == 2 and "create it with `asyncguard contracts generate`" in run.err


def test_diff_against_the_work_tree_uses_uncommitted_lines(
    make_repo: Callable[..., Repo], cli: Callable[..., Run]
) -> None:
    repo = make_repo(BASE)
    (repo.path / "pkg/net.py").write_text(HEAD["pkg/net.py"])
    (repo.path / "pkg/use.py").write_text(
        "from pkg import fetch\n\nasync def main():\n    page = await fetch('x')\n    return page\n"
    )
    run = cli("contracts", "diff", "HEAD", ".", cwd=repo.path)
    assert "updated: pkg/use.py:4" in run.out and "old-style" not in run.out
    assert run.code == 1  # the break itself is still unapproved


def test_project_in_a_subfolder_of_the_repository(
    make_repo: Callable[..., Repo], cli: Callable[..., Run]
) -> None:
    repo = make_repo({f"svc/{k}": v for k, v in BASE.items()}, {f"svc/{k}": v for k, v in HEAD.items()})
    run = cli("contracts", "diff", "base", "head", "--repo", "svc", cwd=repo.path)
    assert run.code == 1, run.err
    assert "AG202 pkg.net.fetch became async" in run.out and "still old-style: pkg/use.py:4:12" in run.out


def test_generate_keeps_approvals_and_config_is_validated(
    make_repo: Callable[..., Repo], cli: Callable[..., Run]
) -> None:
    config = (
        BASE["pyproject.toml"] + '\n[tool.asyncguard.contracts]\nfile = "api.lock.yaml"\nignore = ["AG230"]\n'
    )
    repo = make_repo({**BASE, "pyproject.toml": config})
    lock = repo.path / "api.lock.yaml"
    assert cli("contracts", "generate", cwd=repo.path).code == 0
    text = lock.read_text().replace(
        "allow: []", "allow:\n- {code: AG202, symbol: pkg.net.fetch, reason: planned}"
    )
    lock.write_text(text)
    assert cli("contracts", "generate", cwd=repo.path).code == 0
    assert "reason: planned" in lock.read_text()
    (repo.path / "pyproject.toml").write_text(config.replace('ignore = ["AG230"]', 'ignore = ["AG999"]'))
    run = cli("contracts", "check", cwd=repo.path)
    assert run.code == 2 and "unknown change code 'AG999'" in run.err

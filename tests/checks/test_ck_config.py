from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from asyncguard.checks.config import ConfigError, Settings, find_project_root, load_settings
from asyncguard.rules.model import Severity


def test_defaults_enable_every_default_rule_and_contract_code_but_not_opt_in() -> None:
    codes = Settings().enabled_codes()
    assert {"AG000", "AG101", "AG107", "AG202"} <= codes
    assert "AG113" not in codes


def test_pyproject_table_is_read_and_validated(make_project: Callable[..., Path]) -> None:
    root = make_project(
        {},
        pyproject="""
[tool.asyncguard]
select = ["AG1"]
ignore = ["AG107"]
extend-select = ["AG113"]
severity = { AG109 = "error", AG112 = "info" }
blocking-calls = ["mylib.io.fetch"]
async-callables = ["mylib.aio.get"]
exclude = ["generated/*"]
training-url = "https://docs.example.com/training/"
cache-dir = ".cache/ag"
contracts-file = "api.contract.json"
""",
    )
    s = load_settings(root)
    assert "AG101" in s.enabled_codes() and "AG113" in s.enabled_codes()
    assert "AG107" not in s.enabled_codes() and "AG000" not in s.enabled_codes()
    assert s.severity == {"AG109": Severity.ERROR, "AG112": Severity.INFO}
    assert s.blocking_calls == ("mylib.io.fetch",)
    assert s.async_callables == ("mylib.aio.get",)
    assert s.exclude == ("generated/*",)
    assert s.training_url == "https://docs.example.com/training/"
    assert s.cache_dir == ".cache/ag" and s.contracts_file == "api.contract.json"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as exc:
        Settings.from_mapping(
            {
                "selct": ["AG101"],
                "ignore": ["AG999"],
                "severity": {"AG101": "fatal"},
                "blocking-calls": ["a..b"],
            }
        )
    text = str(exc.value)
    assert "unknown key 'selct'" in text
    assert "'AG999'" in text
    assert "'fatal'" in text
    assert "'a..b'" in text
    assert len(text.splitlines()) == 4


def test_mapping_accepts_underscored_keys_and_comma_strings() -> None:
    s = Settings.from_mapping({"extend_select": "AG113, AG101", "ignore": "AG1"})
    assert s.extend_select == {"AG113", "AG101"}
    assert "AG101" not in s.enabled_codes()  # ignore wins


def test_cli_overrides_replace_select_and_add_ignores() -> None:
    s = Settings.from_mapping({"select": ["AG101", "AG107"], "ignore": ["AG109"]})
    t = s.with_overrides(select=["AG102"], ignore=["AG101"])
    assert t.select == {"AG102"}
    assert t.ignore == {"AG109", "AG101"}
    assert t.enabled_codes() == {"AG102"}
    with pytest.raises(ConfigError, match="AG1234"):
        s.with_overrides(select=["AG1234"])
    with pytest.raises(ConfigError, match="at least one code"):
        s.with_overrides(select=[])


def test_broken_toml_is_a_config_error(make_project: Callable[..., Path]) -> None:
    root = make_project({"pyproject.toml": "[tool.asyncguard\nselect = 1\n"}, pyproject=None)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(root)


def test_wrong_types_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="list of strings"):
        Settings.from_mapping({"exclude": 3})
    with pytest.raises(ConfigError, match="table of settings"):
        Settings.from_mapping(["select"])  # type: ignore[arg-type]


def test_no_pyproject_means_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == Settings()


def test_project_root_is_the_nearest_marker(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    sub = tmp_path / "services" / "api"
    (sub / "src" / "api").mkdir(parents=True)
    (sub / "pyproject.toml").write_text("", encoding="utf-8")
    (sub / "src" / "api" / "m.py").write_text("", encoding="utf-8")
    assert find_project_root([sub / "src" / "api" / "m.py"]) == sub.resolve()
    assert find_project_root([sub / "src", tmp_path / "services"]) == tmp_path.resolve()
    other = tmp_path / "loose"
    other.mkdir()
    assert find_project_root([other]) == tmp_path.resolve()  # .git above it


def test_rule_config_carries_the_settings() -> None:
    s = Settings.from_mapping(
        {"select": ["AG101"], "blocking-calls": ["x.y"], "severity": {"AG101": "warning"}}
    )
    rc = s.rule_config()
    assert rc.select == {"AG101"}
    assert rc.blocking_calls == ("x.y",)
    assert dict(rc.severity) == {"AG101": Severity.WARNING}

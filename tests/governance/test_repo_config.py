"""`.asyncguard.yml` parsing: valid keys, clear errors, safe fallbacks (the gate stays on)."""

from __future__ import annotations

from asyncguard.bot.governance.repo_config import DEFAULT_LABEL, load_repo_config


def test_no_file_means_defaults_with_gate_on() -> None:
    cfg = load_repo_config(None)
    assert not cfg.found and cfg.errors == []
    assert cfg.governance.gate_on
    assert cfg.governance.approval_label == DEFAULT_LABEL
    assert cfg.governance.stale_on_push is True
    assert cfg.annotate == "changed-lines"


def test_full_file_is_read() -> None:
    cfg = load_repo_config(
        """
governance:
  review_teams: [acme/architecture]
  reviewers: ["@alice", bob]
  approval_label: api-ok
  interface_paths: ["src/api/**"]
  breaking_changes: warn
  stale_on_push: false
rules: {ignore: [AG101]}
annotate: all
checklist: {extra: ["Update the changelog"]}
commands: {disabled: [doctor]}
"""
    )
    assert cfg.errors == []
    g = cfg.governance
    assert g.review_teams == ("acme/architecture",)
    assert g.reviewers == ("alice", "bob")
    assert g.approval_label == "api-ok"
    assert g.interface_paths == ("src/api/**",)
    assert g.breaking_changes == "warn" and not g.gate_on
    assert g.stale_on_push is False
    assert cfg.rules == {"ignore": ["AG101"]}
    assert cfg.settings is not None and "AG101" in cfg.settings.ignore
    assert cfg.annotate == "all"
    assert cfg.checklist_extra == ("Update the changelog",)
    assert cfg.commands_disabled == frozenset({"doctor"})


def test_invalid_yaml_falls_back_and_says_where() -> None:
    cfg = load_repo_config("governance:\n  review_teams: [acme/arch\n  breaking_changes: off\n")
    assert cfg.found
    assert cfg.governance.gate_on
    assert len(cfg.errors) == 1 and "not valid YAML" in cfg.errors[0] and "line" in cfg.errors[0]
    assert "gate stays on" in cfg.error_note()


def test_bad_values_fall_back_per_key() -> None:
    cfg = load_repo_config(
        """
governance:
  breaking_changes: maybe
  stale_on_push: "yes please"
  review_teams: [not a team]
  approval_label: ""
  colour: blue
annotate: everything
surprise: 1
"""
    )
    g = cfg.governance
    assert g.breaking_changes == "require-approval"
    assert g.stale_on_push is True
    assert g.review_teams == ()
    assert g.approval_label == DEFAULT_LABEL
    assert cfg.annotate == "changed-lines"
    text = "\n".join(cfg.errors)
    for needle in ("breaking_changes", "stale_on_push", "review_teams", "approval_label", "governance.colour",
                   "annotate", "surprise"):
        assert needle in text, needle


def test_top_level_not_a_mapping() -> None:
    cfg = load_repo_config("- just\n- a list\n")
    assert cfg.governance.gate_on and "mapping" in cfg.errors[0]


def test_bad_rules_section_reported_not_raised() -> None:
    cfg = load_repo_config("rules: {select: [NOPE999]}\ngovernance: {breaking_changes: off}\n")
    assert cfg.settings is None and cfg.rules == {}
    assert any(e.startswith("`rules`") for e in cfg.errors)
    assert cfg.governance.breaking_changes == "off"  # the rest of the file still applies


def test_gate_commands_cannot_be_disabled() -> None:
    cfg = load_repo_config("commands: {disabled: [approve, Recheck, frobnicate]}\n")
    assert cfg.commands_disabled == frozenset({"recheck"})
    joined = " ".join(cfg.errors)
    assert "frobnicate" in joined and "approve" in joined


def test_who_may_approve_sentence() -> None:
    cfg = load_repo_config("governance: {review_teams: [acme/arch], reviewers: [alice]}\n")
    assert cfg.governance.who_may_approve() == "members of `@acme/arch` or `@alice`"
    assert load_repo_config(None).governance.who_may_approve() == "repository admins and maintainers"

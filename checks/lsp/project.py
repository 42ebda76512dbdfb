"""One project as the language server sees it: its settings, its in-memory index, its findings.

The findings go through the same `pipeline.finalize` as `asyncguard check` (select/ignore,
severities, excludes, inline suppressions, here read from the unsaved buffers). A bad
`[tool.asyncguard]` is reported once and the previous settings (at start: the defaults) stay, so
the server keeps working while the file is being fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from asyncguard.checks.config import ConfigError, Settings, load_settings
from asyncguard.checks.pipeline import cache_dir_for, finalize
from asyncguard.rules.model import Finding
from asyncguard.rules.workspace import Workspace


@dataclass(eq=False)  # one object per root: held in sets and dict keys by identity
class Project:
    root: Path
    settings: Settings = field(default_factory=Settings)
    config_error: str | None = None  # the current pyproject.toml's problem, if it has one
    workspace: Workspace | None = None
    open: set[str] = field(default_factory=set)  # relative paths of the open buffers

    def load(self) -> str | None:
        """(Re)read the settings and, when they changed, rebuild the index; a new problem to show."""
        try:
            settings = load_settings(self.root)
        except ConfigError as exc:
            message = str(exc)
            is_new = message != self.config_error
            self.config_error = message
            if self.workspace is None:
                self.workspace = self._build(self.settings)
            return message if is_new else None
        self.config_error = None
        if self.workspace is None or settings != self.settings:
            self.settings = settings
            overlays = self.workspace.buffers() if self.workspace is not None else {}
            self.workspace = self._build(settings)
            for rel, text in overlays.items():
                self.workspace.set_buffer(rel, text)
        return None

    def _build(self, settings: Settings) -> Workspace:
        return Workspace(self.root, settings.rule_config(), cache_dir=cache_dir_for(self.root, settings))

    @property
    def ws(self) -> Workspace:
        if self.workspace is None:
            self.load()
        assert self.workspace is not None
        return self.workspace

    def findings(self, rel: str) -> list[Finding]:
        """What `asyncguard check` reports on this module, on the text the editor holds."""
        raw = self.ws.check(rel)
        text = self.ws.text_of(rel)
        found, _ = finalize(self.root, raw, self.settings, texts={rel: text} if text is not None else None)
        return found

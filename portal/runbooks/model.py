"""What a runbook is once parsed: its front matter, its body cut into prose, action and view blocks,
and the library of every runbook with the problems found while loading. No Streamlit here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

SERVICES: tuple[str, ...] = ("fleet", "push", "stats", "marketplace", "hosting")
SEVERITIES: tuple[str, ...] = ("sev1", "sev2", "sev3", "sev4")
REQUIRED_FIELDS: tuple[str, ...] = (
    "id", "title", "summary", "services", "tags", "severity", "owners", "last_reviewed",
)
ACTION_KEYS: frozenset[str] = frozenset({"action", "target", "label", "params"})
DEFAULT_TARGET = "{{ workspace }}"  # every action targets a workspace (or a hosted one) by id
VIEW_KEYS: frozenset[str] = frozenset({"view", "title"})

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{0,39}$")
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)")
LINK = re.compile(r"(?<!!)\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a runbook, printed as `file:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Markdown:
    """A stretch of markdown text between blocks; `line` is the file line it starts on."""

    text: str
    line: int


@dataclass(frozen=True)
class ActionBlock:
    """A fenced `action` block: run `action` on `target` with `params` (strings may hold `{{ context }}`)."""

    action: str
    target: str
    params: dict[str, Any]
    label: str | None
    line: int  # the opening fence
    name_line: int  # the `action = ...` line
    key_lines: dict[str, int] = field(default_factory=dict)  # param name -> file line
    index: int = 0  # position among the runbook's blocks: a stable widget key


@dataclass(frozen=True)
class ViewBlock:
    """A fenced `view` block: show the live view `view` for the page's context."""

    view: str
    title: str | None
    line: int  # the opening fence
    name_line: int  # the `view = ...` line
    index: int = 0


Segment = Markdown | ActionBlock | ViewBlock


@dataclass(frozen=True)
class Runbook:
    """A parsed runbook: its front matter, its body, and the body cut into segments."""

    id: str
    title: str
    summary: str
    services: tuple[str, ...]
    tags: tuple[str, ...]
    severity: str
    owners: tuple[str, ...]
    last_reviewed: date
    body: str
    path: Path
    segments: tuple[Segment, ...]
    body_line: int  # the file line the body starts on
    field_lines: dict[str, int] = field(default_factory=dict)  # front matter key -> file line

    @property
    def action_blocks(self) -> list[ActionBlock]:
        return [s for s in self.segments if isinstance(s, ActionBlock)]

    @property
    def view_blocks(self) -> list[ViewBlock]:
        return [s for s in self.segments if isinstance(s, ViewBlock)]

    def matches(self, query: str) -> bool:
        """Full-text search: every word of `query` appears in the title, tags, summary, id or body."""
        haystack = " ".join((self.id, self.title, self.summary, " ".join(self.tags), self.body)).lower()
        return all(word in haystack for word in query.lower().split())


@dataclass
class Library:
    """Every runbook that parsed, by id, and the problems found while loading."""

    runbooks: dict[str, Runbook] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def search(self, query: str = "", *, service: str | None = None, tag: str | None = None) -> list[Runbook]:
        """Runbooks matching the text, service and tag filters, by severity then title."""
        found = [
            rb for rb in self.runbooks.values()
            if (not query or rb.matches(query))
            and (not service or service in rb.services)
            and (not tag or tag in rb.tags)
        ]
        return sorted(found, key=lambda rb: (rb.severity, rb.title.lower()))

    @property
    def tags(self) -> list[str]:
        return sorted({t for rb in self.runbooks.values() for t in rb.tags})


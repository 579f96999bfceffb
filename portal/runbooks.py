"""Runbooks: markdown files with TOML front matter and fenced action and view blocks.

A runbook is `runbooks/<id>.md`: a `+++` fenced TOML front matter, then a markdown body. Fenced
blocks with the info string `action` or `view` hold TOML naming a registry action (with its
parameters) or a live view. Strings may refer to the page's context with `{{ name }}`. The format
is documented in the README ("Runbooks: markdown that runs"); `portal.runbooks_cli` lints it. No Streamlit here.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

RUNBOOKS_DIR = Path(__file__).resolve().parent.parent / "runbooks"

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
class ContextVariable:
    """A value a runbook may use as `{{ name }}`: where it comes from and what it may look like."""

    name: str
    description: str
    pattern: re.Pattern[str]
    example: str  # what lint substitutes before validating parameters


CONTEXT_VARIABLES: dict[str, ContextVariable] = {
    v.name: v
    for v in (
        ContextVariable("workspace", "workspace id (or uniqueId) from the link, e.g. ws_000042",
                        re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"), "ws_000001"),
        ContextVariable("delivery", "one push delivery id, e.g. d_1a2b3c",
                        re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"), "d_000001"),
        ContextVariable("since", "start of the incident window, ISO 8601 UTC (default: 24 h before until)",
                        re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:\d\d)?$"),
                        "2026-01-01T00:00:00Z"),
        ContextVariable("until", "end of the incident window, ISO 8601 UTC (default: now)",
                        re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:\d\d)?$"),
                        "2026-01-01T12:00:00Z"),
    )
}


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


# -- context --------------------------------------------------------------------------------------


def placeholders(text: str) -> list[str]:
    """The names used as `{{ name }}` in a text (in order, with repeats)."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text)]


def clean_context(raw: Mapping[str, Any], *, now: datetime | None = None) -> dict[str, str]:
    """Keep the context values that are well-formed (from an untrusted link); fill the time window.

    `until` defaults to now and `since` to 24 h before `until` (both to the minute, so a rerun
    of the page does not change an action's parameters).
    """
    context: dict[str, str] = {}
    for name, variable in CONTEXT_VARIABLES.items():
        value = raw.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        text = str(value).strip() if value is not None else ""
        if text and variable.pattern.match(text):
            context[name] = text
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    if "until" not in context:
        context["until"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if "since" not in context:
        until = datetime.fromisoformat(context["until"].replace("Z", "+00:00"))
        if until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        context["since"] = (until - timedelta(hours=24)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return context


def substitute(value: Any, context: Mapping[str, str]) -> Any:
    """`value` with `{{ name }}` replaced from `context`; None when a name is missing from it.

    Recurses into lists and tables; a string that is exactly one placeholder becomes the value.
    """
    if isinstance(value, str):
        missing = [name for name in placeholders(value) if name not in context]
        if missing:
            return None
        return PLACEHOLDER.sub(lambda m: context[m.group(1)], value)
    if isinstance(value, list):
        return [substitute(item, context) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, context) for key, item in value.items()}
    return value


def prefill(block: ActionBlock, context: Mapping[str, str]) -> dict[str, Any]:
    """The parameters to prefill a block's form with; fields whose context is missing are left out."""
    filled = {key: substitute(value, context) for key, value in block.params.items()}
    return {key: value for key, value in filled.items() if value is not None}


def block_target(block: ActionBlock, context: Mapping[str, str]) -> str | None:
    """The block's target with the context filled in, or None when the context lacks it."""
    return substitute(block.target, context) or None


def render_text(text: str, context: Mapping[str, str]) -> str:
    """Markdown prose with known placeholders replaced; unknown or missing ones are left as written."""
    return PLACEHOLDER.sub(lambda m: context.get(m.group(1), m.group(0)), text)


# -- parsing --------------------------------------------------------------------------------------


def _toml_error_line(error: tomllib.TOMLDecodeError, line_count: int) -> int:
    """The 1-based line of a TOML error within the parsed text ("at end of document": the last)."""
    match = re.search(r"line (\d+)", str(error))
    return int(match.group(1)) if match else max(line_count, 1)


def _toml_error_text(error: tomllib.TOMLDecodeError) -> str:
    text = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(error)).strip()
    return f"invalid TOML: {text}" if text else "invalid TOML"


def _key_lines(lines: list[str], first_line: int) -> dict[str, int]:
    """Map each `key = ...` (top-level or inside a [table]) to the file line it is written on."""
    found: dict[str, int] = {}
    for offset, text in enumerate(lines):
        match = re.match(r"^\s*([A-Za-z0-9_-]+)\s*=", text)
        if match and match.group(1) not in found:
            found[match.group(1)] = first_line + offset
        for inline in re.finditer(r"[{,]\s*([A-Za-z0-9_-]+)\s*=", text):
            found.setdefault(inline.group(1), first_line + offset)
    return found


def _parse_block(kind: str, lines: list[str], first_line: int, index: int,
                 path: str, problems: list[Problem]) -> Segment | None:
    """Parse the TOML inside an `action` / `view` fence; record problems; None when unusable."""
    open_line = first_line - 1
    try:
        data = tomllib.loads("\n".join(lines))
    except tomllib.TOMLDecodeError as error:
        problems.append(Problem(path, first_line - 1 + _toml_error_line(error, len(lines)),
                                f"{kind} block: {_toml_error_text(error)}"))
        return None
    key_lines = _key_lines(lines, first_line)
    allowed = ACTION_KEYS if kind == "action" else VIEW_KEYS
    for key in sorted(set(data) - allowed):
        problems.append(Problem(path, key_lines.get(key, open_line),
                                f"{kind} block: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"))
    name = data.get(kind)
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(path, key_lines.get(kind, open_line), f"{kind} block: missing `{kind} = \"<name>\"`"))
        return None
    if kind == "view":
        title = data.get("title")
        return ViewBlock(view=name, title=str(title) if title else None, line=open_line,
                         name_line=key_lines.get(kind, open_line), index=index)
    params = data.get("params", {})
    if not isinstance(params, dict):
        problems.append(Problem(path, key_lines.get("params", open_line),
                                "action block: params must be a table, e.g. params = { workspace_id = \"...\" }"))
        params = {}
    target = data.get("target", DEFAULT_TARGET)
    if not isinstance(target, str) or not target.strip():
        problems.append(Problem(path, key_lines.get("target", open_line),
                                "action block: target must be a non-empty string, e.g. target = \"{{ workspace }}\""))
        target = DEFAULT_TARGET
    label = data.get("label")
    return ActionBlock(action=name, target=target, params=params, label=str(label) if label else None, line=open_line,
                       name_line=key_lines.get(kind, open_line),
                       key_lines={k: key_lines.get(k, open_line) for k in params}, index=index)


def _split_body(body_lines: list[str], first_line: int, path: str,
                problems: list[Problem]) -> tuple[Segment, ...]:
    """Cut the body into markdown, action and view segments (other fences stay markdown)."""
    segments: list[Segment] = []
    prose: list[str] = []
    prose_start = first_line
    index = 0
    i = 0
    while i < len(body_lines):
        match = FENCE.match(body_lines[i])
        if not match:
            prose.append(body_lines[i])
            i += 1
            continue
        fence, info = match.group(1), match.group(2).lower()
        close = next((j for j in range(i + 1, len(body_lines))
                      if re.match(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$", body_lines[j])), None)
        if close is None:
            problems.append(Problem(path, first_line + i, f"code fence {fence} opened here is never closed"))
            close = len(body_lines)
        if info in ("action", "view"):
            if any(line.strip() for line in prose):
                segments.append(Markdown("\n".join(prose), prose_start))
            block = _parse_block(info, body_lines[i + 1:close], first_line + i + 1, index, path, problems)
            index += 1
            if block is not None:
                segments.append(block)
            prose, prose_start = [], first_line + close + 1
        else:
            prose.extend(body_lines[i:close + 1])
        i = close + 1
    if any(line.strip() for line in prose):
        segments.append(Markdown("\n".join(prose), prose_start))
    return tuple(segments)


def _check_front_matter(data: dict[str, Any], lines: dict[str, int], path: Path,
                        problems: list[Problem]) -> bool:
    """Check the front matter's fields; True when it is complete enough to build a Runbook."""
    where = str(path)
    before = len(problems)
    for key in sorted(set(data) - set(REQUIRED_FIELDS)):
        problems.append(Problem(where, lines.get(key, 1), f"front matter: unknown field {key!r}"))
    for key in REQUIRED_FIELDS:
        if key not in data:
            problems.append(Problem(where, 1, f"front matter: missing required field {key!r}"))

    def bad(key: str, message: str) -> None:
        problems.append(Problem(where, lines.get(key, 1), f"front matter: {key}: {message}"))

    for key in ("id", "title", "summary", "severity"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            bad(key, "must be a non-empty string")
    for key in ("services", "tags", "owners"):
        if key in data and (not isinstance(data[key], list) or not data[key]
                            or not all(isinstance(v, str) and v.strip() for v in data[key])):
            bad(key, "must be a non-empty list of strings")
    if isinstance(data.get("id"), str) and data["id"]:
        if not ID_PATTERN.match(data["id"]):
            bad("id", f"{data['id']!r} must be lowercase letters, digits and dashes (3 to 64)")
        elif data["id"] != path.stem:
            bad("id", f"{data['id']!r} must equal the file name ({path.stem!r})")
    if isinstance(data.get("severity"), str) and data["severity"] and data["severity"] not in SEVERITIES:
        bad("severity", f"{data['severity']!r} is not one of {', '.join(SEVERITIES)}")
    if isinstance(data.get("services"), list):
        for service in data["services"]:
            if isinstance(service, str) and service not in SERVICES:
                bad("services", f"unknown service {service!r} (known: {', '.join(SERVICES)})")
    if isinstance(data.get("tags"), list):
        for tag in data["tags"]:
            if isinstance(tag, str) and not TAG_PATTERN.match(tag):
                bad("tags", f"tag {tag!r} must be lowercase letters, digits, dots and dashes")
    if "last_reviewed" in data:
        value = data["last_reviewed"]
        if not isinstance(value, date) or isinstance(value, datetime):
            bad("last_reviewed", "must be a TOML date such as 2026-07-15 (no quotes)")
        elif value > datetime.now(UTC).date():
            bad("last_reviewed", f"{value.isoformat()} is in the future")
    return len(problems) == before


def parse_runbook(text: str, path: Path | str) -> tuple[Runbook | None, list[Problem]]:
    """Parse one runbook's text; the Runbook is None when its front matter is unusable."""
    path = Path(path)
    where = str(path)
    problems: list[Problem] = []
    lines = text.splitlines()
    if not lines or lines[0].strip() != "+++":
        return None, [Problem(where, 1, "front matter: the file must start with a `+++` line")]
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "+++"), None)
    if end is None:
        return None, [Problem(where, 1, "front matter: no closing `+++` line")]
    front = lines[1:end]
    try:
        data = tomllib.loads("\n".join(front))
    except tomllib.TOMLDecodeError as error:
        return None, [Problem(where, 1 + _toml_error_line(error, len(front)),
                              f"front matter: {_toml_error_text(error)}")]
    field_lines = _key_lines(front, 2)
    complete = _check_front_matter(data, field_lines, path, problems)
    body_lines = lines[end + 1:]
    segments = _split_body(body_lines, end + 2, where, problems)
    if not complete:
        return None, problems
    runbook = Runbook(
        id=data["id"], title=data["title"].strip(), summary=data["summary"].strip(),
        services=tuple(data["services"]), tags=tuple(data["tags"]), severity=data["severity"],
        owners=tuple(data["owners"]), last_reviewed=data["last_reviewed"],
        body="\n".join(body_lines), path=path, segments=segments, body_line=end + 2, field_lines=field_lines,
    )
    return runbook, problems


def runbook_files(paths: Iterable[Path | str] | None = None) -> list[Path]:
    """The `.md` files named, or found (not recursively) in the directories named; default `runbooks/`."""
    files: list[Path] = []
    for item in [RUNBOOKS_DIR] if paths is None else paths:
        item = Path(item)
        files.extend(sorted(item.glob("*.md")) if item.is_dir() else [item])
    return files


def load_library(paths: Iterable[Path | str] | None = None) -> Library:
    """Parse every runbook in `paths` (default: the `runbooks/` folder); duplicate ids are problems."""
    library = Library()
    for file in runbook_files(paths):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            library.problems.append(Problem(str(file), 1, f"cannot read: {error}"))
            continue
        runbook, problems = parse_runbook(text, file)
        library.problems.extend(problems)
        if runbook is None:
            continue
        if runbook.id in library.runbooks:
            first = library.runbooks[runbook.id].path
            library.problems.append(Problem(str(file), runbook.field_lines.get("id", 2),
                                            f"front matter: id {runbook.id!r} is already used by {first}"))
            continue
        library.runbooks[runbook.id] = runbook
    return library


# -- views and links -------------------------------------------------------------------------------

# The live views a `view` block may name; `portal/ui/runbook_view.py` implements each one.
VIEWS: dict[str, str] = {
    "workspace.summary": "the workspace's record: version and support, registration, token and secret dates",
    "push.outcomes": "push deliveries by outcome over the window (the workspace's, or gateway-wide)",
    "push.recent_failures": "the workspace's latest failed push deliveries in the window",
    "push.invalid_tokens": "device tokens flagged invalid (406) in the window, and the trend",
    "push.top_failing": "workspaces with the most failed deliveries in the window",
    "stats.latest": "the workspace's latest statistics report and how old it is",
    "marketplace.apps": "the workspace's installed apps and their subscriptions",
    "hosting.instance": "the hosted instance's status and recent events",
}


def link_target_id(target: str) -> str | None:
    """The runbook id a link points at (`runbook:<id>` or `<id>.md`), or None for other links."""
    if target.startswith("runbook:"):
        return target.removeprefix("runbook:").split("#")[0]
    path = target.split("#")[0]
    if "://" not in path and not path.startswith(("mailto:", "/")) and path.endswith(".md"):
        return Path(path).stem if Path(path).parent == Path(".") else path  # only siblings resolve
    return None

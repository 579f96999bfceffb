"""Reading runbook files: TOML front matter, the body cut into segments, every problem with its line."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from portal.runbooks.model import (
    ACTION_KEYS,
    DEFAULT_TARGET,
    FENCE,
    ID_PATTERN,
    REQUIRED_FIELDS,
    SERVICES,
    SEVERITIES,
    TAG_PATTERN,
    VIEW_KEYS,
    ActionBlock,
    Library,
    Markdown,
    Problem,
    Runbook,
    Segment,
    ViewBlock,
)

RUNBOOKS_DIR = Path(__file__).resolve().parents[2] / "runbooks"


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



def link_target_id(target: str) -> str | None:
    """The runbook id a link points at (`runbook:<id>` or `<id>.md`), or None for other links."""
    if target.startswith("runbook:"):
        return target.removeprefix("runbook:").split("#")[0]
    path = target.split("#")[0]
    if "://" not in path and not path.startswith(("mailto:", "/")) and path.endswith(".md"):
        return Path(path).stem if Path(path).parent == Path(".") else path  # only siblings resolve
    return None

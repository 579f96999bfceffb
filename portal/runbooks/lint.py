"""Runbook lint: everything that would make a runbook mislead or break at 3 a.m., with its file:line.

Checks the front matter, the TOML of action and view blocks, that each action exists in the
registry and that its parameters validate against the action's model (with example values for
context variables), that each view exists, that every `{{ name }}` is a known context variable,
and that links between runbooks resolve.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from portal.runbooks.context import CONTEXT_VARIABLES, placeholders, substitute
from portal.runbooks.model import FENCE, LINK, ActionBlock, Problem, Runbook
from portal.runbooks.parse import link_target_id, load_library
from portal.runbooks.views import VIEWS


def action_params_models() -> dict[str, Any]:
    """Each registered action's name → its pydantic parameter model (from `portal.actions`)."""
    from portal.actions.registry import default_registry

    return {spec.name: spec.params_model for spec in default_registry()}


def _check_params(block: ActionBlock, model: Any, where: str, problems: list[Problem]) -> None:
    """Validate a block's parameters against the action's model, with example context values.

    A required parameter the block leaves out is fine: the operator fills it in on the form.
    """
    from pydantic import ValidationError

    fields = getattr(model, "model_fields", {})
    examples = {name: variable.example for name, variable in CONTEXT_VARIABLES.items()}
    given: dict[str, Any] = {}
    for key, value in block.params.items():
        if key not in fields:
            problems.append(Problem(where, block.key_lines.get(key, block.line),
                                    f"action {block.action}: unknown parameter {key!r} "
                                    f"(parameters: {', '.join(fields) or 'none'})"))
            continue
        filled = substitute(value, examples)
        if filled is not None:  # an unknown placeholder: reported once by the placeholder check
            given[key] = filled
    try:
        model.model_validate(given)
    except ValidationError as error:
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else None
            if item["type"] == "missing" and name not in block.params:
                continue
            problems.append(Problem(where, block.key_lines.get(name or "", block.line),
                                    f"action {block.action}: parameter {name or '(all)'}: {item['msg']}"))


def _link_targets(runbook: Runbook) -> Iterable[tuple[int, str]]:
    """(file line, target) for each markdown link in the body, outside code."""
    fence: str | None = None
    for offset, text in enumerate(runbook.body.splitlines()):
        match = FENCE.match(text)
        if match:
            fence = None if fence and match.group(1)[0] == fence else (fence or match.group(1)[0])
            continue
        if fence:
            continue
        for link in LINK.finditer(re.sub(r"`[^`]*`", "", text)):
            yield runbook.body_line + offset, link.group(2)


def lint(paths: Iterable[Path | str] | None = None, *, actions: Mapping[str, Any] | None = None) -> list[Problem]:
    """Every problem in the runbooks under `paths` (default `runbooks/`), sorted by file and line."""
    library = load_library(paths)
    problems = list(library.problems)
    models = action_params_models() if actions is None else actions
    for runbook in library.runbooks.values():
        where = str(runbook.path)
        for offset, text in enumerate(runbook.body.splitlines()):
            for name in placeholders(text):
                if name not in CONTEXT_VARIABLES:
                    problems.append(Problem(where, runbook.body_line + offset,
                                            f"unknown context variable {{{{ {name} }}}} "
                                            f"(known: {', '.join(CONTEXT_VARIABLES)})"))
        for block in runbook.action_blocks:
            if block.action not in models:
                problems.append(Problem(where, block.name_line, f"unknown action {block.action!r}"))
            else:
                _check_params(block, models[block.action], where, problems)
        for view in runbook.view_blocks:
            if view.view not in VIEWS:
                problems.append(Problem(where, view.name_line,
                                        f"unknown view {view.view!r} (known: {', '.join(VIEWS)})"))
        for line, target in _link_targets(runbook):
            linked = link_target_id(target)
            if linked is not None and linked not in library.runbooks:
                problems.append(Problem(where, line, f"broken link {target!r}: no runbook with that id"))
    return sorted(set(problems), key=lambda p: (p.path, p.line, p.message))

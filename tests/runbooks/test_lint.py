"""Runbook lint: one deliberately broken runbook per kind of error, with its exact file:line message."""

from pathlib import Path

import pytest
from pydantic import AwareDatetime, BaseModel, Field

from portal.runbooks import cli as runbooks_cli
from portal.runbooks import lint as checks
from portal.runbooks.lint import lint

BROKEN = Path(__file__).parent / "broken"


class NoParams(BaseModel):
    pass


class MaintenanceParams(BaseModel):
    enabled: bool


class UpgradeParams(BaseModel):
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")


class WindowParams(BaseModel):
    since: AwareDatetime
    until: AwareDatetime


# A small stand-in for the action registry, so these tests do not depend on its contents.
ACTIONS = {
    "workspace.revoke_access_tokens": NoParams,
    "hosting.set_maintenance": MaintenanceParams,
    "hosting.upgrade": UpgradeParams,
    "push.resend": WindowParams,
}

EXPECTED = {
    "bad-last-reviewed.md": "9: front matter: last_reviewed: must be a TOML date such as 2026-07-15 (no quotes)",
    "bad-severity.md": "7: front matter: severity: 'urgent' is not one of sev1, sev2, sev3, sev4",
    "block-missing-action.md": '12: action block: missing `action = "<name>"`',
    "bad-target.md": '14: action block: target must be a non-empty string, e.g. target = "{{ workspace }}"',
    "block-toml-error.md": "17: action block: invalid TOML: Unclosed inline table",
    "block-unknown-key.md": "14: action block: unknown key 'workspace_id' (allowed: action, label, params, target)",
    "broken-link.md": "12: broken link 'runbook:no-such-runbook': no runbook with that id",
    "broken-relative-link.md": "12: broken link 'old-page.md': no runbook with that id",
    "front-matter-toml-error.md": "3: front matter: invalid TOML: Illegal character '\\n'",
    "id-mismatch.md": "2: front matter: id: 'some-other-id' must equal the file name ('id-mismatch')",
    "invalid-params.md": "15: action hosting.set_maintenance: parameter enabled: "
                         "Input should be a valid boolean, unable to interpret input",
    "missing-field.md": "1: front matter: missing required field 'summary'",
    "no-front-matter.md": "1: front matter: the file must start with a `+++` line",
    "unclosed-fence.md": "12: code fence ``` opened here is never closed",
    "unclosed-front-matter.md": "1: front matter: no closing `+++` line",
    "unknown-action.md": "13: unknown action 'workspace.reboot'",
    "unknown-context-variable.md": "12: unknown context variable {{ tenant }} "
                                   "(known: workspace, delivery, since, until)",
    "unknown-field.md": "9: front matter: unknown field 'author'",
    "unknown-param.md": "17: action workspace.revoke_access_tokens: unknown parameter 'force' (parameters: none)",
    "unknown-service.md": "5: front matter: services: unknown service 'email' "
                          "(known: fleet, push, stats, marketplace, hosting)",
    "unknown-view.md": "13: unknown view 'push.everything' (known: workspace.summary, push.outcomes, "
                       "push.recent_failures, push.own_pushes, push.invalid_tokens, push.top_failing, stats.latest, "
                       "marketplace.apps, hosting.instance)",
}


def test_the_broken_folder_has_one_file_per_expected_error():
    assert sorted(p.name for p in BROKEN.glob("*.md")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_broken_runbook_gives_exactly_its_error(name):
    # Linted with the whole folder, so links between the broken runbooks can resolve.
    problems = [str(p) for p in lint([BROKEN], actions=ACTIONS) if Path(p.path).name == name]
    assert problems == [f"{BROKEN / name}:{EXPECTED[name]}"]


def test_fixing_the_parameter_makes_the_runbook_clean(tmp_path):
    text = (BROKEN / "invalid-params.md").read_text().replace('enabled = "maybe"', "enabled = true")
    (tmp_path / "invalid-params.md").write_text(text)
    assert lint([tmp_path], actions=ACTIONS) == []


def test_templated_values_are_validated_with_example_context(tmp_path):
    text = (BROKEN / "invalid-params.md").read_text().replace("hosting.set_maintenance", "push.resend")
    text = text.replace('enabled = "maybe"', 'since = "{{ since }}", until = "{{ until }}"')
    (tmp_path / "invalid-params.md").write_text(text)
    assert lint([tmp_path], actions=ACTIONS) == []  # the examples are valid datetimes
    text = text.replace("push.resend", "hosting.upgrade").replace(
        'since = "{{ since }}", until = "{{ until }}"', 'version = "{{ delivery }}"')
    (tmp_path / "invalid-params.md").write_text(text)
    [problem] = lint([tmp_path], actions=ACTIONS)  # "d_000001" is not a version
    assert problem.line == 15 and "parameter version: String should match pattern" in problem.message


def test_a_required_parameter_left_out_is_for_the_operator_to_fill(tmp_path):
    text = (BROKEN / "unknown-action.md").read_text().replace("workspace.reboot", "hosting.upgrade")
    (tmp_path / "unknown-action.md").write_text(text)
    assert lint([tmp_path], actions=ACTIONS) == []


def test_cli_prints_file_line_messages_and_exits_non_zero(monkeypatch, capsys):
    monkeypatch.setattr(checks, "action_params_models", lambda: ACTIONS)
    assert runbooks_cli.main(["lint", str(BROKEN / "unknown-view.md"), str(BROKEN / "bad-severity.md")]) == 1
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        f"{BROKEN / 'bad-severity.md'}:{EXPECTED['bad-severity.md']}",
        f"{BROKEN / 'unknown-view.md'}:{EXPECTED['unknown-view.md']}",
    ]
    assert "2 problem(s) found" in out.err


def test_cli_exits_zero_when_clean(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(checks, "action_params_models", lambda: ACTIONS)
    text = (BROKEN / "unknown-view.md").read_text().replace("push.everything", "push.outcomes")
    (tmp_path / "unknown-view.md").write_text(text)
    assert runbooks_cli.main(["lint", str(tmp_path)]) == 0
    assert capsys.readouterr().out == ""


def test_python_dash_m_portal_runbooks_lint_is_wired():
    from portal.__main__ import COMMANDS

    assert COMMANDS["runbooks"][0] == "portal.runbooks.cli"

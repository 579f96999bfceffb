"""The shipped runbooks: every one lints clean against the real action registry, and they cover the services."""

from portal.policy import ACTION_RULES
from portal.runbooks import RUNBOOKS_DIR, SERVICES, VIEWS, load_library
from portal.runbooks.cli import main
from portal.runbooks.lint import lint


def test_every_runbook_in_the_repository_lints_clean():
    assert [str(p) for p in lint()] == []


def test_the_lint_command_passes_on_the_repository(capsys):
    assert main(["lint"]) == 0
    assert "no problems" in capsys.readouterr().err


def test_at_least_ten_runbooks_covering_all_five_services():
    library = load_library()
    assert len(library.runbooks) >= 10
    assert {s for rb in library.runbooks.values() for s in rb.services} == set(SERVICES)
    assert len(list(RUNBOOKS_DIR.glob("*.md"))) == len(library.runbooks)


def test_every_runbook_has_something_to_look_at_and_something_to_do():
    for runbook in load_library().runbooks.values():
        assert runbook.view_blocks, f"{runbook.id} has no view block"
        assert runbook.action_blocks, f"{runbook.id} has no action block"
        assert all(block.action in ACTION_RULES for block in runbook.action_blocks), runbook.id


def test_every_declared_view_is_implemented_and_nothing_else():
    from portal.ui.runbook_view import RENDERERS

    assert set(RENDERERS) == set(VIEWS)

"""Why the executor refused to run something (besides `InvalidRequest`, which names fields)."""

from __future__ import annotations


class ActionRefused(Exception):
    """The request was refused; `reason` is a sentence for the person who asked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Denied(ActionRefused):
    """The policy said no (recorded in the audit log)."""


class ConfirmationMismatch(ActionRefused):
    """A `confirm` action needs the target's name typed exactly."""

    def __init__(self, expected: str) -> None:
        super().__init__(f"type the target's name exactly ({expected!r}) to confirm")
        self.expected = expected


class ApprovalRefused(ActionRefused):
    """A two-person rule was not met: own request, expired, other parameters, not approved yet."""


class NothingToDo(ActionRefused):
    """The preview found nothing for the action to do (e.g. no resendable push): it is not run."""


class PreviewUnavailable(ActionRefused):
    """The preview could not ask the services; nothing ran."""

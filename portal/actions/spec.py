"""What an action declares (`ActionSpec`) and what its preview and handler receive and return.

An action is data plus two functions: a pydantic parameter model (its JSON schema drives the
form and the validation; secret fields are marked), a target kind, what running it asks of the
person (nothing, or typing the target's name), whether a repeat is harmless, a preview and a
handler that uses the typed clients. Who may run it, and whether a second person must approve,
is the policy's (`portal.policy.ACTION_RULES`), declared nowhere else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from portal import policy

if TYPE_CHECKING:
    from portal.clients import Clients

MASK = "••••••"
# Slow, salted hash for secret values that enter a fingerprint: the fingerprint is stored, and a
# fast hash of a short secret could be reversed by guessing.
_SECRET_SALT = b"portal-action-fingerprint-v1"
_SECRET_ROUNDS = 20_000


class Danger(StrEnum):
    """How careful the portal is before running an action. A spec declares SAFE or CONFIRM; TWO_PERSON
    is what the policy makes of an action that needs approval (`ActionSpec.safeguard`)."""

    SAFE = "safe"  # preview, then run
    CONFIRM = "confirm"  # preview, then type the target's name
    TWO_PERSON = "two-person"  # preview, then an admin other than the requester approves


class TargetKind(StrEnum):
    """What an action acts on; the target itself is always an id of this kind."""

    WORKSPACE = "workspace"
    HOSTED_INSTANCE = "hosted_instance"  # a cloud-hosted workspace, by workspace id

    @property
    def label(self) -> str:
        return {"workspace": "Workspace id", "hosted_instance": "Hosted workspace id"}[self.value]

    @property
    def query_key(self) -> str:
        """The query parameter that prefills the target (`?workspace=<id>`)."""
        return "workspace"


class ActionParams(BaseModel):
    """Base of every parameter model: unknown keys are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoParams(ActionParams):
    """This action takes no parameters."""


def SecretField(*, description: str, **kwargs: Any) -> Any:  # named like pydantic's Field
    """A parameter that is never stored or shown: masked in runs, audit records and messages."""
    return Field(description=description, json_schema_extra={"secret": True}, **kwargs)


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of the model's secret fields (marked with `SecretField` or typed `SecretStr`)."""
    names = set()
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("secret") or info.annotation is SecretStr or info.annotation == SecretStr | None:
            names.add(name)
    return frozenset(names)


def _plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def params_for_policy(params: BaseModel) -> dict[str, Any]:
    """The parameters as JSON-ready values, secrets included (for the policy; never stored)."""
    data = params.model_dump(mode="json")
    for name in secret_fields(type(params)):
        data[name] = _plain(getattr(params, name))
    return data


def masked_params(params: BaseModel) -> dict[str, Any]:
    """The parameters as stored and shown: every secret value replaced by a mask."""
    data = params.model_dump(mode="json")
    for name in secret_fields(type(params)):
        if data.get(name) not in (None, ""):
            data[name] = MASK
    return data


def fingerprint(action: str, target: str, params: BaseModel) -> str:
    """sha256 of (action, target, parameters): what "the same request" means for de-duplication
    and for binding an approval to exact parameters. Secrets count only through a slow hash."""
    data = params.model_dump(mode="json")
    for name in secret_fields(type(params)):
        value = _plain(getattr(params, name))
        if value not in (None, ""):
            digest = hashlib.pbkdf2_hmac("sha256", str(value).encode(), _SECRET_SALT, _SECRET_ROUNDS)
            data[name] = digest.hex()
    text = json.dumps({"action": action, "target": target, "params": data}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class FieldError:
    """One invalid input: which field, which rule it broke, and a sentence for a person."""

    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} (rule: {self.rule})"


class RuleError(ValueError):
    """Raised by a model validator for a rule across fields, naming the field to blame and the rule."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field, self.rule, self.message = field, rule, message


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic's errors as FieldErrors; the location names the field, the error type the rule."""
    errors = []
    for error in exc.errors(include_url=False):
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, RuleError):
            errors.append(FieldError(cause.field, cause.rule, cause.message))
            continue
        where = ".".join(str(part) for part in error["loc"]) or "params"
        errors.append(FieldError(where, str(error["type"]), str(error["msg"])))
    return errors


@dataclass(frozen=True)
class Preview:
    """What running the action will do, computed from the services just before it runs."""

    summary: str  # one sentence with counts, e.g. "resend 37 failed pushes to 12 devices"
    target_name: str  # what a person types to confirm (the workspace's name)
    counts: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    nothing_to_do: str | None = None  # set when running it would change nothing: why (no Run is offered)


@dataclass(frozen=True)
class ActionResult:
    """What the handler reports back: a sentence and the service's answer (JSON-ready)."""

    summary: str
    detail: Mapping[str, Any] = field(default_factory=dict)


class ActionFailed(Exception):
    """The service accepted the call but the action did not succeed (e.g. an operation failed)."""

    def __init__(self, message: str, *, detail: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.detail = dict(detail or {})


class PreviewContext:
    """What a preview may use: the clients (reads only, by convention)."""

    def __init__(self, clients: Clients) -> None:
        self.clients = clients


ProgressCallback = Callable[[int | None, str], None]


class RunContext(PreviewContext):
    """What a handler may use: the clients, the idempotency key for its write, a progress line, and
    `alive()`, which long waits call on every poll so a restarting replica never takes the run for
    abandoned."""

    def __init__(self, clients: Clients, *, idempotency_key: str, progress: ProgressCallback,
                 alive: Callable[[], None] | None = None, poll_interval: float = 0.5,
                 poll_timeout: float = 900.0) -> None:
        super().__init__(clients)
        self.idempotency_key = idempotency_key
        self.progress = progress
        self.alive = alive or (lambda: None)
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout


PreviewFn = Callable[[PreviewContext, str, Any], Preview]
HandlerFn = Callable[[RunContext, str, Any], ActionResult]


@dataclass(frozen=True)
class ActionSpec:
    """One action, declared: what it is and does. Who may run it is `portal.policy`'s to say."""

    name: str
    title: str
    description: str
    service: str  # the service it changes: its cached answers are forgotten once it ran
    params_model: type[ActionParams]
    target_kind: TargetKind
    danger: Danger  # SAFE or CONFIRM; two-person comes from the policy
    repeat_harmless: bool
    preview: PreviewFn
    handler: HandlerFn

    def validate(self, params: Mapping[str, Any]) -> ActionParams:
        """Parse raw parameters (from a form, a runbook or a URL); raises pydantic's ValidationError."""
        return self.params_model.model_validate(dict(params))

    def json_schema(self) -> dict[str, Any]:
        """The parameter model's JSON schema (drives the form)."""
        return self.params_model.model_json_schema()

    @property
    def safeguard(self) -> Danger:
        """What running it takes: an admin's approval when the policy says so, else the declared danger."""
        return Danger.TWO_PERSON if policy.needs_approval(self.name) else self.danger


class InvalidRequest(Exception):
    """The request cannot run as given; each error names the field and the rule."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def workspace_or_invalid(ctx: PreviewContext, target: str) -> Any:
    """The target workspace from Fleetcommand; an unknown id is an error on the `target` field."""
    from portal.clients.errors import NotFound

    try:
        return ctx.clients.fleet.get_workspace(target)
    except NotFound:
        raise InvalidRequest([FieldError("target", "exists", f"no workspace {target!r} in Fleetcommand")]) from None

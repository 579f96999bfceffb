"""The action registry: every action the portal can run, by stable name."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from portal.actions.spec import ActionSpec, Danger


class UnknownAction(KeyError):
    """No action by that name."""


class Registry:
    """Actions by name; names are unique and never reused for something else."""

    def __init__(self, specs: Iterable[ActionSpec] = ()) -> None:
        self._specs: dict[str, ActionSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: ActionSpec) -> ActionSpec:
        if spec.name in self._specs:
            raise ValueError(f"action {spec.name!r} is registered twice")
        if spec.danger == Danger.TWO_PERSON:
            raise ValueError(f"action {spec.name!r} declares two-person: that is portal.policy.ACTION_RULES' to say")
        self._specs[spec.name] = spec
        return spec

    def get(self, name: str) -> ActionSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownAction(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[ActionSpec]:
        return iter(self._specs.values())

    def names(self) -> list[str]:
        return list(self._specs)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The portal's actions (push, workspace, marketplace, hosting)."""
    from portal.actions import hosting, push, workspace

    return Registry([*push.SPECS, *workspace.SPECS, *hosting.SPECS])

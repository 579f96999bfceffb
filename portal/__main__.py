"""`python -m portal <command>`: the portal's command line.

Each command lives in its own module and is imported only when called, so a broken or slow
import in one never affects another. `dev` and `sandbox` live in the development package
(`portal_dev`), which a production install does not have; the product never imports it otherwise.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "dev": ("portal_dev.dev", "start sandbox, local identity provider and portal in the foreground"),
    "sandbox": ("portal_dev.sandbox.cli", "serve local stand-ins of the five services"),
    "audit": ("portal.store.cli", "audit log tools: `audit verify`"),
    "runbooks": ("portal.runbooks.cli", "runbook tools: `runbooks lint`"),
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"} or args[0] not in COMMANDS:
        print("usage: python -m portal <command> [options]\n\ncommands:")
        for name, (_, summary) in COMMANDS.items():
            print(f"  {name:<10} {summary}")
        return 0 if not args or args[0] in {"-h", "--help"} else 2
    name = COMMANDS[args[0]][0]
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if not name.startswith("portal_dev") or not (exc.name or "").startswith(("portal_dev", "oidc_provider_mock")):
            raise
        print(f"`{args[0]}` is a development command: install requirements-dev.txt in a checkout that has "
              f"portal_dev/ ({exc.name} is missing)", file=sys.stderr)
        return 2
    return int(module.main(args[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())

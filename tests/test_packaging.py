"""What a production install gets: exactly the product's dependencies, pinned, and no dev tooling;
the product code itself stays in modules small enough to read in one sitting."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
DEV_TOOLS = {"pytest", "playwright", "ruff", "mypy", "import-linter", "oidc-provider-mock", "flask", "werkzeug",
             "pytest-playwright", "pytest-httpserver", "pytest-timeout", "pytest-benchmark", "grimp"}
MAX_MODULE_LINES = 400


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r"):
            continue
        name, sep, version = line.partition("==")
        assert sep, f"{path.name}: {line!r} is not pinned exactly (name==version)"
        found[canonical(name)] = version
    return found


def closure(roots: list[str]) -> dict[str, str]:
    """Every installed distribution the roots need (extras followed), with its installed version."""
    seen: dict[str, set[str]] = {}
    stack = [Requirement(root) for root in roots]
    while stack:
        requirement = stack.pop()
        name = canonical(requirement.name)
        extras = set(requirement.extras)
        if name in seen and extras <= seen[name]:
            continue
        seen[name] = seen.get(name, set()) | extras
        try:
            requires = distribution(requirement.name).requires or []
        except PackageNotFoundError:
            raise AssertionError(f"{requirement.name} is needed but not installed") from None
        for text in requires:
            needed = Requirement(text)
            if needed.marker is not None and not any(
                    needed.marker.evaluate({"extra": extra}) for extra in (seen[name] or {""})):
                continue
            stack.append(needed)
    return {name: distribution(name).version for name in seen}


def test_requirements_txt_is_the_pinned_closure_of_the_product_dependencies() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert pins(ROOT / "requirements.txt") == closure(declared)


def test_a_production_install_has_no_test_lint_or_browser_tool() -> None:
    production = set(pins(ROOT / "requirements.txt"))
    assert not production & DEV_TOOLS
    dev_file = (ROOT / "requirements-dev.txt").read_text()
    assert "-r requirements.txt" in dev_file.splitlines()
    dev = set(pins(ROOT / "requirements-dev.txt"))
    assert {"pytest", "playwright", "ruff", "mypy", "import-linter", "oidc-provider-mock"} <= dev
    assert not production & dev, "a pin in both files could disagree"


def test_the_entrypoint_imports_no_dev_tooling() -> None:
    tree = ast.parse((ROOT / "streamlit_app.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {name for name in imported if name.split(".")[0] in {"portal_dev", "pytest", "playwright"}}


def test_no_product_module_is_over_400_lines() -> None:
    files = [*ROOT.glob("portal/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "streamlit_app.py"]
    long = {str(f.relative_to(ROOT)): n for f in files if (n := len(f.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, f"split these: {long}"

"""The declared dependency bounds and the lowest versions CI tests against agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _lower_bounds() -> dict[str, Version]:
    """Each core and test dependency of pyproject.toml with its ``>=`` bound (an extra such as
    ``dask[distributed]`` names its extra's package too)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds: dict[str, Version] = {}
    for text in project["dependencies"] + project["optional-dependencies"]["test"]:
        req = Requirement(text)
        lows = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert len(lows) == 1, f"{text}: declare one lower bound (>=)"
        for name in (req.name, *req.extras):
            bounds[name.lower()] = lows[0]
    return bounds


def _pinned() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / ".ci" / "lowest-versions.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line).groups()
            pins[name.lower()] = Version(version)
    return pins


def test_ci_tests_the_lowest_version_of_every_dependency_pyproject_allows():
    assert _pinned() == _lower_bounds()


def test_ci_runs_the_readme_test_command_then_the_checks_and_the_lowest_versions():
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    readme = (ROOT / "README.md").read_text()
    test_command = 'pip install ".[test]" && python -m pytest'
    assert test_command in readme and test_command in commands
    steps = ["ruff check alssim tests", "mypy", "python -m pytest --doctest-modules alssim",
             'pip install --quiet ".[test]" -c .ci/lowest-versions.txt']
    found = [next((i for i, c in enumerate(commands) if c.startswith(step)), -1)
             for step in steps]
    assert min(found) > commands.index(test_command), dict(zip(steps, found, strict=True))
    # the lowest versions are installed in an environment of their own, then tested
    assert commands[found[-1] - 3].startswith("python3 -m venv")
    assert commands[found[-1] + 1].startswith("python -m pytest")

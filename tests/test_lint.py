"""`make lint` checks every shell script and YAML file, and pre-commit runs the same checks."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from support.paths import REPO

# A first line such as #!/bin/sh or #!/usr/bin/env bash.
SHELL_SHEBANG = re.compile(r"#!\s*/\S*/(env\s+)?(ba)?sh\b")


def lint_commands() -> list[list[str]]:
    """The commands of `make lint` after the set-up, as make would run them."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        ["make", "-s", "-n", "lint"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = [shlex.split(line) for line in result.stdout.splitlines()]
    return [words for words in lines if words and words[0].startswith(".venv/bin/")]


def tracked_files() -> list[str]:
    result = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    if result.returncode != 0:
        pytest.skip("not a git checkout")
    return [name for name in result.stdout.splitlines() if (REPO / name).is_file()]


def is_shell_script(name: str) -> bool:
    if name.endswith(".sh"):
        return True
    with (REPO / name).open("rb") as file:
        first = file.readline().decode(errors="replace")
    return SHELL_SHEBANG.match(first) is not None


def arguments_of(tool: str) -> set[str]:
    (words,) = [words for words in lint_commands() if words[0] == f".venv/bin/{tool}"]
    return set(words[1:])


def test_shellcheck_gets_every_shell_script() -> None:
    scripts = {name for name in tracked_files() if is_shell_script(name)}
    assert {
        "scripts/setup.sh",
        ".ci/run",
        "docker/rootful-podman/podman",
        "cwl/tools/recon-all-stage.sh",
        "cwl/tools/stats-tables.sh",
    } <= scripts
    assert scripts <= arguments_of("shellcheck")


def test_check_yaml_gets_every_yaml_and_cwl_file() -> None:
    files = {name for name in tracked_files() if Path(name).suffix in (".yml", ".yaml", ".cwl")}
    assert {".pre-commit-config.yaml", "cwl/workflows/cohort.cwl"} <= files
    assert files <= arguments_of("check-yaml")


def test_pre_commit_runs_the_checks_of_make_lint() -> None:
    config = YAML(typ="safe").load((REPO / ".pre-commit-config.yaml").read_text())
    (local,) = config["repos"]
    assert local["repo"] == "local"
    hooks = local["hooks"]
    assert {hook["language"] for hook in hooks} == {"system"}
    # Each make command without its files (the hooks are given the commit's files).
    commands = [
        " ".join([words[0], *(w for w in words[1:] if w != "." and not (REPO / w).is_file())])
        for words in lint_commands()
    ]
    entries = [hook["entry"] for hook in hooks]
    assert len(entries) == len(commands)
    for command in commands:
        assert len([e for e in entries if e == command or e.startswith(command + " ")]) == 1, (
            f"{command}: no pre-commit hook (or more than one) in .pre-commit-config.yaml"
        )

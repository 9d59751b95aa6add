"""The corpus of bad inputs, each through ``fs-cwl-run`` as a subprocess.

Each case must exit 2 with a message naming the field or value, show no traceback, write
nothing and change no input: every file and folder of the case's folder is compared by
checksum before and after.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.bad_inputs import CASES, BadInput, build

RUNNER = Path(sys.executable).parent / "fs-cwl-run"


def fingerprint(folder: Path) -> dict[str, str]:
    """Every path under ``folder``: a file's sha256, a link's target, or "folder"."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = f"link to {path.readlink()}"
        elif path.is_dir():
            found[name] = "folder"
        else:
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def case_env(case: BadInput, folder: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FS_CWL_")}
    for name in ("FS_LICENSE", *case.unset):
        env.pop(name, None)
    env.update(HOME=str(home), FS_CWL_CONFIG=os.devnull)
    env.update({k: v.replace("{dir}", str(folder)) for k, v in case.env.items()})
    for name in case.unset:
        env.pop(name, None)
    return env


@dataclass(frozen=True)
class Outcome:
    """One case run through the command line, and its folders' fingerprints before."""

    result: subprocess.CompletedProcess[str]
    folder: Path
    home: Path
    before: dict[str, str]


def run_case(case: BadInput, root: Path) -> Outcome:
    folder, home = root / "case", root / "home"
    folder.mkdir(parents=True)
    home.mkdir()
    build(case, folder)
    before = fingerprint(folder)
    result = subprocess.run(
        [str(RUNNER), *(arg.replace("{dir}", str(folder)) for arg in case.argv)],
        env=case_env(case, folder, home),
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Outcome(result, folder, home, before)


class Outcomes:
    """Each case's outcome, its run made once: all up front, or each when a test asks."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.done: dict[str, Outcome] = {}

    def run_all(self, cases: list[BadInput]) -> None:
        """Run ``cases`` a process per core at a time (each is ~0.7 s of start-up)."""
        with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            self.done.update(
                pool.map(lambda case: (case.name, run_case(case, self.root / case.name)), cases)
            )

    def __getitem__(self, case: BadInput) -> Outcome:
        if case.name not in self.done:
            self.done[case.name] = run_case(case, self.root / case.name)
        return self.done[case.name]


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Outcomes:
    """Every selected case run up front, in parallel; under pytest-xdist, each in its test.

    A pytest-xdist worker collects every test but runs only those it is sent, as they come:
    running the whole selection up front would run it in every worker. There the workers are
    the parallel processes, and each case runs in the worker its test is sent to.
    """
    found = Outcomes(tmp_path_factory.mktemp("bad-inputs"))
    if not hasattr(request.config, "workerinput"):  # what pytest-xdist gives its workers
        found.run_all(
            [
                item.callspec.params["case"]
                for item in request.session.items
                if isinstance(item, pytest.Function)
                and item.originalname == "test_bad_input_is_refused"
                and hasattr(item, "callspec")
            ]
        )
    return found


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_refused(case: BadInput, outcomes: Outcomes) -> None:
    outcome = outcomes[case]
    result = outcome.result
    assert result.returncode == 2, result.stderr
    for expected in case.expect:
        assert expected.replace("{dir}", str(outcome.folder)) in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert fingerprint(outcome.folder) == outcome.before, "the command wrote into the case folder"
    assert fingerprint(outcome.home) == {}, "the command wrote into HOME"


def test_corpus_is_large_and_covers_every_class() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    assert len(CASES) >= 100
    # Every class of mistake of the validation issue, several cases each.
    counts = Counter(case.klass for case in CASES)
    assert set(counts) == set(range(1, 13)), sorted(counts)
    assert min(counts.values()) >= 5, counts

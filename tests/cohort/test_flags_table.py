"""The flags and expert commands fs-cwl carries as data match the installed recon-all 7.3.2.

The tables were derived once from recon-all's text; these tests read the installed
recon-all again (its argument parser and its fsr-getxopts calls) and compare.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fs_cwl_runner.cohort import recon_all_flags as table
from fs_cwl_runner.cohort.expert import EXPERT_COMMANDS
from fs_cwl_runner.freesurfer import FreeSurferError, find_freesurfer

from support.recon_all_script import expert_commands, flag_branches, flag_values

REFUSED = set(table.REASONS) | {table.RUNNER, table.STAGES, table.OBSOLETE}


@pytest.fixture(scope="module")
def recon_all_text() -> str:
    """The installed recon-all script; the test is skipped without FreeSurfer 7.3.2."""
    try:
        freesurfer = find_freesurfer()
    except FreeSurferError as err:
        pytest.skip(f"FreeSurfer is not installed, nothing to compare with: {err}")
    if freesurfer.version() != "7.3.2":
        pytest.skip(f"the tables describe recon-all 7.3.2, not {freesurfer.version()}")
    return Path(freesurfer.bin / "recon-all").read_text(encoding="utf-8", errors="replace")


def test_flags_and_value_counts_match_installed_recon_all(recon_all_text: str) -> None:
    installed = flag_values(recon_all_text)
    ours = {flag: len(known.values) for flag, known in table.RECON_ALL_FLAGS.items()}
    assert sorted(set(installed) - set(ours)) == [], "flags recon-all knows, missing here"
    assert sorted(set(ours) - set(installed)) == [], "flags here that recon-all does not know"
    assert {f: n for f, n in ours.items() if installed[f] != n} == {}


def test_expert_commands_match_installed_recon_all(recon_all_text: str) -> None:
    assert sorted(EXPERT_COMMANDS) == sorted(expert_commands(recon_all_text))


def test_reader_sees_what_recon_all_does() -> None:
    """The reader itself, on a small switch: fall-through, comments, nested switches."""
    script = "\n".join(
        [
            "switch($flag)",
            '  case "-a": # a comment',
            "    set A = 1; breaksw",
            '  case "-b-affine":',
            "    set B = 1",
            '  case "-b":',
            "    if ( $#argv < 1) goto arg1err;",
            "    breaksw",
            '  #case "-gone":',
            '  case "-w"',
            "    if ( $#argv < 1 ) goto arg1err;",
            "    switch($argv[1])",
            '      case "x":',
            "        breaksw",
            "    endsw",
            "    breaksw",
            "  default:",
            "    breaksw",
            "endsw",
        ]
    )
    assert flag_values(script) == {"-a": 0, "-b-affine": 1, "-b": 1, "-w": 1}


def test_every_flag_has_a_known_category_and_well_formed_values() -> None:
    categories = {table.OPTION, table.LAST_STAGE} | REFUSED
    for flag, known in table.RECON_ALL_FLAGS.items():
        assert known.category in categories, flag
        for name in known.values:
            label, _, kind = name.partition(":")
            assert label and kind in ("", "int", "float"), (flag, name)


def test_every_refusal_has_its_reason() -> None:
    for flag, known in table.RECON_ALL_FLAGS.items():
        if known.category == table.RUNNER:
            assert flag in table.RUNNER_FIXES, flag
        if known.category == table.OBSOLETE:
            assert flag in table.OBSOLETE_REASONS, flag
    for flag in (*table.RUNNER_FIXES, *table.OBSOLETE_REASONS):
        assert flag in table.RECON_ALL_FLAGS, flag


def test_only_the_end_steps_go_to_the_last_stage() -> None:
    last = {f for f, known in table.RECON_ALL_FLAGS.items() if known.category == table.LAST_STAGE}
    assert last == {"-qcache", "-lgi", "-lGI", "-localGI"}


def test_no_flag_passed_to_every_stage_selects_steps(recon_all_text: str) -> None:
    """A step is a ``Do<Step>`` variable that -all sets; a flag that sets one is refused."""
    branches = flag_branches(recon_all_text)
    steps = set(re.findall(r"set (Do\w+)", branches["-all"]))
    for flag, known in table.RECON_ALL_FLAGS.items():
        if known.category == table.OPTION:
            assert not steps & set(re.findall(r"set (Do\w+)", branches[flag])), flag

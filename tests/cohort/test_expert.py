"""``freesurfer.expert``: the expert options file read as recon-all 7.3.2 reads it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from fs_cwl_runner.cohort.expert import MAX_BYTES, check_expert_lines, expert_file
from fs_cwl_runner.cohort.fields import Findings
from fs_cwl_runner.freesurfer import FreeSurferError, find_freesurfer

WHERE = "freesurfer.expert: opts.txt"


def findings_of(text: str) -> Findings:
    findings = Findings()
    check_expert_lines(text, WHERE, findings)
    return findings


def test_good_file_passes() -> None:
    found = findings_of("# tuned for a sample\nmri_normalize -gentle\n\nmris_smooth -n 3\n")
    assert (found.problems, found.warnings) == ([], [])


def test_misspelt_command_says_did_you_mean() -> None:
    found = findings_of("# ok\nmri_ca_register -nobigventricles\nmri_normalise -gentle\n")
    assert found.problems == [
        f"{WHERE} line 3: unknown command 'mri_normalise'; did you mean 'mri_normalize'? "
        "(recon-all would ignore the line)"
    ]


def test_command_of_older_versions_names_the_new_ones() -> None:
    [problem] = findings_of("mris_make_surfaces -nowhite\n").problems
    assert "unknown command 'mris_make_surfaces'; recon-all 7.3.2 places surfaces" in problem
    assert "PlaceWhiteSurf" in problem


def test_command_listed_twice_names_both_lines() -> None:
    [problem] = findings_of(
        "mri_normalize -gentle\nmris_smooth -n 3\nmri_normalize -g 1\n"
    ).problems
    assert problem == (
        f"{WHERE} lines 1 and 3: 'mri_normalize' is listed more than once; recon-all's "
        "fsr-checkxopts would stop every subject: keep one line"
    )


def test_two_empty_lines_stop_recon_all() -> None:
    [problem] = findings_of("mri_normalize -gentle\n\nmris_smooth -n 3\n   \n").problems
    assert problem.startswith(f"{WHERE} lines 2 and 4 are empty; recon-all's fsr-checkxopts")


def test_comment_naming_a_command_stops_its_step() -> None:
    [problem] = findings_of("# mri_normalize: gentler\nmri_normalize -gentle\n").problems
    assert problem.startswith(f"{WHERE} lines 1 and 2 both hold 'mri_normalize'; recon-all")
    assert "would stop each subject at the mri_normalize step" in problem


def test_command_inside_another_name_stops_its_step() -> None:
    [problem] = findings_of("mris_curvature -w\nmris_curvature_stats -m\n").problems
    assert "lines 1 and 2 both hold 'mris_curvature'" in problem


def test_options_after_a_hash_are_lost() -> None:
    [problem] = findings_of("mri_normalize -gentle  # gentler\n").problems
    assert problem.startswith(f"{WHERE} line 1: recon-all ignores every line holding a '#'")


def test_windows_line_ends_would_reach_the_command() -> None:
    [problem] = findings_of("mri_normalize -gentle\r\nmris_smooth -n 3\r\n").problems
    assert problem.startswith(f"{WHERE} line 1: has Windows line ends (CR LF)")


def test_options_given_to_a_second_command_warn() -> None:
    found = findings_of("talairach_avi --atlas 3T18yoSchwartzReactN32_as_orig\n")
    assert found.problems == []
    assert found.warnings == [
        f"{WHERE} line 1: recon-all would give these options to talairach too "
        "(it finds a command by its name anywhere in a line)"
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir(), "is a folder; give the options file"),
        (lambda p: None, "freesurfer.expert: file not found: "),
        (lambda p: p.write_bytes(b"mri_normalize\0-g\n"), "is not text (a zero byte at offset"),
        (lambda p: p.write_bytes(b"mri_normalize -g \xff\n"), "is not UTF-8 text (byte 17)"),
        (lambda p: p.write_text("# x\n" * (MAX_BYTES // 4 + 1)), "is over 64 KiB"),
        (lambda p: os.mkfifo(p), "is not a regular file"),
    ],
)
def test_files_that_are_no_expert_file(
    tmp_path: Path, make: Callable[[Path], object], message: str
) -> None:
    path = tmp_path / "opts.txt"
    make(path)
    findings = Findings()
    assert expert_file("opts.txt", tmp_path, findings) == str(path)
    [problem] = findings.problems
    assert message in problem


def test_name_with_a_space(tmp_path: Path) -> None:
    path = tmp_path / "my opts.txt"
    path.write_text("mri_normalize -gentle\n")
    findings = Findings()
    expert_file("my opts.txt", tmp_path, findings)
    [problem] = findings.problems
    assert problem.startswith(f"freesurfer.expert: {path}: its name holds a space")


def test_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path = tmp_path / "opts.txt"
    path.write_text("mri_normalize -gentle\n")
    path.chmod(0)
    findings = Findings()
    expert_file(str(path), tmp_path, findings)
    assert findings.problems == [f"freesurfer.expert: {path}: cannot read it: Permission denied"]


@pytest.fixture(scope="module")
def fs_bin() -> Path:
    """The installed FreeSurfer's bin/, with tcsh to run its scripts."""
    try:
        freesurfer = find_freesurfer()
    except FreeSurferError as err:
        pytest.skip(f"FreeSurfer is not installed: {err}")
    if not shutil.which("tcsh"):
        pytest.skip("tcsh is not installed (apt-get install tcsh)")
    return freesurfer.bin


def fails_in_recon_all(fs_bin: Path, folder: Path, text: str, command: str) -> bool:
    """recon-all's own check (fsr-checkxopts) or its look-up of ``command`` fails."""
    path = folder / "opts.txt"
    path.write_text(text)
    checks = [["fsr-checkxopts", str(path)], ["fsr-getxopts", command, str(path)]]
    env = {**os.environ, "PATH": f"{fs_bin}{os.pathsep}{os.environ['PATH']}"}
    return any(
        subprocess.run(args, env=env, capture_output=True, check=False).returncode != 0
        for args in checks
    )


@pytest.mark.parametrize(
    "text",
    [
        "mri_normalize -g 1\nmri_normalize -g 2\n",
        "mri_normalize -g 1\n\nmris_smooth -n 3\n\n",
        "# mri_normalize\nmri_normalize -g 1\n",
        "mris_curvature -w\nmris_curvature_stats -m\nmri_normalize -g 1\n",
    ],
)
def test_what_is_refused_fails_in_the_installed_recon_all(
    fs_bin: Path, tmp_path: Path, text: str
) -> None:
    command = "mris_curvature" if "mris_curvature" in text else "mri_normalize"
    assert findings_of(text).problems
    assert fails_in_recon_all(fs_bin, tmp_path, text, command)


def test_what_passes_passes_the_installed_recon_all(fs_bin: Path, tmp_path: Path) -> None:
    text = "# tuned\nmri_normalize -gentle\n\nmris_smooth -n 3\n"
    assert findings_of(text).problems == []
    assert not fails_in_recon_all(fs_bin, tmp_path, text, "mri_normalize")

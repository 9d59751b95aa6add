"""The steps and commands of a stage, as the installed FreeSurfer's ``recon-all -dontrun`` says.

``-dontrun`` needs no license: recon-all prints every ``#@# <Step>`` header and every
command it would run, and runs none. It needs ``<subject>/mri/orig/001.mgz`` (any image:
the fsaverage average is used) and ``fsaverage`` linked into SUBJECTS_DIR; both live in a
scratch SUBJECTS_DIR, never in the run's output folder. The stages of one subject run in
order in one SUBJECTS_DIR, since each stage's -dontrun looks at what the one before made.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fs_cwl_runner.dryrun.commands import StageCommand
from fs_cwl_runner.freesurfer import FreeSurfer

HEADER = re.compile(r"^#@# (.+?) \w{3} \w{3} +\d+ [\d:]+ \w+ \d{4}$")
#: recon-all prints each command indented by one space.
COMMAND = re.compile(r"^ (\S.*?)\s*$")
#: The images recon-all -dontrun looks for: the T1 and those -T2/-FLAIR would import.
STAND_IN_IMAGES = ("001.mgz", "T2raw.mgz", "FLAIRraw.mgz")
TIMEOUT_S = 300


class DontRunError(Exception):
    """recon-all -dontrun failed; the message holds the end of its output."""


@dataclass(frozen=True)
class Step:
    """One ``#@#`` step of recon-all and the commands it would run."""

    name: str
    commands: tuple[str, ...]


def parse_steps(output: str, subjects_dir: Path) -> list[Step]:
    """The steps of recon-all's -dontrun output, the scratch folder shown as $SUBJECTS_DIR."""
    steps: list[tuple[str, list[str]]] = []
    for line in output.splitlines():
        header = HEADER.match(line)
        if header:
            steps.append((header.group(1), []))
            continue
        command = COMMAND.match(line)
        if command and steps:
            steps[-1][1].append(command.group(1).replace(str(subjects_dir), "$SUBJECTS_DIR"))
    return [Step(name, tuple(commands)) for name, commands in steps]


class ScratchSubjects:
    """A scratch SUBJECTS_DIR in which recon-all -dontrun runs stage after stage."""

    def __init__(self, freesurfer: FreeSurfer, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.env = freesurfer.environment()
        self.env["SUBJECTS_DIR"] = str(root)
        # -dontrun reads no license; the user's is kept out of its reach all the same.
        self.env.pop("FS_LICENSE", None)
        (root / "fsaverage").symlink_to(freesurfer.home / "subjects" / "fsaverage")
        self.image = freesurfer.home / "subjects" / "fsaverage" / "mri" / "orig.mgz"

    def add_images(self, subject_id: str) -> None:
        """The images -dontrun looks for; a run's first stage would have converted them."""
        orig = self.root / subject_id / "mri" / "orig"
        orig.mkdir(parents=True, exist_ok=True)
        for name in STAND_IN_IMAGES:
            if not (orig / name).exists():
                shutil.copy(self.image, orig / name)

    def imported_before(self, args: list[str]) -> list[str]:
        """``args`` without ``-i``, its images made beforehand as recon-all would import them.

        With several ``-i``, -dontrun fails at MotionCor (it reads the images it did not
        convert), so the conversions are left out and the steps after them listed.
        """
        subject_id = args[args.index("-s") + 1]
        orig = self.root / subject_id / "mri" / "orig"
        orig.mkdir(parents=True, exist_ok=True)
        count = args.count("-i")
        for number in range(1, count + 1):
            shutil.copy(self.image, orig / f"{number:03d}.mgz")
        kept: list[str] = []
        for arg in args:
            if kept and kept[-1] == "-i":
                kept.pop()
                continue
            kept.append(arg)
        return kept

    def run(self, command: StageCommand) -> list[Step]:
        """The steps of one stage's recon-all arguments, run with -dontrun here."""
        args = command.recon_all_args
        if args.count("-i") > 1:
            args = self.imported_before(args)
        if "-sd" in args:
            args[args.index("-sd") + 1] = str(self.root)
        result = subprocess.run(
            ["recon-all", *args, "-dontrun"],
            env=self.env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            raise DontRunError(
                f"stage {command.stage}: recon-all -dontrun exited {result.returncode}:\n"
                + (result.stdout + result.stderr)[-2000:]
            )
        if "-s" in args:
            self.add_images(args[args.index("-s") + 1])
        return parse_steps(result.stdout, self.root)


def subject_steps(
    freesurfer: FreeSurfer,
    root: Path,
    commands: list[StageCommand],
    stage_done: Callable[[], None] = lambda: None,
) -> dict[str, list[Step]]:
    """``{stage: steps}`` of one subject's stages, run in order in a scratch folder."""
    scratch = ScratchSubjects(freesurfer, root)
    steps: dict[str, list[Step]] = {}
    for command in commands:
        steps[command.stage] = scratch.run(command)
        stage_done()
    return steps

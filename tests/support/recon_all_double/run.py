"""The steps of one recon-all invocation, as the step table and the command line say."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from .contents import text_content, write_binary
from .environment import env_float
from .invocation import Invocation, now
from .regions import HEMIS
from .segstats import brain_volumes
from .stats import STATS_WRITERS
from .steps import BLOCKS, Step, qcache_steps
from .volumes import write_volume

#: The inputs a longitudinal run's steps read in place of the cross-sectional ones.
LONG_NEEDS = {"surf/{h}.orig.premesh": "surf/{h}.orig"}
#: A timepoint's files the template is made from (rca-base-init).
BASE_INPUTS = ("mri/norm.mgz", "mri/T1.mgz", "mri/orig.mgz", "mri/rawavg.mgz", "mri/brainmask.mgz")
#: What a longitudinal run copies from the template before its first step, by its own name.
LONG_COPIES = (
    ("mri/brainmask.mgz", "mri/brainmask_{t}.mgz"),
    ("mri/aseg.mgz", "mri/aseg_{t}.mgz"),
    ("mri/transforms/talairach.lta", "mri/transforms/talairach.lta"),
    *(
        (f"surf/{h}.{surface}", f"surf/{h}.{name}")
        for h in HEMIS
        for surface, name in (("white", "orig"), ("white", "orig_white"), ("pial", "orig_pial"))
    ),
)

#: How long FS_CWL_DOUBLE_WAIT holds a stage at most: longer than any test waits for Toil.
WAIT_LIMIT_S = 600.0


class Run(Invocation):
    """A recon-all run on one subject: the steps, their files, and what the table cannot say."""

    def fmt(self, template: str, hemi: str | None) -> str:
        """Fill in a path or command of the table."""
        only = f"{self.hemis[0]}." if len(self.hemis) == 1 else ""
        mm_in = " ".join(str(path) for path in self.opts.mm_inputs.values())
        mm_out = " ".join(f"mri/orig/{mm}raw.mgz" for mm in self.opts.mm_inputs)
        return template.format(
            h=hemi or "",
            mm=self.mm or "",
            only=only,
            s=self.subject,
            n=self.opts.openmp,
            fill=255 if hemi == "lh" else 127,
            mm_in=mm_in,
            mm_out=mm_out,
            tps=" ".join(f"-tp {tp}" for tp in self.opts.timepoints),
        )

    def plan(self) -> list[tuple[Step, str | None]]:
        """The steps this command line runs, in recon-all's order."""
        todo: list[tuple[Step, str | None]] = []
        for per_hemi, steps in BLOCKS:
            for hemi in self.hemis if per_hemi else (None,):
                todo += [(step, hemi) for step in steps if self.enabled(step)]
        if self.opts.do.get("DoQdecCache"):
            todo += qcache_steps(self.hemis)
        produced: set[str] = set()  # drop measure steps whose surface will not exist
        kept = []
        for step, hemi in todo:
            paths = [self.fmt(p, hemi) for p in step.when]
            if all(p in produced or (self.sdir / p).exists() for p in paths):
                kept.append((step, hemi))
                produced.update(self.fmt(p, hemi) for p, _ in step.outputs)
                produced.update(self.fmt(p, hemi) for p, _ in step.links)
                if step.hook == "t1_pial_link":
                    produced.add(self.fmt("surf/{h}.pial", hemi))
        return kept

    def enabled(self, step: Step) -> bool:
        if step.switch == "always":
            return True
        if step.switch == "ConvertT2Flair":
            return bool(self.opts.mm_inputs)
        if step.switch == "PialMM":
            return self.mm is not None
        return bool(self.opts.do.get(step.switch))

    def run(self) -> None:
        if self.opts.long and self.opts.do.get("DoMotionCor"):
            self.init_long()
        self.convert_inputs()
        todo = self.plan()
        middle = len(todo) // 2
        for index, (step, hemi) in enumerate(todo):
            if index == middle:
                self.halfway(step, hemi)
            self.execute(step, hemi)
        if not todo:
            self.halfway(None, None)
        self.finish()

    def halfway(self, step: Step | None, hemi: str | None) -> None:
        """FS_CWL_DOUBLE_SLEEP, _REWRITE, _WAIT and _FAIL act half-way through the run."""
        time.sleep(env_float("FS_CWL_DOUBLE_SLEEP", 0.0))
        for item in os.environ.get("FS_CWL_DOUBLE_REWRITE", "").split(","):
            subject, _, rest = item.strip().partition(":")
            stage, _, rel = rest.partition(":")
            if (subject, stage) == (self.subject, self.opts.stage) and rel:
                with open(self.sdir / rel, "r+b") as out:  # the file must exist
                    out.seek(0, os.SEEK_END)
                    out.write(b"rewritten in place (FS_CWL_DOUBLE_REWRITE)\n")
        for item in os.environ.get("FS_CWL_DOUBLE_WAIT", "").split(","):
            subject, _, rest = item.strip().partition(":")
            stage, _, gate = rest.partition(":")
            if (subject, stage) == (self.subject, self.opts.stage) and gate:
                self.wait_for(Path(gate))
        wanted = {item.strip() for item in os.environ.get("FS_CWL_DOUBLE_FAIL", "").split(",")}
        if f"{self.subject}:{self.opts.stage}" not in wanted:
            return
        prog = "recon-all"
        if step is not None:
            self.header(step, hemi)
            prog = step.prog
        self.error_exit(
            f"ERROR: {prog} failed with exit status 1 (failure injected by FS_CWL_DOUBLE_FAIL)"
        )

    def wait_for(self, gate: Path) -> None:
        """Hold the stage until ``gate`` exists: a test opens it once it has seen what it
        waits for, so the order of events needs no sleeps; never opened, the stage fails."""
        deadline = time.monotonic() + WAIT_LIMIT_S
        while not gate.exists():
            if time.monotonic() > deadline:
                self.error_exit(
                    f"ERROR: {gate} did not appear within {WAIT_LIMIT_S:.0f} s "
                    "(FS_CWL_DOUBLE_WAIT of the recon-all test double)"
                )
            time.sleep(0.1)

    def header(self, step: Step, hemi: str | None) -> None:
        self.say("#--------------------------------------------", cf=True)
        self.say(f"#@# {self.fmt(step.header, hemi)} {now()}", sf=step.status, cf=True)
        self.say(f"\n {self.fmt(step.cmd, hemi)} \n", cf=True)

    def execute(self, step: Step, hemi: str | None) -> None:
        self.check_needs(step, hemi)
        self.header(step, hemi)
        if step.hook:
            getattr(self, step.hook)(hemi, before=True)
        if step.when and self.up_to_date(step, hemi):
            self.say("   Update not needed", cf=True)
            return
        for rel in step.removes:
            (self.sdir / self.fmt(rel, hemi)).unlink(missing_ok=True)
        for rel, size in step.outputs:
            self.write(self.fmt(rel, hemi), size, hemi)
        for link, target in step.links:
            self.link(self.fmt(link, hemi), self.fmt(target, hemi))
        for name in step.touch:
            (self.sdir / "touch" / self.fmt(name, hemi)).write_text(self.fmt(step.cmd, hemi) + "\n")
        if step.hook:
            getattr(self, step.hook)(hemi, before=False)

    def check_needs(self, step: Step, hemi: str | None) -> None:
        hemis = [hemi] if hemi else list(self.hemis)
        for template in step.needs:
            # A longitudinal run starts from the template's surfaces, not a topology fix.
            template = LONG_NEEDS.get(template, template) if self.opts.long else template
            for h in hemis if "{h}" in template else [hemi]:
                rel = self.fmt(template, h)
                if not self.has_input(rel):
                    self.header(step, hemi)
                    self.error_exit(
                        f"ERROR: cannot find {self.sdir / rel}\n       (recon-all test double: "
                        f"step '{self.fmt(step.header, hemi)}' needs {rel}; were the earlier "
                        "recon-all stages run?)"
                    )

    def has_input(self, rel: str) -> bool:
        """A longitudinal run reads its raw T2/FLAIR from the cross-sectional run's folder."""
        if (self.sdir / rel).exists():
            return True
        if self.opts.long and rel.startswith("mri/orig/"):
            return (Path(str(self.opts.sd)) / self.opts.long[0] / rel).exists()
        return False

    def up_to_date(self, step: Step, hemi: str | None) -> bool:
        """recon-all's UpdateNeeded: outputs newer than the surfaces they come from."""
        sources = [(self.sdir / self.fmt(p, hemi)).stat().st_mtime for p in step.when]
        outputs = [self.sdir / self.fmt(p, hemi) for p, _ in step.outputs]
        return all(p.exists() and p.stat().st_mtime >= max(sources) for p in outputs)

    def write(self, rel: str, size: int | str, hemi: str | None) -> None:
        path = self.sdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            path.unlink()
        if isinstance(size, str):
            path.write_text(STATS_WRITERS[size](self.sdir, hemi))
            return
        if write_volume(path, rel, self.sdir, self.opts.inputs):
            return
        text = text_content(self.subject, rel, size, self.scale)
        if text is not None:
            path.write_text(text)
        else:
            write_binary(path, self.subject, rel, max(16, int(size * 1024 * self.scale)))

    def link(self, rel: str, target: str) -> None:
        path = self.sdir / rel
        path.unlink(missing_ok=True)
        path.symlink_to(target)

    # -- what the table cannot say ---------------------------------------------------

    def convert_inputs(self) -> None:
        """-i: each input becomes mri/orig/001.mgz, 002.mgz, ... (no #@# header)."""
        for number, source in enumerate(self.opts.inputs, start=1):
            rel = f"mri/orig/{number:03d}.mgz"
            self.say(f"{Path.cwd()}\n\n mri_convert {source} {self.sdir / rel} \n", cf=True)
            self.write(rel, 9700, None)

    def convert_t2flair(self, hemi: str | None, before: bool) -> None:
        if not before:
            for mm in self.opts.mm_inputs:
                self.write(f"mri/orig/{mm}raw.mgz", 12000, None)

    def create_base(self, hemi: str | None, before: bool) -> None:
        """rca-base-init: every timepoint's finished volumes in, base-tps and transforms out."""
        sd = Path(str(self.opts.sd))
        for timepoint in self.opts.timepoints:
            for rel in BASE_INPUTS:
                if before and not (sd / timepoint / rel).exists():
                    self.error_exit(
                        f"ERROR: cannot find {sd / timepoint / rel}\n       (recon-all test "
                        f"double: the template needs every timepoint's finished "
                        "cross-sectional run)"
                    )
            if not before:
                for name in (f"{timepoint}_to_{self.subject}", f"{self.subject}_to_{timepoint}"):
                    self.write(f"mri/transforms/{name}.lta", 2, None)
        if not before:
            (self.sdir / "base-tps").write_text("".join(f"{tp}\n" for tp in self.opts.timepoints))

    def init_long(self) -> None:
        """-long: the run's folder starts with the template's mask, transform and surfaces."""
        assert self.opts.long is not None
        timepoint, template = self.opts.long
        base = Path(str(self.opts.sd)) / template
        for source, rel in LONG_COPIES:
            target = self.sdir / rel.format(t=template)
            if not (base / source).exists():
                self.error_exit(f"ERROR: cannot find {base / source}")
            self.say(f" cp {base / source} {target} ", cf=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((base / source).read_bytes())
        scripts = self.sdir / "scripts"
        (scripts / "long.base").write_text(template + "\n")
        (scripts / "long.cross").write_text(timepoint + "\n")
        (scripts / "long.base-tps").write_text((base / "base-tps").read_text())

    def motioncor(self, hemi: str | None, before: bool) -> None:
        runs = sorted((self.sdir / "mri" / "orig").glob("[0-9][0-9][0-9].mgz"))
        if self.opts.base or self.opts.long:  # made from the timepoints, not from runs
            return
        if before and not runs:
            self.error_exit(
                f"ERROR: no run data found in {self.sdir}/mri. Make sure to\nhave a "
                f"volume called 001.mgz in  {self.sdir}/mri/orig."
            )
        if not before and len(runs) > 1:  # mri_robust_template writes one lta per run
            for run in runs:
                self.write(f"mri/orig/{run.stem}.lta", 2, None)
                self.write(f"mri/orig/{run.stem}-iscale.txt", 1, None)
            (self.sdir / "touch" / "motion_correct.touch").write_text("mri_robust_template\n")

    def t1_pial_link(self, hemi: str | None, before: bool) -> None:
        if not before and self.mm is None:  # with -T2pial/-FLAIRpial, MMPialSurf links it
            self.link(f"surf/{hemi}.pial", f"{hemi}.pial.T1")

    def euler(self, hemi: str | None, before: bool) -> None:
        """mri_segstats --euler prints the Euler numbers of ?h.orig.nofix."""
        if before or not all((self.sdir / f"surf/{h}.orig.nofix").exists() for h in HEMIS):
            return
        g = brain_volumes(self.subject)
        lh, rh = int(g["lhSurfaceHoles"]), int(g["rhSurfaceHoles"])
        self.say(
            f"orig.nofix lheno = {2 - 2 * lh:4d}, rheno = {2 - 2 * rh}\n"
            f"orig.nofix lhholes = {lh:4d}, rhholes = {rh}"
        )

    def fsaverage_link(self, hemi: str | None, before: bool) -> None:
        """BA labels and -qcache put fsaverage into SUBJECTS_DIR, as a link."""
        link = Path(str(self.opts.sd)) / "fsaverage"
        if not before or link.exists() or link.is_symlink():
            return
        self.say("INFO: fsaverage subject does not exist in SUBJECTS_DIR", cf=True)
        home = os.environ.get("FREESURFER_HOME")
        if not home:
            self.say("INFO: FREESURFER_HOME is not set: the test double makes no fsaverage link")
            return
        self.say(
            f"INFO: Creating symlink to fsaverage subject...\n\n cd {self.opts.sd}; "
            f"ln -s {home}/subjects/fsaverage; cd - \n",
            cf=True,
        )
        with contextlib.suppress(FileExistsError):  # a parallel run made it
            link.symlink_to(Path(home) / "subjects" / "fsaverage")

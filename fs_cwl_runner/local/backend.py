"""The local backend: the cohort's subjects through workflows/subject.cwl on this machine.

Each subject runs as its own engine process (Toil single-machine, or cwltool), so one
subject's failure never stops the others, and its engine state (Toil job store or
cwltool cache) under ``<output>/.fs-cwl/work/<subject>/`` lets a rerun continue from
the last finished stage. A finished subject moves to ``<output>/<subject>/`` with a
manifest of checksums; then stats-tables.cwl builds ``<output>/group/``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from fs_cwl_runner import engine, manifest, state, toil_log
from fs_cwl_runner.freesurfer import FreeSurfer
from fs_cwl_runner.layout import Layout, is_finished
from fs_cwl_runner.progress import Progress

#: Lines of cwltool's log that mark a stage starting or ending (Toil's: :mod:`toil_log`).
CWLTOOL_START = re.compile(r"\[step (\w+)\] start")
CWLTOOL_END = re.compile(r"\[step (\w+)\] completed (success|permanentFail)")


#: The largest ``coresMin`` of the stage tools (cwl/tools/autorecon2-volume.cwl).
STAGE_CORES_MIN = 2


@dataclass(frozen=True)
class LocalSettings:
    engine: str
    container: str
    jobs: int
    freesurfer: FreeSurfer | None
    image: str | None = None  # the tools' image in container mode (else the CWL hint's)


def subject_job(order: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """subject.cwl's job order: one Subject record plus the cohort-wide options."""
    options = {k: v for k, v in order.items() if k != "subjects"}
    return {**options, **record}


def write_yaml(data: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as stream:
        YAML().dump(data, stream)
    return path


def stage_event(line: str, engine_name: str) -> toil_log.StageEvent | None:
    """The stage that starts, ends or fails in one line of an engine's log, else None."""
    if engine_name == "toil":
        return toil_log.stage_event(line)
    if match := CWLTOOL_START.search(line):
        return toil_log.StageEvent(match.group(1), state.RUNNING)
    if match := CWLTOOL_END.search(line):
        ok = match.group(2) == "success"
        return toil_log.StageEvent(match.group(1), state.DONE if ok else state.FAILED)
    return None


def follow_stages(
    line: str, engine_name: str, record: state.SubjectRecord, changed: Callable[[str], None]
) -> None:
    """Update ``record`` from one engine log line."""
    event = stage_event(line, engine_name)
    if event is None or event.stage not in state.STAGES:
        return
    stage = record.stage(event.stage)
    if event.status == state.RUNNING:
        if stage.status != state.RUNNING:
            stage.status, stage.started = state.RUNNING, time.time()
            changed(f"{record.subject_id}: {event.stage} started")
        return
    stage.status, stage.finished = event.status, time.time()
    if stage.started is None:
        stage.started = stage.finished
    word = "done" if event.status == state.DONE else "failed"
    changed(f"{record.subject_id}: {event.stage} {word}")


def log_tail(layout: Layout, subject_id: str, engine_log: Path, lines: int = 20) -> list[str]:
    """The end of the failed recon-all's output: from its log, else from the engine's log."""
    logs = sorted(
        layout.work(subject_id).rglob("scripts/recon-all*.log"), key=lambda p: p.stat().st_mtime
    )
    if logs:
        return logs[-1].read_text(errors="replace").splitlines()[-lines:]
    if not engine_log.exists():
        return []
    text = engine_log.read_text(errors="replace").splitlines()
    # Engines delete a failed job's folder but echo its output: end at recon-all's verdict.
    ends = [i for i, line in enumerate(text) if "exited with ERRORS" in line]
    end = ends[-1] + 1 if ends else len(text)
    return [line.strip() for line in text[max(0, end - lines) : end]]


def group_job(layout: Layout, subject_ids: list[str]) -> dict[str, Any]:
    """stats-tables.cwl's job order for finished subjects' stats files."""

    def stats_file(subject_id: str, name: str) -> dict[str, str]:
        return {"class": "File", "location": (layout.subject(subject_id) / "stats" / name).as_uri()}

    return {
        "subject_ids": subject_ids,
        "aseg_stats": [stats_file(s, "aseg.stats") for s in subject_ids],
        "wmparc_stats": [stats_file(s, "wmparc.stats") for s in subject_ids],
        "aparc_stats": [
            [
                stats_file(s, p.name)
                for p in sorted((layout.subject(s) / "stats").glob("?h.aparc*.stats"))
            ]
            for s in subject_ids
        ],
    }


class LocalBackend:
    """Runs subjects, then the group step, updating the run record as it goes."""

    def __init__(
        self, settings: LocalSettings, layout: Layout, run: state.RunRecord, progress: Progress
    ) -> None:
        self.settings = settings
        self.layout = layout
        self.run = run
        self.progress = progress
        self.env = engine.environment(settings.freesurfer, dict(os.environ), settings.container)

    def changed(self, message: str) -> None:
        self.progress.say(message)
        state.save(self.run, self.layout.run_state)

    def run_subjects(self, order: dict[str, Any]) -> None:
        records = {r["subject_id"]: r for r in order["subjects"]}
        todo = []
        for subject in self.run.subjects:
            if is_finished(self.layout, subject.subject_id):
                subject.status = state.DONE
                for stage in subject.stages:
                    stage.status = state.DONE
                self.changed(f"{subject.subject_id}: finished before, skipped")
            else:
                todo.append(subject)
        with ThreadPoolExecutor(max_workers=max(1, self.settings.jobs)) as pool:
            for _ in pool.map(lambda s: self.run_subject(s, order, records[s.subject_id]), todo):
                self.progress.bar(self.run)

    def run_subject(
        self, record: state.SubjectRecord, order: dict[str, Any], cwl_record: dict[str, Any]
    ) -> None:
        subject_id = record.subject_id
        work = self.layout.work(subject_id)
        job = write_yaml(subject_job(order, cwl_record), work / "job.yml")
        engine_log = self.layout.logs / f"{subject_id}.engine.log"
        engine_log.parent.mkdir(parents=True, exist_ok=True)
        record.status, record.failed_stage, record.error = state.RUNNING, None, None
        self.changed(f"{subject_id}: started")
        out = work / "out"
        shutil.rmtree(out, ignore_errors=True)
        run = engine.EngineRun(
            self.settings.engine,
            engine.cwl_dir() / "workflows" / "subject.cwl",
            job,
            out,
            work,
            self.settings.container,
            cores=self.cores_per_subject(),
            image=self.settings.image,
        )
        resumed = run.engine == "toil" and engine.jobstore(run).exists()
        returncode = self.follow(run, record, engine_log)
        if returncode != 0 and resumed and not self.failed_in_a_tool(engine_log):
            # A leader killed at a bad moment can leave a job store Toil cannot resume;
            # the stages it had finished then run again, once.
            self.changed(
                f"{subject_id}: the interrupted run could not be resumed; "
                "starting this subject over"
            )
            shutil.rmtree(engine.jobstore(run), ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
            returncode = self.follow(run, record, engine_log)
        finished = out / subject_id
        if returncode == 0 and finished.is_dir():
            self.keep(record, finished)
        else:
            self.fail(record, engine_log, returncode)

    @staticmethod
    def failed_in_a_tool(engine_log: Path) -> bool:
        """Whether recon-all itself failed (rather than the engine) in the latest attempt."""
        text = engine_log.read_text(errors="replace") if engine_log.exists() else ""
        latest = text.rsplit(engine.ATTEMPT_MARK, 1)[-1]
        return "exited with ERRORS" in latest

    def cores_per_subject(self) -> int:
        # At least the largest coresMin of the stage tools (autorecon2-volume's 2): Toil
        # refuses a job that asks for more than --maxCores, while the machine is merely
        # shared when subjects together ask for more cores than it has.
        return max(STAGE_CORES_MIN, (os.cpu_count() or 1) // max(1, self.settings.jobs))

    def follow(self, run: engine.EngineRun, record: state.SubjectRecord, log: Path) -> int:
        """Run the engine, logging its output and following the stages."""
        command = engine.command(run, self.settings.freesurfer)
        with (
            log.open("a") as out,
            subprocess.Popen(
                command,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
            ) as process,
        ):
            if process.stdout is None:
                raise RuntimeError("engine output is not captured")
            out.write(f"{engine.ATTEMPT_MARK} {time.strftime('%Y-%m-%dT%H:%M:%S')}\n")
            for line in process.stdout:
                out.write(line)
                follow_stages(line, run.engine, record, self.changed)
            return process.wait()

    def keep(self, record: state.SubjectRecord, finished: Path) -> None:
        target = self.layout.subject(record.subject_id)
        if target.exists():
            # Never replace a folder we did not verify: keep the new result beside it.
            target = target.with_name(f"{target.name}.new-{int(time.time())}")
            self.progress.say(
                f"{record.subject_id}: {self.layout.subject(record.subject_id)} "
                f"exists and does not match its manifest; result kept in {target}"
            )
        finished.rename(target)
        manifest.write_manifest(target, self.layout.manifest(record.subject_id))
        record.status = state.DONE
        for stage in record.stages:
            stage.status = state.DONE
        self.changed(f"{record.subject_id}: done")

    def fail(self, record: state.SubjectRecord, engine_log: Path, returncode: int) -> None:
        record.status = state.FAILED
        failed = [s.name for s in record.stages if s.status == state.FAILED]
        running = [s.name for s in record.stages if s.status == state.RUNNING]
        record.failed_stage = next(iter(failed + running), None)
        for stage in record.stages:
            if stage.status == state.RUNNING:
                stage.status = state.FAILED
        record.error = f"engine exited with status {returncode}; log: {engine_log}"
        record.log_tail = log_tail(self.layout, record.subject_id, engine_log)
        self.changed(f"{record.subject_id}: failed at {record.failed_stage}")

    def run_group(self, order: dict[str, Any]) -> Path | None:
        """Group tables of every finished subject into ``<output>/group/``."""
        done = [s.subject_id for s in self.run.subjects if s.status == state.DONE]
        if not done:
            self.run.group_status = state.FAILED
            self.changed("group tables skipped: no subject finished")
            return None
        work = self.layout.hidden / "work" / "_group"
        shutil.rmtree(work, ignore_errors=True)
        job = group_job(self.layout, done)
        run = engine.EngineRun(
            self.settings.engine,
            engine.cwl_dir() / "tools" / "stats-tables.cwl",
            write_yaml(job, work / "job.yml"),
            work / "out",
            work,
            self.settings.container,
            image=self.settings.image,
        )
        log = self.layout.logs / "group.engine.log"
        record = state.SubjectRecord("group")
        if self.follow(run, record, log) != 0 or not (work / "out" / "group").is_dir():
            self.run.group_status = state.FAILED
            self.changed(f"group tables failed; see {log}")
            return None
        staging = self.layout.output / ".group.new"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(work / "out" / "group", staging)
        shutil.rmtree(self.layout.group, ignore_errors=True)
        staging.rename(self.layout.group)
        self.run.group_status = state.DONE
        self.changed(f"group tables of {len(done)} subjects in {self.layout.group}")
        return self.layout.group / "qc.tsv"

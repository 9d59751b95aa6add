"""Follow the Toil leader's log of an AWS run (cohort-delivered.cwl, group-tables.cwl):
stages and deliveries per subject, retries.

Runs where the leader runs (the laptop, or the detached leader's Batch job). Toil's job
names carry the step, not the subject (the lines are described in
:mod:`fs_cwl_runner.toil_log`), so the subject of a submitted stage is inferred: the subject
whose previous stage finished first and that still waits for this step (recon-all's stages
depend on each other, so the choice is exact whenever one subject is eligible, and corrected
when the stage ends and recon-all's verdict names the subject).

With ``deliveries`` (cohort-delivered.cwl), a subject is done once its delivery step
ended, not at its last recon-all stage; the delivery's log names its subject.

A failed attempt is told apart by Batch's status reason: its host went away (an
interruption, retried without using a try: :mod:`fs_cwl_runner.aws.toil_entry`), or the
stage failed on its own (recon-all's error, tried once more at most); the run record counts
both per stage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from fs_cwl_runner import state
from fs_cwl_runner.aws.toil_entry import is_interruption
from fs_cwl_runner.stages import stage_graph
from fs_cwl_runner.toil_log import (
    ATTEMPT_FAILED,
    BLOCK_END,
    BLOCK_START,
    COMPLETELY_FAILED,
    DELIVER,
    DELIVERED,
    DELIVERING,
    EXPORT,
    EXPORTING,
    GROUP,
    ISSUED,
    STEP_COMPLETE,
    STOP_REASON,
    VERDICT,
    job_id_of,
    stage_of,
)

TAIL_LINES = 20


def sent_text(files: int, size: int, seconds: float) -> str:
    """`` (331 files, 564.2 MB in 12.0 s, 47.0 MB/s)``: what a delivery sent."""
    rate = f", {size / 1e6 / seconds:.1f} MB/s" if seconds > 0 else ""
    return f" ({files} files, {size / 1e6:.1f} MB in {seconds:.1f} s{rate})"


def verdict_tail(lines: list[str]) -> list[str]:
    """The lines of recon-all's output that end with its verdict, else the last lines."""
    ends = [i for i, line in enumerate(lines) if VERDICT.search(line)]
    end = ends[-1] + 1 if ends else len(lines)
    return lines[max(0, end - TAIL_LINES) : end]


@dataclass
class TrackedJob:
    """One Toil job of a stage: its Batch system ids over attempts, and its subject."""

    stage: str
    subject: str | None
    batch_ids: list[int] = field(default_factory=list)
    attempts: int = 0


@dataclass
class _Block:
    name: str | None  # job name of a ".stdout follows" block
    job_id: str | None  # Toil job id of a "Log from job" block
    lines: list[str] = field(default_factory=list)
    verdict: tuple[str, str] | None = None
    named: str | None = None  # the subject a delivery's or a DICOM export's log names
    sent: str = ""  # what the delivery sent, as the progress line says it

    @property
    def subject(self) -> str | None:
        return self.verdict[0] if self.verdict else self.named


class ToilLogTracker:
    """Updates a run record from Toil's log lines; ``say`` gets one line per event."""

    def __init__(
        self, run: state.RunRecord, say: Callable[[str], None], deliveries: bool = False
    ) -> None:
        self.run = run
        self.say = say
        self.deliveries = deliveries
        self.jobs: dict[str, TrackedJob] = {}  # by Toil job id
        self.done_at: dict[tuple[str, str], float] = {}
        self.block: _Block | None = None
        self.completed: list[str] = []  # stages whose "step complete" awaits its block
        self.failed_lines: dict[str, list[str]] = {}
        self.stop_reasons: dict[int, str] = {}  # Batch's reason, by batch system id
        self.exporting: set[str] = set()  # subjects whose DICOM export has not ended

    # --- inference --------------------------------------------------------------------

    def _after_stages(self, step: str) -> list[state.SubjectRecord]:
        """For a delivery or a DICOM export: subjects whose stages are done, not delivered,
        not failed, that no job of ``step`` has (nor, for a delivery, an unfinished export)."""
        assigned = {job.subject for job in self.jobs.values() if job.stage == step}
        if step == DELIVER:
            assigned |= self.exporting
        ready = [
            s
            for s in self.run.subjects
            if s.delivered is None
            and s.status != state.FAILED
            and s.subject_id not in assigned
            and all(st.status == state.DONE for st in s.stages)
        ]
        return sorted(
            ready,
            key=lambda s: max([self.done_at.get((s.subject_id, st.name), 0.0) for st in s.stages]),
        )

    def _eligible(self, stage: str) -> list[state.SubjectRecord]:
        if stage in (DELIVER, EXPORT):
            return self._after_stages(stage)
        ready = [
            s
            for s in self.run.subjects
            if s.stage(stage).status == state.PENDING
            and all(s.stage(n).status == state.DONE for n in stage_graph()[stage])
        ]
        return sorted(
            ready,
            key=lambda s: max(
                [self.done_at.get((s.subject_id, n), 0.0) for n in stage_graph()[stage]],
                default=0.0,
            ),
        )

    def _guess(self, stage: str) -> state.SubjectRecord | None:
        ready = self._eligible(stage)
        if ready or stage in (DELIVER, EXPORT):
            return ready[0] if ready else None
        waiting = [s for s in self.run.subjects if s.stage(stage).status == state.PENDING]
        return waiting[0] if waiting else None

    # --- events -----------------------------------------------------------------------

    def _issued(self, name: str, job_id: str, batch_id: int) -> None:
        stage = stage_of(name)
        if stage is None:
            return
        job = self.jobs.get(job_id)
        if job is None:
            subject = None if stage == GROUP else self._guess(stage)
            job = TrackedJob(stage, subject.subject_id if subject else None)
            self.jobs[job_id] = job
        job.batch_ids.append(batch_id)
        job.attempts += 1
        retry = f" (attempt {job.attempts})" if job.attempts > 1 else ""
        if stage == GROUP:
            self.run.group_status = state.RUNNING
            self.say(f"group tables: submitted{retry}")
            return
        if stage == DELIVER:
            self.say(f"{self._who(stage, job)}: delivery to S3 submitted{retry}")
            return
        if stage == EXPORT:
            if job.subject is not None:
                self.exporting.add(job.subject)
            self.say(f"{self._who(stage, job)}: DICOM export submitted{retry}")
            return
        if job.subject is not None:
            self._mark(job.subject, stage, state.RUNNING)
        self.say(f"{self._who(stage, job)}: {stage} submitted{retry}")

    def _who(self, stage: str, job: TrackedJob) -> str:
        exact = len(self._eligible(stage)) == 0 and job.subject is not None
        return job.subject if exact and job.subject else f"{job.subject or '?'} (inferred)"

    def _mark(self, subject_id: str, stage: str, status: str) -> None:
        subject = self.run.subject(subject_id)
        record = subject.stage(stage)
        now = time.time()
        if status == state.RUNNING:
            record.status, record.started, record.finished = state.RUNNING, now, None
            if subject.status == state.PENDING:
                subject.status = state.RUNNING
            return
        record.status, record.finished = status, now
        record.started = record.started or now
        if status == state.DONE:
            self.done_at[(subject_id, stage)] = now
            if not self.deliveries and all(s.status == state.DONE for s in subject.stages):
                subject.status = state.DONE
        elif status == state.FAILED:
            subject.status, subject.failed_stage = state.FAILED, stage

    def _delivered(self, subject_id: str | None, sent: str) -> None:
        if subject_id not in {s.subject_id for s in self.run.subjects}:
            return
        subject = self.run.subject(str(subject_id))
        subject.status = state.DONE
        subject.delivered = datetime.now(timezone.utc).isoformat()
        self.say(f"{subject_id}: delivered to S3{sent}")

    def _exported(self, subject_id: str | None) -> None:
        if subject_id is None:
            running = [j.subject for j in self.jobs.values() if j.stage == EXPORT and j.subject]
            subject_id = next((s for s in running if s in self.exporting), None)
        if subject_id is None:
            return
        self.exporting.discard(subject_id)
        self.say(f"{subject_id}: DICOM export done")

    def _stage_done(self, stage: str, subject_id: str | None, sent: str = "") -> None:
        if stage == GROUP:
            self.run.group_status = state.DONE
            self.say("group tables: done")
            return
        if stage == DELIVER:
            self._delivered(subject_id, sent)
            return
        if stage == EXPORT:
            self._exported(subject_id)
            return
        if subject_id is None or subject_id not in {s.subject_id for s in self.run.subjects}:
            guess = next(
                (s for s in self.run.subjects if s.stage(stage).status == state.RUNNING), None
            )
            subject_id = guess.subject_id if guess else None
        if subject_id is None:
            return
        self._correct_guess(stage, subject_id)
        self._mark(subject_id, stage, state.DONE)
        self.say(f"{subject_id}: {stage} done")

    def _correct_guess(self, stage: str, subject_id: str) -> None:
        """A stage ended for a subject the submission was not attributed to: swap them."""
        if self.run.subject(subject_id).stage(stage).status == state.RUNNING:
            return
        for job in self.jobs.values():
            if (
                job.stage == stage
                and job.subject not in (None, subject_id)
                and self.run.subject(str(job.subject)).stage(stage).status == state.RUNNING
            ):
                other = self.run.subject(str(job.subject)).stage(stage)
                mine = self.run.subject(subject_id).stage(stage)
                mine.started, other.status, other.started = other.started, state.PENDING, None
                job.subject = subject_id
                return

    def _attempt_failed(self, code: str, name: str, job_id: str) -> None:
        job = self.jobs.get(job_id)
        stage = stage_of(name)
        if job is None or stage is None:
            return
        reason = self.stop_reasons.get(job.batch_ids[-1]) if job.batch_ids else None
        interrupted = is_interruption(reason)
        who = "group tables" if stage == GROUP else f"{job.subject or '?'}: {stage}"
        if stage not in (GROUP, DELIVER, EXPORT) and job.subject is not None:
            record = self.run.subject(job.subject).stage(stage)
            if interrupted:
                record.interruptions += 1
            else:
                record.errors += 1
        if interrupted:
            self.say(f"{who}: Batch job interrupted ({reason}): tried again, no try used")
        else:
            self.say(f"{who}: Batch job failed (exit {code}), the stage's own error")

    def _completely_failed(self, name: str, job_id: str) -> None:
        job = self.jobs.get(job_id)
        stage = stage_of(name)
        if job is None or stage is None:
            return
        if stage == GROUP:
            self.run.group_status = state.FAILED
            self.say("group tables: failed")
            return
        if stage == DELIVER:
            if job.subject is not None:
                subject = self.run.subject(job.subject)
                subject.status, subject.failed_stage = state.FAILED, DELIVER
                subject.log_tail = self.failed_lines.get(job_id, [])[-TAIL_LINES:]
            self.say(f"{job.subject or '?'}: delivery to S3 failed, no tries left")
            return
        if stage == EXPORT:
            self._export_failed(job, job_id)
            return
        if job.subject is not None:
            self._correct_guess(stage, job.subject)
            self._mark(job.subject, stage, state.FAILED)
            subject = self.run.subject(job.subject)
            subject.log_tail = verdict_tail(self.failed_lines.get(job_id, []))
        self.say(f"{job.subject or '?'}: {stage} failed, no tries left")

    def _export_failed(self, job: TrackedJob, job_id: str) -> None:
        if job.subject is not None:
            self.exporting.discard(job.subject)
            subject = self.run.subject(job.subject)
            subject.status, subject.failed_stage = state.FAILED, EXPORT
            subject.log_tail = self.failed_lines.get(job_id, [])[-TAIL_LINES:]
        self.say(f"{job.subject or '?'}: DICOM export failed, no tries left")

    # --- log lines --------------------------------------------------------------------

    def _end_block(self, block: _Block) -> None:
        if block.job_id is not None:
            self.failed_lines[block.job_id] = block.lines
            job = self.jobs.get(block.job_id)
            if job is not None and job.stage in (DELIVER, EXPORT) and block.named is not None:
                job.subject = block.named
            elif job is not None and block.verdict is not None and job.stage != GROUP:
                self._correct_guess(job.stage, block.verdict[0])
                job.subject = block.verdict[0]
            return
        stage = stage_of(block.name or "")
        if stage is not None and stage in self.completed:
            self.completed.remove(stage)
            ok = block.verdict is None or block.verdict[1].startswith("finished")
            if ok:
                self._stage_done(stage, block.subject, block.sent)

    def _in_block(self, line: str) -> bool:
        block = self.block
        if block is None:
            return False
        if line.strip() == BLOCK_END:
            self.block = None
            self._end_block(block)
            return True
        block.lines.append(line.rstrip("\n").strip())
        if match := VERDICT.search(line):
            block.verdict = (match.group(1), match.group(2))
        elif match := DELIVERING.search(line):
            block.named = match.group(1)
        elif match := EXPORTING.search(line):
            block.named = match.group(1) or match.group(2)
        elif match := DELIVERED.search(line):
            block.sent = sent_text(int(match.group(1)), int(match.group(2)), float(match.group(3)))
        return True

    def _flush_completed(self) -> None:
        """A "step complete" line without an output block: the stage ended all the same."""
        while self.completed:
            self._stage_done(self.completed.pop(0), None)

    def feed(self, line: str) -> None:
        """Take one line of Toil's log."""
        if self._in_block(line):
            return
        if match := BLOCK_START.search(line):
            self.block = _Block(match.group(1), job_id_of(match.group(2)))
            return
        if match := ISSUED.search(line):
            self._issued(match.group(1), match.group(2), int(match.group(3)))
        elif match := STEP_COMPLETE.search(line):
            stage = stage_of(match.group(1))
            if stage is not None:
                # Only the thread that wrote this line writes the stage's output block next.
                self._flush_completed()
                self.completed.append(stage)
        elif match := STOP_REASON.search(line):
            self.stop_reasons[int(match.group(1))] = match.group(2)
        elif match := ATTEMPT_FAILED.search(line):
            self._attempt_failed(*match.groups())
        elif match := COMPLETELY_FAILED.search(line):
            self._completely_failed(*match.groups())

    def finish(self) -> None:
        """The log ended: settle what is still open."""
        if self.block is not None:
            block, self.block = self.block, None
            self._end_block(block)
        self._flush_completed()

    def batch_ids(self) -> dict[int, tuple[str, str | None]]:
        """``{Toil batch system id: (stage, subject)}`` of every submitted attempt."""
        return {
            batch_id: (job.stage, job.subject)
            for job in self.jobs.values()
            for batch_id in job.batch_ids
        }

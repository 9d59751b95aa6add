"""The grammar of Toil's log lines (``--logInfo``), read by both backends' progress.

What Toil 9.6's leader logs of a CWL run, whatever the batch system:

* ``Issued job 'CWLJob' subject.cwl.<step>.<tool>.cwl <job id> v1 with job batch system
  ID: <n> ...``: a stage was submitted. The name carries the step, not the subject: in a
  cohort run the scatter index shows only in the leader-side job ``cohort.cwl.<i>.subject.cwl``.
* ``CWL step complete: <name>``, followed by a ``<name>.stdout follows:`` block ending in
  ``<=========``: the stage ended; recon-all's last line in the block (``recon-all -s
  <subject> finished without error``) names the subject.
* ``Job failed with exit value <code>: 'CWLJob' <name> <job id> v<k>`` (an attempt failed; a
  retry follows while tries are left), a ``Log from job "<job id>" follows:`` block (naming
  the subject in ``recon-all -s <subject> exited with ERRORS``) and ``Job 'CWLJob' <name>
  <job id> v<k> is completely failed`` (no tries left).
* ``cohort.cwl.group_tables.<tool>.cwl`` and ``group-tables.cwl.group_tables.<tool>.cwl``:
  the group tables step of cohort.cwl, and of the group tables run of the AWS backend.
* ``subject-delivered.cwl.deliver.deliver-subject.cwl``: a subject's delivery to S3 (AWS
  backend); its ``.stderr follows:`` block names the subject (``deliver-subject: <subject>:
  <n> files, ...``) and says what it sent (``deliver-subject: delivered <n> files (<b> bytes
  sent) in <s> s``).
* ``subject.cwl.aseg_to_dicom.aseg-to-dicom.cwl``: a subject's DICOM export (``dicom:
  true``); its ``.stdout follows:`` block, first, names the subject in the JSON result
  (``{"seg": "<subject>/dicom/aseg.seg.dcm", …}``), and a failed attempt's log in ``dicom:
  exporting <subject> …``.
* ``Job <batch system id> failed because: <reason>`` (AWS Batch only): Batch's status
  reason of a failed attempt, logged just before Toil's ``Job failed`` line; ``Host EC2
  (instance …) terminated.`` for an attempt whose host went away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fs_cwl_runner import state

#: The stage name of cohort.cwl's group tables step.
GROUP = "group"
#: The stage name of subject-delivered.cwl's delivery step (not a recon-all stage).
DELIVER = "deliver"
#: The stage name of subject.cwl's DICOM export step (not a recon-all stage).
EXPORT = "aseg_to_dicom"
SUBJECT_STAGE = re.compile(r"^subject\.cwl\.(\w+)\.[\w.-]+\.cwl$")
GROUP_STAGE = re.compile(r"^(?:cohort|group-tables)\.cwl\.group_tables\.[\w.-]+\.cwl$")
DELIVER_STAGE = re.compile(r"^subject-delivered\.cwl\.deliver\.[\w.-]+\.cwl$")
DELIVERING = re.compile(r"deliver-subject: (\S+): \d+ files, \d+ bytes to ")
#: The subject of a DICOM export: in its stderr as it starts, in its stdout's JSON when done.
EXPORTING = re.compile(
    r'dicom: exporting (?:\S*/)?([^/\s]+)/? …|"seg": "(?:[^"]*/)?([^/"]+)/dicom/aseg\.seg\.dcm"'
)
DELIVERED = re.compile(r"deliver-subject: delivered (\d+) files \((\d+) bytes sent\) in ([\d.]+) s")
ISSUED = re.compile(r"Issued job 'CWLJob' (\S+) (\S+) v\d+ with job batch system ID: (\d+)")
STEP_COMPLETE = re.compile(r"CWL step complete: (\S+)")
BLOCK_START = re.compile(r"(?:(\S+)\.std(?:out|err) follows:|Log from job \"(.+?)\" follows:)")
BLOCK_END = "<========="
JOB_IN_DESCRIPTION = re.compile(r"(\S+) v\d+$")
VERDICT = re.compile(r"recon-all -s (\S+) (finished without error|exited with ERRORS)")
ATTEMPT_FAILED = re.compile(r"Job failed with exit value (-?\d+): 'CWLJob' (\S+) (\S+) v\d+")
COMPLETELY_FAILED = re.compile(r"Job 'CWLJob' (\S+) (\S+) v\d+ is completely failed")
STOP_REASON = re.compile(r"Job (\d+) failed because: (.+?)\s*$")


def stage_of(name: str) -> str | None:
    """The run record's stage (or :data:`GROUP`, :data:`DELIVER`, :data:`EXPORT`) of a Toil
    job name, or None."""
    if match := SUBJECT_STAGE.match(name):
        return match.group(1) if match.group(1) in (*state.STAGES, EXPORT) else None
    if DELIVER_STAGE.match(name):
        return DELIVER
    return GROUP if GROUP_STAGE.match(name) else None


def job_id_of(text: str | None) -> str | None:
    """The Toil job id in ``<id>`` or ``'CWLJob' <name> <id> v<k>``."""
    if text is None:
        return None
    match = JOB_IN_DESCRIPTION.search(text)
    return match.group(1) if match else text


@dataclass(frozen=True)
class StageEvent:
    """A stage that started, ended or failed for good, as one log line tells."""

    stage: str
    status: str  # state.RUNNING, state.DONE or state.FAILED


def stage_event(line: str) -> StageEvent | None:
    """The stage event of one line of a one-subject run's log (subject.cwl), else None."""
    for pattern, status in (
        (ISSUED, state.RUNNING),
        (STEP_COMPLETE, state.DONE),
        (COMPLETELY_FAILED, state.FAILED),
    ):
        if match := pattern.search(line):
            stage = stage_of(match.group(1))
            if stage is None or stage in (GROUP, DELIVER):
                return None
            return StageEvent(stage, status)
    return None

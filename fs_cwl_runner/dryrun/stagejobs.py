"""Each stage's CWL job for one subject, wired as ``cwl/workflows/subject.cwl`` wires it.

A stage's inputs come from the subject's job order (the workflow's inputs), from step
defaults, or from the layers of the stages before it; those layers do not exist before a
run, so each is an empty stand-in folder named after the stage that would make it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fs_cwl_runner import engine
from fs_cwl_runner.stages import SUBJECT_WORKFLOW, stage_steps

#: The one ``valueFrom`` of subject.cwl: "was this optional input given?".
GIVEN_EXPRESSION = "$(self ? true : false)"


class StageJobError(Exception):
    """subject.cwl wires a stage in a way the dry run cannot follow; the message says how."""


@dataclass(frozen=True)
class StageJob:
    """One stage of one subject: the CWL tool it runs and the job given to it."""

    stage: str
    tool: Path
    job: dict[str, Any]


@cache
def subject_steps() -> dict[str, dict[str, Any]]:
    """subject.cwl's stages, in file order."""
    return stage_steps(engine.cwl_dir() / SUBJECT_WORKFLOW)


def tool_path(stage: str) -> Path:
    """The CWL tool file that ``stage`` runs."""
    workflow = engine.cwl_dir() / SUBJECT_WORKFLOW
    run: str = subject_steps()[stage]["run"]
    return (workflow.parent / run).resolve()


def layer_folder(scratch: Path, stage: str, subject_id: str) -> dict[str, str]:
    """A stand-in for the layer ``stage`` would make: an empty folder named as the subject."""
    folder = scratch / "layers" / stage / subject_id
    folder.mkdir(parents=True, exist_ok=True)
    return {"class": "Directory", "location": folder.as_uri(), "basename": subject_id}


def _sources(value: dict[str, Any]) -> list[str]:
    source = value.get("source", [])
    return list(source) if isinstance(source, list) else [source]


def step_input(
    stage: str, name: str, value: Any, subject: dict[str, Any], scratch: Path
) -> tuple[bool, Any]:
    """``(given, value)`` of one step input; not given when the job order leaves it out."""
    wiring = {"source": value} if isinstance(value, str) else dict(value)
    sources = _sources(wiring)
    if not sources:
        return ("default" in wiring, wiring.get("default"))
    upstream = [source.split("/", 1)[0] for source in sources if "/" in source]
    if upstream:
        return (True, [layer_folder(scratch, step, subject["subject_id"]) for step in upstream])
    given = subject.get(sources[0], wiring.get("default"))
    expression = wiring.get("valueFrom")
    if expression is None:
        return (given is not None, given)
    if expression != GIVEN_EXPRESSION:
        raise StageJobError(
            f"{SUBJECT_WORKFLOW} step {stage}, input {name}: the dry run evaluates only "
            f"valueFrom {GIVEN_EXPRESSION!r}, not {expression!r}; add that case to "
            "fs_cwl_runner/dryrun/stagejobs.py"
        )
    return (True, bool(given))


def stage_jobs(subject: dict[str, Any], scratch: Path) -> list[StageJob]:
    """Every stage of the subject (subject.cwl's job order ``subject``), in file order."""
    jobs: list[StageJob] = []
    for stage, step in subject_steps().items():
        job: dict[str, Any] = {}
        for name, value in step.get("in", {}).items():
            given, resolved = step_input(stage, name, value, subject, scratch)
            if given:
                job[name] = resolved
        jobs.append(StageJob(stage, tool_path(stage), job))
    return jobs

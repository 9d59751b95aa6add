"""The stages of one subject and what each needs, read from ``cwl/workflows/subject.cwl``.

The workflow file is the one statement of the stage graph: its steps are the stages, in
the file's order, and a step that takes another step's output (``source: <step>/layer``)
needs that step. A step that runs only when asked (``when:``, the DICOM export) is not a
recon-all stage and is left out. The run record, the progress of both backends and the
report use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from fs_cwl_runner import engine

SUBJECT_WORKFLOW = Path("workflows") / "subject.cwl"


def _sources(value: Any) -> Iterator[str]:
    """The ``source`` entries of one step input (a string, a list, or a mapping of them)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _sources(item)
    elif isinstance(value, dict) and "source" in value:
        yield from _sources(value["source"])


def stage_steps(workflow: Path) -> dict[str, Any]:
    """The steps of ``workflow`` that are stages (every step without ``when:``), in order."""
    steps: dict[str, Any] = YAML(typ="safe").load(workflow.read_text())["steps"]
    return {name: step for name, step in steps.items() if "when" not in step}


def read_stage_graph(workflow: Path) -> dict[str, tuple[str, ...]]:
    """``{step: steps whose outputs it takes}`` of a CWL workflow's stages, in file order."""
    steps = stage_steps(workflow)
    graph: dict[str, tuple[str, ...]] = {}
    for name, step in steps.items():
        needs = {
            source.split("/", 1)[0]
            for value in step.get("in", {}).values()
            for source in _sources(value)
            if "/" in source
        }
        graph[name] = tuple(sorted(needs & set(steps), key=list(steps).index))
    return graph


@cache
def stage_graph() -> dict[str, tuple[str, ...]]:
    """The subject workflow's stages, in order, each with the stages it needs."""
    return read_stage_graph(engine.cwl_dir() / SUBJECT_WORKFLOW)


#: The stages of one subject, in the order subject.cwl lists them.
STAGES: tuple[str, ...] = tuple(stage_graph())

"""The dry run as text for a person (stdout), or as the JSON document itself (``--json``).

The text shows the first subject's commands in full (every subject's with
``--all-commands``), and for the others only their signature, so that a cohort of
thousands stays readable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO


def megabytes(size: int | None) -> str:
    """``24.6 MB``, or ``-`` for a size not known (an s3:// input)."""
    return "-" if size is None else f"{size / 1e6:.1f} MB"


def plural(count: int, word: str) -> str:
    """``1 file``, ``2 files``: the count and the word, in the number it takes."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def shown_value(value: Any) -> str:
    """A layout value as text: a list joined by commas (``-`` if empty)."""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "-"
    return str(value)


def header_lines(report: dict[str, Any]) -> Iterator[str]:
    """Backend, resolved settings, license and where the results would go."""
    yield f"Dry run of {report['cohort']}: nothing is written, uploaded or submitted."
    yield f"backend: {report['backend']}"
    for name, value in report["settings"].items():
        yield f"  {name}: {value}"
    yield f"license: {report['license']}"
    yield "results layout:"
    for name, value in report["layout"].items():
        if isinstance(value, dict):
            yield f"  {name}:"
            yield from (f"    {key}: {shown_value(item)}" for key, item in value.items())
        else:
            yield f"  {name}: {shown_value(value)}"


def input_lines(report: dict[str, Any], shown: set[str]) -> Iterator[str]:
    """The inputs' count, size and states; each input of the subjects shown."""
    inputs = report["inputs"]
    states = ", ".join(f"{count} {state}" for state, count in inputs["states"].items())
    yield f"inputs: {plural(inputs['files'], 'file')}, {megabytes(inputs['bytes'])} ({states})"
    if inputs["note"]:
        yield f"  note: {inputs['note']}"
    for item in inputs["list"]:
        if item["subject"] in shown:
            yield (
                f"  {item['subject']}: {item['source']} ({megabytes(item['size'])}) -> "
                f"{item['target']} [{item['state']}]"
            )


def batch_lines(report: dict[str, Any]) -> Iterator[str]:
    """The AWS Batch jobs table (with --detach, the leader's job first); none off AWS."""
    if not report["batch_jobs"]:
        return
    yield (
        "AWS Batch jobs it would submit (one per stage of each subject, from the CWL hints"
        + ("; the Toil leader first, --detach" if report["settings"].get("leader_queue") else "")
        + "):"
    )
    yield f"  {'stage':<20}{'jobs':>7}{'vCPUs':>7}{'memory':>10}  queue / image"
    for job in report["batch_jobs"]:
        yield (
            f"  {job['stage']:<20}{job['jobs']:>7}{job['vcpus']:>7}"
            f"{job['memory_mib']:>7} MiB  {job['queue']} / {job['image']}"
        )


def subject_lines(report: dict[str, Any]) -> Iterator[str]:
    """Each shown subject's command lines, with the -dontrun steps of its signature."""
    for subject in report["subjects"]:
        if subject["commands"] is None:
            continue
        steps = report["steps"].get(subject["signature"], {})
        yield f"subject {subject['id']} ({subject['signature']}):"
        for stage, command in subject["commands"].items():
            yield f"  {stage}: {' '.join(command)}"
            for step in steps.get(stage, []):
                yield f"    #@# {step['step']}"
                for line in step["commands"]:
                    yield f"        {line}"


def other_lines(report: dict[str, Any]) -> Iterator[str]:
    """The subjects not shown, grouped by signature, with the number of steps per stage."""
    hidden = [s for s in report["subjects"] if s["commands"] is None]
    if not hidden:
        return
    by_signature: dict[str, list[str]] = {}
    for subject in hidden:
        by_signature.setdefault(subject["signature"], []).append(subject["id"])
    yield f"{plural(len(hidden), 'more subject')}, commands not shown (--all-commands shows them):"
    for key, ids in by_signature.items():
        more = f" and {len(ids) - 3} more" if len(ids) > 3 else ""
        counts = ", ".join(
            f"{stage} {plural(len(steps), 'step')}"
            for stage, steps in report["steps"].get(key, {}).items()
        )
        yield f"  {key}: {', '.join(ids[:3])}{more}" + (f" ({counts})" if counts else "")


def summary_lines(report: dict[str, Any]) -> Iterator[str]:
    """Subjects, stages, Batch jobs and the CPU-hours requested."""
    summary = report["summary"]
    jobs = summary["batch_jobs"]
    batch = f", {plural(jobs, 'Batch job')}" if jobs is not None else ""
    yield (
        f"summary: {plural(summary['subjects'], 'subject')}, "
        f"{plural(summary['stages'], 'stage')}{batch}, "
        f"{summary['cpu_hours']:.1f} CPU-hours requested (the CWL hints' cores times an "
        "estimate of each stage's hours; the CWL files state no time)"
    )


def write_text(report: dict[str, Any], stream: TextIO) -> None:
    """The dry run for a person to read."""
    shown = {s["id"] for s in report["subjects"] if s["commands"] is not None}
    sections = [header_lines(report), input_lines(report, shown), batch_lines(report)]
    if report["freesurfer"]:
        sections.append(iter([f"note: {report['freesurfer']}"]))
    sections += [subject_lines(report), other_lines(report), summary_lines(report)]
    for section in sections:
        for line in section:
            print(line, file=stream)


def write_json(report: dict[str, Any], stream: TextIO) -> None:
    """The dry run as one JSON document."""
    json.dump(report, stream, indent=1)
    print(file=stream)

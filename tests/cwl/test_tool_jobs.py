"""The job file beside each CWL tool (cwl/tools/tests/) runs as its comment says.

Each job file names the example data and the output folders of the earlier stages by paths
relative to itself, as a user running the commands of its comment from the repository gets
them: ``results/tools/<job file name>/``. The end-to-end test runs those commands in
stage order with cwltool and the recon-all test double, each with its ``--outdir`` under a
temporary folder instead of ``results/``, through a copy of its job with every path
resolved (``results/`` replaced by that folder, ``license.txt`` by a stand-in).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydicom
import pytest
from ruamel.yaml import YAML

from fs_cwl_runner import engine, manifest
from fs_cwl_runner.freesurfer import FreeSurfer

from support.bad_inputs import STAND_IN_LICENSE
from support.cwl_runs import DOUBLE_VARIABLES, double_environment, read_calls, read_table, write_job
from support.paths import CWL, EXAMPLE_DATA, REPO

JOBS = CWL / "tools" / "tests"
RESULTS = REPO / "results"
#: The license path the job files name: in the repository's folder, outside cwl/.
LICENSE_PLACEHOLDER = "../../../license.txt"


@dataclass(frozen=True)
class ToolJob:
    """One job file, the tool it is for, and what its run outputs."""

    name: str  # the job file's name without .yml, and its output folder's
    tool: str  # the tool's file name without .cwl
    output: str  # the output that names the run's folder
    folder: str  # that folder, in the output folder
    stage: str | None  # the recon-all stage the test double records, if any
    #: Which file it runs, from cwl/: a tool (tools/<tool>.cwl) or a workflow.
    process: str = ""

    @property
    def path(self) -> str:
        return self.process or f"tools/{self.tool}.cwl"


# In stage order: each reads only the outputs of those before it.
TOOL_JOBS = (
    ToolJob("autorecon1", "autorecon1", "layer", "sub-01", "autorecon1"),
    ToolJob("autorecon2-volume", "autorecon2-volume", "layer", "sub-01", "autorecon2-volume"),
    ToolJob("autorecon-hemi", "autorecon-hemi", "layer", "sub-01", "hemi-lh"),
    ToolJob("autorecon-hemi-rh", "autorecon-hemi", "layer", "sub-01", "hemi-rh"),
    ToolJob("autorecon3-both", "autorecon3-both", "subject_dir", "sub-01", "autorecon3"),
    ToolJob("recon-all", "recon-all", "subject_dir", "sub-03", "all"),
    ToolJob("stats-tables", "stats-tables", "tables", "group", None),
    ToolJob("aseg-to-dicom", "aseg-to-dicom", "with_dicom", "sub-01", None),
    # Delivered into its own output folder (a relative destination): no S3 needed.
    ToolJob("deliver-subject", "deliver-subject", "delivered", "delivered", None),
    # The longitudinal stream, on sub-01 and sub-03 as two sessions of one person.
    ToolJob("template-autorecon1", "template-autorecon1", "layer", "person-1", "autorecon1"),
    ToolJob("template", "template", "template_dir", "person-1", None, "workflows/template.cwl"),
    ToolJob("long-autorecon1", "long-autorecon1", "layer", "sub-01.long.person-1", "autorecon1"),
)
IDS = [job.name for job in TOOL_JOBS]


def load_job(job: ToolJob) -> dict[str, Any]:
    return dict(YAML(typ="safe").load((JOBS / f"{job.name}.yml").read_text()))


def file_paths(value: Any) -> list[str]:
    """The ``path`` of every File and Directory in a job's value."""
    if isinstance(value, list):
        return [path for item in value for path in file_paths(item)]
    if isinstance(value, dict) and value.get("class") in ("File", "Directory"):
        return [value["path"]]
    return []


def resolve(value: Any, results: Path, license_file: Path) -> Any:
    """``value`` with each File's and Directory's path as a location, ``results/`` moved."""
    if isinstance(value, list):
        return [resolve(item, results, license_file) for item in value]
    if not (isinstance(value, dict) and value.get("class") in ("File", "Directory")):
        return value
    if value["path"] == LICENSE_PLACEHOLDER:
        return {"class": "File", "location": license_file.as_uri()}
    path = Path(os.path.normpath(JOBS / value["path"]))
    if path.is_relative_to(RESULTS):
        path = results / path.relative_to(RESULTS)
    return {"class": value["class"], "location": path.as_uri()}


def test_every_tool_has_a_job_file_and_every_job_file_a_run() -> None:
    tools = {path.stem for path in (CWL / "tools").glob("*.cwl")}
    assert tools <= set(IDS)
    assert {path.stem for path in JOBS.glob("*.yml")} == set(IDS)
    assert {job.tool for job in TOOL_JOBS if not job.process} == tools


@pytest.mark.parametrize("job", TOOL_JOBS, ids=IDS)
def test_job_file_comment_gives_the_command_that_the_test_runs(job: ToolJob) -> None:
    command = (
        f"cwltool --outdir results/tools/{job.name} cwl/{job.path} cwl/tools/tests/{job.name}.yml"
    )
    assert f"#   {command}\n" in (JOBS / f"{job.name}.yml").read_text()


@pytest.mark.parametrize("job", TOOL_JOBS, ids=IDS)
def test_job_file_reads_the_example_data_and_earlier_outputs_only(job: ToolJob) -> None:
    doc = load_job(job)
    if job.stage is not None:  # the recon-all tools; the table scripts need no license
        assert doc["fs_license"] == {"class": "File", "path": LICENSE_PLACEHOLDER}
    earlier = [RESULTS / "tools" / j.name / j.folder for j in TOOL_JOBS[: TOOL_JOBS.index(job)]]
    for name, value in doc.items():
        if name == "fs_license":
            continue
        for relative in file_paths(value):
            assert not Path(relative).is_absolute(), relative
            path = Path(os.path.normpath(JOBS / relative))
            assert path.parent == EXAMPLE_DATA or any(
                path == folder or path.is_relative_to(folder) for folder in earlier
            ), relative


class ToolRuns:
    """Runs the job files in stage order, each once, in a temporary results folder."""

    def __init__(self, root: Path, freesurfer: FreeSurfer) -> None:
        self.results = root / "results"
        self.license = root / "license-for-test-double.txt"
        self.license.write_text(STAND_IN_LICENSE)
        self.root = root
        self.freesurfer = freesurfer
        self.done: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}

    def outputs(self, job: ToolJob) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The run's CWL outputs and the test double's calls, after the runs before it."""
        for earlier in TOOL_JOBS[: TOOL_JOBS.index(job) + 1]:
            if earlier.name not in self.done:
                self.done[earlier.name] = self.run(earlier)
        return self.done[job.name]

    def run(self, job: ToolJob) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        work = self.root / "work" / job.name
        work.mkdir(parents=True)
        order = {
            name: resolve(value, self.results, self.license)
            for name, value in load_job(job).items()
        }
        calls = work / "calls.jsonl"
        env = double_environment(self.freesurfer, calls)
        run = engine.EngineRun(
            engine="cwltool",
            workflow=CWL / job.path,
            job_order=write_job(order, work / "job.yml"),
            outdir=self.results / "tools" / job.name,
            workdir=work,
            preserve=tuple(name for name in DOUBLE_VARIABLES if name in env),
        )
        result = subprocess.run(
            engine.command(run, self.freesurfer),
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"{job.name}: {result.stderr[-4000:]}"
        return json.loads(result.stdout), read_calls(calls)


@pytest.fixture(scope="module")
def tool_runs(tmp_path_factory: pytest.TempPathFactory, freesurfer: FreeSurfer) -> ToolRuns:
    return ToolRuns(tmp_path_factory.mktemp("tool-jobs"), freesurfer)


@pytest.mark.e2e
@pytest.mark.parametrize("job", TOOL_JOBS, ids=IDS)
def test_job_file_runs_with_cwltool(job: ToolJob, tool_runs: ToolRuns) -> None:
    outputs, calls = tool_runs.outputs(job)
    # Where the later job files look for it.
    folder = tool_runs.results / "tools" / job.name / job.folder
    assert Path(outputs[job.output]["path"]) == folder
    stages = [call["stage"] for call in calls]
    if job.name == "template":  # the four stages, each once, with the template's name
        assert sorted(stages) == sorted(
            ["autorecon1", "autorecon2-volume", "hemi-lh", "hemi-rh", "autorecon3"]
        )
        assert {call["subject"] for call in calls} == {"person-1"}
        assert (folder / "base-tps").read_text() == "sub-01\nsub-03\n"
    else:
        assert stages == ([job.stage] if job.stage else [])
    if job.name == "stats-tables":
        qc = read_table(folder / "qc.tsv")
        assert [row[0] for row in qc[1:]] == ["sub-01", "sub-03"]
    elif job.name == "deliver-subject":
        source = tool_runs.results / "tools" / "recon-all" / "sub-03"
        receipt = json.loads((folder / "logs" / "delivered" / "sub-03.json").read_text())
        assert Path(outputs["receipt"]["path"]).read_text() == json.dumps(receipt, indent=1) + "\n"
        assert receipt["files"] == manifest.describe(source)
        assert manifest.describe(folder / "sub-03") == receipt["files"]
        assert receipt["total_bytes"] == receipt["uploaded_bytes"] > 0
    elif job.name == "aseg-to-dicom":
        # The subject folder of autorecon3-both.yml, with the export added.
        assert (folder / "scripts" / "recon-all.done").is_file()
        assert Path(outputs["seg"]["path"]) == folder / "dicom" / "aseg.seg.dcm"
        assert pydicom.dcmread(outputs["seg"]["path"]).Modality == "SEG"
        assert pydicom.dcmread(outputs["sr"]["path"]).Modality == "SR"
        assert len(list((folder / "dicom" / "reference").iterdir())) > 1
    elif job.name == "long-autorecon1":
        assert (folder / "scripts" / "long.base").read_text() == "person-1\n"
        assert (folder / "surf" / "lh.orig").is_file()
        # The timepoints and the template were read beside the run, and are not output.
        assert sorted(p.name for p in folder.parent.iterdir()) == ["sub-01.long.person-1"]
    else:
        assert (folder / "scripts" / "recon-all.done").is_file()

"""Every CWL file validates without warnings and follows the project's conventions."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from fs_cwl_runner import __version__

from support.paths import CWL, REPO

CWL_FILES = sorted(CWL.rglob("*.cwl"))
TOOLS = sorted((CWL / "tools").glob("*.cwl"))
CWLTOOL = str(Path(sys.executable).parent / "cwltool")
#: The tools that need Python packages rather than FreeSurfer, by the package each names:
#: they run in the project's own image (docker/build.sh tags it fs-cwl:<version>).
PROJECT_IMAGE_TOOLS = {"deliver-subject.cwl": "boto3", "aseg-to-dicom.cwl": "highdicom"}
#: The tools that run recon-all (the others run FreeSurfer's table scripts, or none).
RECON_ALL_TOOLS = [p for p in TOOLS if p.name not in ("stats-tables.cwl", *PROJECT_IMAGE_TOOLS)]


def load(path: Path) -> dict[str, Any]:
    return dict(YAML(typ="safe").load(path.read_text()))


def test_there_is_a_tool_per_stage_and_the_workflows() -> None:
    names = {p.relative_to(CWL).as_posix() for p in CWL_FILES}
    assert {
        "tools/autorecon1.cwl",
        "tools/autorecon2-volume.cwl",
        "tools/autorecon-hemi.cwl",
        "tools/autorecon3-both.cwl",
        "tools/recon-all.cwl",
        "tools/stats-tables.cwl",
        "tools/deliver-subject.cwl",
        "tools/aseg-to-dicom.cwl",
        "workflows/subject.cwl",
        "workflows/cohort.cwl",
        "workflows/subject-delivered.cwl",
        "workflows/cohort-delivered.cwl",
        "tools/template-autorecon1.cwl",
        "tools/long-autorecon1.cwl",
        "workflows/template.cwl",
        "workflows/long-timepoint.cwl",
        "workflows/longitudinal.cwl",
        "workflows/cohort-longitudinal.cwl",
    } <= names


@pytest.mark.parametrize("path", CWL_FILES, ids=lambda p: p.name)
def test_validates_without_warnings(path: Path) -> None:
    result = subprocess.run(
        [CWLTOOL, "--validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "is valid CWL" in result.stdout
    assert "WARNING" not in result.stderr, result.stderr


@pytest.mark.parametrize("path", CWL_FILES, ids=lambda p: p.name)
def test_is_executable_with_cwl_runner_shebang(path: Path) -> None:
    lines = path.read_text().splitlines()
    assert lines[0] == "#!/usr/bin/env cwl-runner"
    assert lines[1] == "cwlVersion: v1.2"
    assert lines[2].startswith("class: ")
    assert os.access(path, os.X_OK)


@pytest.mark.parametrize("path", CWL_FILES, ids=lambda p: p.name)
def test_label_and_doc_on_process_and_every_input(path: Path) -> None:
    doc = load(path)
    assert doc.get("label") and doc.get("doc"), "process needs label and doc"
    for name, spec in doc["inputs"].items():
        assert isinstance(spec, dict) and spec.get("label") and spec.get("doc"), name
    if doc["class"] == "CommandLineTool" or "recon-all" in doc["label"]:
        assert "recon-all" in doc["doc"] or "stats2table" in doc["doc"]


@pytest.mark.parametrize("path", TOOLS, ids=lambda p: p.name)
def test_tool_hints_are_pinned(path: Path) -> None:
    doc = load(path)
    hints, requirements = doc["hints"], doc.get("requirements", {})
    packages = hints["SoftwareRequirement"]["packages"]
    if path.name in PROJECT_IMAGE_TOOLS:
        # Pinned by the project's version: its image carries the Python and boto3 it needs.
        assert hints["DockerRequirement"] == {"dockerPull": f"fs-cwl:{__version__}"}
        package = PROJECT_IMAGE_TOOLS[path.name]
        assert packages == {
            "fs-cwl": {"version": [__version__]},
            package: {"specs": [f"https://pypi.org/project/{package}/"]},
        }
    else:
        assert hints["DockerRequirement"] == {"dockerPull": "freesurfer/freesurfer:7.3.2"}
        assert packages == {
            "freesurfer": {
                "specs": ["https://identifiers.org/RRID:SCR_001847"],
                "version": ["7.3.2"],
            }
        }
    resources = hints["ResourceRequirement"]
    assert {"coresMin", "ramMin", "outdirMin", "tmpdirMin"} <= set(resources)
    # Hints may be ignored by a runner; things that change the tool's meaning may not.
    for name in ("DockerRequirement", "SoftwareRequirement", "ResourceRequirement"):
        assert name not in requirements
    assert "EnvVarRequirement" not in hints and "InitialWorkDirRequirement" not in hints


@pytest.mark.parametrize("path", RECON_ALL_TOOLS, ids=lambda p: p.name)
def test_recon_all_tools_license_threads_and_debug(path: Path) -> None:
    doc = load(path)
    env = doc["requirements"]["EnvVarRequirement"]["envDef"]
    assert env == {"FS_LICENSE": "$(inputs.fs_license.path)"}
    assert doc["inputs"]["fs_license"]["type"] == "File"
    assert "inputBinding" not in doc["inputs"]["fs_license"], "the license is never an argument"
    assert {"prefix": "-openmp", "valueFrom": "$(runtime.cores)"} in doc["arguments"]
    assert doc["baseCommand"] == ["bash", "recon-all-stage.sh"]
    staged = {
        entry.get("entryname"): entry.get("entry")
        for entry in doc["requirements"]["InitialWorkDirRequirement"]["listing"]
    }
    assert staged["recon-all-stage.sh"] == {"$include": "recon-all-stage.sh"}


def test_stage_script_unsets_debug_and_keeps_empty_folders() -> None:
    script = (CWL / "tools" / "recon-all-stage.sh").read_text()
    assert 'env -u DEBUG recon-all "$@"' in script
    assert "-type d -empty -exec touch {}/.keep" in script


def included_files(path: Path) -> list[Path]:
    """The files a tool stages with ``$include`` in its InitialWorkDirRequirement."""
    listing = load(path).get("requirements", {}).get("InitialWorkDirRequirement", {})
    entries = [entry.get("entry") for entry in listing.get("listing", [])]
    return [
        path.parent / entry["$include"]
        for entry in entries
        if isinstance(entry, dict) and "$include" in entry
    ]


def test_stats_tables_stages_its_scripts_from_files() -> None:
    doc = load(CWL / "tools" / "stats-tables.cwl")
    staged = {
        entry.get("entryname"): entry.get("entry")
        for entry in doc["requirements"]["InitialWorkDirRequirement"]["listing"]
    }
    assert staged == {
        "stats-tables.sh": {"$include": "stats-tables.sh"},
        "qc_table.py": {"$include": "qc_table.py"},
    }
    assert doc["baseCommand"] == ["bash", "stats-tables.sh"]
    assert "fspython qc_table.py " in (CWL / "tools" / "stats-tables.sh").read_text()


def test_deliver_subject_runs_its_script_with_network_and_no_credentials() -> None:
    doc = load(CWL / "tools" / "deliver-subject.cwl")
    requirements = doc["requirements"]
    # Without NetworkAccess a CWL runner may cut the tool off from S3.
    assert requirements["NetworkAccess"] == {"networkAccess": True}
    staged = {
        entry.get("entryname"): entry.get("entry")
        for entry in requirements["InitialWorkDirRequirement"]["listing"]
    }
    assert staged == {"deliver_subject.py": {"$include": "deliver_subject.py"}}
    assert doc["baseCommand"] == ["python3", "deliver_subject.py"]
    # boto3 finds the credentials (the job role on Batch): none is an input or a variable.
    assert set(doc["inputs"]) == {"subject_dir", "subject_id", "destination"}
    assert "EnvVarRequirement" not in requirements
    script = (CWL / "tools" / "deliver_subject.py").read_text()
    assert "fs_cwl_runner" not in script
    assert f"REFUSED = {doc['permanentFailCodes'][0]}" in script


def test_delivered_workflows_wrap_subject_cwl_and_deliver_inside_the_scatter() -> None:
    subject = load(CWL / "workflows" / "subject.cwl")
    delivered = load(CWL / "workflows" / "subject-delivered.cwl")
    assert set(delivered["inputs"]) == {*subject["inputs"], "destination"}
    assert delivered["steps"]["subject"]["run"] == "subject.cwl"
    deliver = delivered["steps"]["deliver"]
    assert deliver["run"] == "../tools/deliver-subject.cwl"
    assert deliver["in"]["subject_dir"] == "subject/subject_dir"
    assert set(delivered["outputs"]) == {"receipt"}

    cohort = load(CWL / "workflows" / "cohort.cwl")
    cohort_delivered = load(CWL / "workflows" / "cohort-delivered.cwl")
    assert set(cohort_delivered["inputs"]) == {*cohort["inputs"], "destination"}
    # One step, the scattered subject: a step after it would wait for every subject.
    [(name, step)] = cohort_delivered["steps"].items()
    assert step["run"] == "subject-delivered.cwl" and step["scatter"] == "subject"
    # Only the receipts: Toil's final export of the outputs then copies nothing large.
    [(output, spec)] = cohort_delivered["outputs"].items()
    assert (output, spec["type"], spec["outputSource"]) == ("receipts", "File[]", f"{name}/receipt")
    # Both cohorts read the same Subject record, from one file.
    for doc in (cohort, cohort_delivered):
        types = doc["requirements"]["SchemaDefRequirement"]["types"]
        assert types == [{"$import": "subject-type.yml"}]
        assert doc["inputs"]["subjects"]["type"] == "subject-type.yml#Subject[]"


@pytest.mark.parametrize(
    "path", sorted({f for tool in TOOLS for f in included_files(tool)}), ids=lambda p: p.name
)
def test_included_file_has_no_expressions_and_is_shipped(path: Path) -> None:
    # CWL reads $( and ${ in an InitialWorkDir entry as expressions.
    text = path.read_text()
    assert "$(" not in text and "${" not in text
    assert path.relative_to(REPO).as_posix() in shipped_cwl_files(), "not in data-files"


def shipped_cwl_files() -> set[str]:
    """The files of cwl/ a wheel installs (pyproject.toml's [tool.setuptools.data-files])."""
    # Read as text: tomllib needs Python 3.11.
    text = (REPO / "pyproject.toml").read_text()
    section = text.split("[tool.setuptools.data-files]\n", 1)[1].split("\n[", 1)[0]
    shipped = set()
    for target, patterns in re.findall(
        r'^"(share/fs-cwl/cwl[^"]*)" = (\[.*\])$', section, re.MULTILINE
    ):
        for pattern in json.loads(patterns):
            for path in REPO.glob(pattern):
                relative = path.relative_to(REPO)
                assert target == f"share/fs-cwl/{relative.parent.as_posix()}", pattern
                shipped.add(relative.as_posix())
    return shipped


def test_the_package_ships_every_file_of_cwl() -> None:
    # So the digest of cwl/ in the run id (aws/toil_run.py, cwl_digest) is the same from a
    # checkout and from an installed fs-cwl.
    result = subprocess.run(
        ["git", "ls-files", "cwl"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip("not a git checkout")
    assert shipped_cwl_files() == set(result.stdout.splitlines())


def test_no_machine_paths_in_cwl() -> None:
    for path in [*CWL_FILES, *CWL.rglob("*.yml")]:
        text = path.read_text()
        assert str(REPO) not in text and "/tmp/" not in text, path


def test_local_backend_gives_toil_the_largest_cores_min() -> None:
    from fs_cwl_runner.local.backend import STAGE_CORES_MIN

    cores = [
        load(path)["hints"]["ResourceRequirement"]["coresMin"]
        for path in sorted((CWL / "tools").glob("*.cwl"))
    ]
    assert max(cores) == STAGE_CORES_MIN

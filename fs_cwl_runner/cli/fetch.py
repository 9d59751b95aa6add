"""``fs-cwl-run fetch RUN DEST``: its flags; the download is :mod:`fs_cwl_runner.aws.fetch`.

DEST is checked first, on this machine: it must be a folder (or not exist yet), and when
RUN is a cohort file DEST must hold none of its inputs, so results never land on them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.spec import CohortError, CohortSpec
from fs_cwl_runner.s3uri import is_s3_uri
from fs_cwl_runner.settings import SettingValues, UsageError

FETCH_SETTINGS = ("bucket", "region", "jobstore_prefix")


def add_fetch_command(sub: Any, add_setting: Any) -> None:
    """Add ``fetch`` to the subcommands ``sub``."""
    fetch = sub.add_parser(
        "fetch",
        help="download an AWS run's results from S3, verified",
        description="Download an AWS run's delivered subjects, each file checked against its "
        "receipt. Given the cohort (its file or output folder) with freesurfer: {dicom: "
        "true}, the fetched subjects whose T1 was a DICOM series get their DICOM SEG and SR "
        "beside that series, in FOLDER.fs-cwl-dicom/SUBJECT/ (they are patient data).",
    )
    fetch.add_argument(
        "run",
        help="s3://bucket/prefix of the results, a cohort file, its "
        "local output folder, or a run id",
    )
    fetch.add_argument("dest", type=Path, help="local folder to download into")
    fetch.add_argument(
        "--stats-only", action="store_true", help="only each subject's stats/ and the group/ tables"
    )
    for name in FETCH_SETTINGS:
        add_setting(fetch, name)


def cohort_inputs(cohort: CohortSpec) -> list[Path]:
    """The cohort file and its local input files."""
    found = [cohort.path]
    for subject in cohort.subjects:
        found.extend(Path(p) for p in (*subject.t1w, subject.t2w, subject.flair) if p)
    if cohort.freesurfer.expert:
        found.append(Path(cohort.freesurfer.expert))
    return [path for path in found if not is_s3_uri(str(path))]


def check_dest(run: str, dest: Path) -> None:
    """UsageError if downloading into ``dest`` could replace a file that is not a result."""
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"DEST {dest}: that is a file; give the folder to download into")
    if not Path(run).is_file():
        return
    try:
        cohort, _ = load_cohort(Path(run), check_images=False)
    except CohortError:
        return  # the fetch itself reports the cohort's problems
    target = dest.resolve()
    for path in cohort_inputs(cohort):
        if target == path.resolve().parent or target in path.resolve().parents:
            raise UsageError(
                f"DEST {dest}: it holds {path}, an input of the cohort; "
                "download into a folder of its own, such as the cohort's output"
            )


def cmd_fetch(args: argparse.Namespace, config: dict[str, Any]) -> int:
    """Download a run's results to DEST, checked before any AWS call."""
    check_dest(str(args.run), args.dest)
    from fs_cwl_runner.aws.fetch import FetchRequest, fetch_results  # boto3 only when fetching

    values = SettingValues({name: getattr(args, name) for name in FETCH_SETTINGS}, config)
    return fetch_results(FetchRequest(str(args.run), args.dest, bool(args.stats_only)), values)

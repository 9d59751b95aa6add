"""``fs-cwl-run fetch RUN DEST`` on the laptop: an AWS run's results, downloaded and verified.

RUN names the results: an ``s3://bucket/prefix`` URI; a cohort file (its s3:// output, or
the run's outputs in ``--bucket``); a local output folder of that cohort (its
``logs/run.json`` names the cohort file); or a run id, as ``fs-cwl-run --json`` prints it
(``s3://<bucket>/outputs/<run id>/``); :func:`locate_run` finds them, for ``aws clean``
too. ``--stats-only`` takes each subject's ``stats/`` and ``group/`` only. Only delivered
subjects are fetched (those with a receipt, :mod:`fs_cwl_runner.aws.receipts`), each file
checked against its receipt's SHA-256; how other files are verified:
:mod:`fs_cwl_runner.aws.download`. When RUN names the cohort (its file or output folder)
and the cohort asks for ``dicom: true``, the fetched subjects whose T1 was a DICOM series
get their SEG and SR beside the series, as after an attached run (:func:`export_fetched`:
a detached run's leader never has the series). A JSON summary goes to stdout, progress to
stderr.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from fs_cwl_runner import engine, state
from fs_cwl_runner.aws.clients import s3_client
from fs_cwl_runner.aws.download import (
    FetchError,
    RemoteFile,
    StderrCounter,
    fetch_files,
    list_files,
    stats_only,
)
from fs_cwl_runner.aws.receipts import Receipt, read_receipts
from fs_cwl_runner.aws.results import GROUP, ResultsError, destination
from fs_cwl_runner.aws.toil_run import DEFAULT_JOBSTORE_PREFIX, cwl_digest, parse_bucket, run_id
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.spec import CohortError, CohortSpec
from fs_cwl_runner.layout import DICOM_INPUTS_NAME, Layout
from fs_cwl_runner.progress import Progress
from fs_cwl_runner.s3uri import S3Uri, S3UriError, is_s3_uri
from fs_cwl_runner.settings import SettingsError, SettingValues

RUN_ID = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
LOGS = "logs"
#: Folders next to the subjects that no receipt covers: the group tables, the logs, and the
#: converted DICOM inputs' sidecars.
SHARED = (GROUP, LOGS, DICOM_INPUTS_NAME)


class FetchUsageError(SettingsError):
    """RUN or the settings do not name results; nothing was downloaded."""


@dataclass(frozen=True)
class FetchRequest:
    """What ``fetch`` was asked: which run, into which folder, all files or stats only."""

    run: str
    dest: Path
    stats_only: bool = False


@dataclass(frozen=True)
class RunLocation:
    """Where a run's results are, and the run's id when RUN tells it."""

    results: S3Uri
    run: str | None = None  # None: RUN named the results only (an s3:// URI)
    #: The cohort RUN named (its file, or its output folder), loaded without its images.
    cohort: CohortSpec | None = None


def _cohort_location(path: Path, values: SettingValues) -> RunLocation:
    try:
        cohort, _ = load_cohort(path, check_images=False)
    except CohortError as err:
        raise FetchUsageError(str(err)) from err
    if is_s3_uri(cohort.output) and values.get("bucket") is None:
        # The run id would need --bucket.
        return RunLocation(S3Uri.parse(cohort.output), cohort=cohort)
    bucket = parse_bucket(values.require("bucket"))
    prefix = values.get("jobstore_prefix") or DEFAULT_JOBSTORE_PREFIX
    run = run_id(cohort, bucket, prefix, cwl_digest(engine.cwl_dir()))
    return RunLocation(destination(cohort, bucket, run), run, cohort)


def locate_run(text: str, values: SettingValues) -> RunLocation:
    """Where the results of RUN (``text``) are, and its run id if RUN tells it."""
    if is_s3_uri(text):
        try:
            return RunLocation(S3Uri.parse(text))
        except S3UriError as err:
            raise FetchUsageError(f"RUN: {err}") from err
    path = Path(text)
    if path.is_dir() and (path / "logs" / "run.json").is_file():
        return _cohort_location(Path(state.load(path / "logs" / "run.json").cohort), values)
    if path.is_file():
        return _cohort_location(path, values)
    if RUN_ID.match(text):
        return RunLocation(parse_bucket(values.require("bucket")).join("outputs", text), text)
    raise FetchUsageError(
        f"RUN: {text!r} is neither an s3:// URI, a cohort file, a run's output folder nor a run id"
    )


def export_fetched(
    unchecked: CohortSpec, subjects: Collection[str], dest: Path, progress: Progress
) -> dict[str, str]:
    """The SEG and SR, beside its series, of each fetched subject (its folder in ``dest``)
    whose T1 was a DICOM series (its converted T1's sidecar was fetched), when the cohort
    asks for ``dicom: true``; the folders written, by subject id. ``unchecked``: the cohort
    as RUN named it; it is loaded again, checked, only when there is something to export. A
    series no longer where the cohort says is a warning."""
    if not unchecked.freesurfer.dicom:
        return {}
    sidecars = dest / DICOM_INPUTS_NAME
    dicom_t1 = [s for s in subjects if any((sidecars / s).glob("T1w_*.json"))]
    if not dicom_t1:
        return {}
    from fs_cwl_runner.dicom.beside_series import export_finished  # pydicom only here

    try:
        cohort, _ = load_cohort(unchecked.path)  # checked: the series' files, in slice order
    except CohortError as err:
        # Said even with --quiet: the cohort asked for this export and it is not there.
        print(f"warning: dicom: no export beside the DICOM series: {err}", file=sys.stderr)
        return {}
    return export_finished(cohort, dicom_t1, Layout(dest), progress)


def missing_files(files: list[RemoteFile], receipts: Mapping[str, Receipt]) -> list[str]:
    """``<subject>/<path>`` of each file a receipt lists that S3 does not hold."""
    listed = {item.relative for item in files}
    return sorted(
        f"{subject}/{name}"
        for subject, receipt in receipts.items()
        for name in receipt.files
        if f"{subject}/{name}" not in listed
    )


def delivered_files(
    files: list[RemoteFile], receipts: Mapping[str, Receipt]
) -> tuple[list[RemoteFile], list[str]]:
    """The files to fetch, and the subject folders left out.

    A delivered subject's files are those its receipt lists, with their SHA-256; the folder
    of a subject without a receipt (a delivery that failed or has not finished) is left
    out. Results without any receipt (of a release before receipts) are taken whole.
    """
    if not receipts:
        return files, []
    kept, left_out = [], set()
    for item in files:
        top, _, rest = item.relative.partition("/")
        if not rest or top in SHARED:
            kept.append(item)
        elif top not in receipts:
            left_out.add(top)
        elif (entry := receipts[top].files.get(rest)) is not None:
            kept.append(replace(item, sha256=entry.sha256))
    return kept, sorted(left_out)


def fetch_results(request: FetchRequest, values: SettingValues) -> int:
    """Download RUN's results into DEST, every file verified; exit 1 when some file failed."""
    location = locate_run(request.run, values)
    source = location.results
    client = s3_client(values.get("region"))
    try:
        files = list_files(client, source)
    except FetchError as err:
        raise FetchUsageError(str(err)) from err
    try:
        receipts = read_receipts(client, source)
    except ResultsError as err:
        raise FetchUsageError(str(err)) from err
    missing = missing_files(files, receipts)
    files, undelivered = delivered_files(files, receipts)
    for subject in undelivered:
        print(f"{subject}: not delivered (no receipt), skipped", file=sys.stderr)
    if request.stats_only:
        files = stats_only(files)
    if not files:
        raise FetchUsageError(f"no results under {source}/ (check RUN, or --bucket)")
    dest = request.dest
    print(f"fetching {len(files)} files from {source}/ into {dest}", file=sys.stderr)
    counter = StderrCounter(len(files), "fetching", sys.stderr)
    result = fetch_files(client, source.bucket, [(f, dest / f.relative) for f in files], counter)
    result.errors += [f"{source}/{name}: listed in its receipt, missing in S3" for name in missing]
    for error in result.errors[:20]:
        print(f"error: {error}", file=sys.stderr)
    tops = {f.relative.split("/", 1)[0] for f in files if "/" in f.relative}
    subjects = sorted(tops - set(SHARED))
    beside: dict[str, str] = {}
    if location.cohort is not None and not request.stats_only and not result.errors:
        beside = export_fetched(location.cohort, subjects, dest, Progress())
    print(
        json.dumps(
            {
                "source": f"{source}/",
                "destination": str(dest),
                "stats_only": request.stats_only,
                **result.to_json(),
                "subjects": subjects,
                "group": GROUP in tops,
                "not_delivered": undelivered,
                "dicom_beside_series": beside,
            }
        )
    )
    return 1 if result.errors else 0

"""``fs-cwl-run fetch RUN DEST``: download an AWS run's results and verify every file.

RUN names the results: an ``s3://bucket/prefix`` URI; a cohort file (its s3:// output, or
the run's outputs in ``--bucket``); a local output folder of that cohort (its
``logs/run.json`` names the cohort file); or a run id, as ``fs-cwl-run --json`` prints it
(``s3://<bucket>/outputs/<run id>/``). ``--stats-only`` takes each subject's ``stats/``
and ``group/`` only. How files are verified: :mod:`fs_cwl_runner.aws.download`. A JSON summary
goes to stdout, progress to stderr; exit 1 when some file failed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from fs_cwl_runner import engine, state
from fs_cwl_runner.aws.clients import s3_client
from fs_cwl_runner.aws.download import (
    FetchError,
    StderrCounter,
    fetch_files,
    list_files,
    stats_only,
)
from fs_cwl_runner.aws.toil_run import DEFAULT_JOBSTORE_PREFIX, cwl_digest, parse_bucket, run_id
from fs_cwl_runner.cohort.load import CohortError, is_s3, load_cohort
from fs_cwl_runner.plan import job_order
from fs_cwl_runner.s3uri import S3Uri, S3UriError
from fs_cwl_runner.settings import SettingsError, require, resolve

RUN_ID = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


class FetchUsageError(SettingsError):
    """RUN or the settings do not name results; nothing was downloaded."""


def add_fetch_command(sub: Any, add_setting: Any) -> None:
    """Add ``fetch`` to the subcommands ``sub``."""
    fetch = sub.add_parser("fetch", help="download an AWS run's results from S3, verified")
    fetch.add_argument("run", help="s3://bucket/prefix of the results, a cohort file, its "
                                   "local output folder, or a run id")
    fetch.add_argument("dest", type=Path, help="local folder to download into")
    fetch.add_argument("--stats-only", action="store_true",
                       help="only each subject's stats/ and the group/ tables")
    for name in ("bucket", "region", "jobstore_prefix"):
        add_setting(fetch, name)


def _cohort_results(path: Path, args: argparse.Namespace, config: dict[str, Any]) -> S3Uri:
    try:
        cohort, _ = load_cohort(path, check_images=False)
    except CohortError as err:
        raise FetchUsageError(str(err)) from err
    if is_s3(cohort.output):
        return S3Uri.parse(cohort.output)
    bucket = parse_bucket(require("bucket", args.bucket, config))
    prefix = resolve("jobstore_prefix", args.jobstore_prefix, config) or DEFAULT_JOBSTORE_PREFIX
    order = job_order(cohort, Path("license"))
    return bucket.join("outputs", run_id(cohort, order, bucket, prefix,
                                         cwl_digest(engine.cwl_dir())))


def results_uri(args: argparse.Namespace, config: dict[str, Any]) -> S3Uri:
    """Where RUN's results are."""
    text = str(args.run)
    if is_s3(text):
        try:
            return S3Uri.parse(text)
        except S3UriError as err:
            raise FetchUsageError(f"RUN: {err}") from err
    path = Path(text)
    if path.is_dir() and (path / "logs" / "run.json").is_file():
        return _cohort_results(Path(state.load(path / "logs" / "run.json").cohort), args, config)
    if path.is_file():
        return _cohort_results(path, args, config)
    if RUN_ID.match(text):
        return parse_bucket(require("bucket", args.bucket, config)).join("outputs", text)
    raise FetchUsageError(f"RUN: {text!r} is neither an s3:// URI, a cohort file, a run's "
                          "output folder nor a run id")


def cmd_fetch(args: argparse.Namespace, config: dict[str, Any]) -> int:
    source = results_uri(args, config)
    client = s3_client(resolve("region", args.region, config))
    try:
        files = list_files(client, source)
    except FetchError as err:
        raise FetchUsageError(str(err)) from err
    if args.stats_only:
        files = stats_only(files)
    if not files:
        raise FetchUsageError(f"no results under {source}/ (check RUN, or --bucket)")
    dest: Path = args.dest
    print(f"fetching {len(files)} files from {source}/ into {dest}", file=sys.stderr)
    counter = StderrCounter(len(files), "fetching", sys.stderr)
    result = fetch_files(client, source.bucket, [(f, dest / f.relative) for f in files],
                         counter)
    for error in result.errors[:20]:
        print(f"error: {error}", file=sys.stderr)
    tops = {f.relative.split("/", 1)[0] for f in files if "/" in f.relative}
    print(json.dumps({"source": f"{source}/", "destination": str(dest),
                      "stats_only": bool(args.stats_only), **result.to_json(),
                      "subjects": sorted(tops - {"group", "logs"}),
                      "group": "group" in tops}))
    return 1 if result.errors else 0

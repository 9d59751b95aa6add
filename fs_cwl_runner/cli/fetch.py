"""``fs-cwl-run fetch RUN DEST``: its flags; the download is :mod:`fs_cwl_runner.aws.fetch`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fs_cwl_runner.settings import SettingValues

FETCH_SETTINGS = ("bucket", "region", "jobstore_prefix")


def add_fetch_command(sub: Any, add_setting: Any) -> None:
    """Add ``fetch`` to the subcommands ``sub``."""
    fetch = sub.add_parser("fetch", help="download an AWS run's results from S3, verified")
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


def cmd_fetch(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from fs_cwl_runner.aws.fetch import FetchRequest, fetch_results  # boto3 only when fetching

    values = SettingValues({name: getattr(args, name) for name in FETCH_SETTINGS}, config)
    return fetch_results(FetchRequest(str(args.run), args.dest, bool(args.stats_only)), values)

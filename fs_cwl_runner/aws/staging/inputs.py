""":func:`stage_inputs`: plan, check what the bucket holds, upload the rest, record it.

Runs on the laptop, before Toil starts. The steps: where every input goes (:mod:`.plan`);
every local file is hashed, a gzipped one checked to its end, before any AWS call
(:mod:`.hash_cache`); the ``s3://`` inputs exist (:mod:`.existing`); one listing and the
manifest show what is staged already (:mod:`.existing`, :mod:`.manifest`); the other local
files are uploaded and verified in parallel (:mod:`.upload`); the hash cache and the
manifest are saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from boto3.s3.transfer import TransferConfig

from fs_cwl_runner.aws.staging.existing import StagedBefore, check_exists, list_staged
from fs_cwl_runner.aws.staging.hash_cache import HashCache
from fs_cwl_runner.aws.staging.manifest import MANIFEST_NAME, read_manifest, save_manifest
from fs_cwl_runner.aws.staging.parallel import raise_errors, run_parallel
from fs_cwl_runner.aws.staging.plan import INPUTS_DIR, parse_uri, plan_staging
from fs_cwl_runner.aws.staging.progress import ByteCounter, ProgressCallback
from fs_cwl_runner.aws.staging.upload import (
    DEFAULT_TRANSFER,
    DEFAULT_WORKERS,
    FileStager,
    hash_input,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def stage_inputs(
    files: Mapping[str, Sequence[Path | str]],
    destination: str,
    client: S3Client,
    *,
    workers: int = DEFAULT_WORKERS,
    progress: ProgressCallback | None = None,
    cache_path: Path | None = None,
    transfer: TransferConfig | None = None,
) -> dict[str, dict[str, str]]:
    """Stage ``{subject: [local path or s3:// URI, ...]}`` under ``destination`` (s3://...).

    Returns ``{subject: {source as given: s3:// URI}}``, in the order given. Raises
    StagingError, after every other input was tried, if any input could not be staged.
    """
    prefix = parse_uri(destination, "staging destination (--bucket / FS_CWL_BUCKET)")
    plan = plan_staging(files, prefix)
    cache = HashCache(cache_path)
    items = list(plan.local.values())
    # Every file hashed (a gzipped one checked to its end) before any AWS call, so a
    # damaged input stops staging with nothing sent.
    hashes, errors = run_parallel(lambda item: hash_input(cache, item), items, workers)
    raise_errors(errors, len(items))
    hashed = {item.key: found for item, found in zip(items, hashes, strict=True)}
    remote_items = list(plan.remote.values())
    _, errors = run_parallel(lambda uri: check_exists(client, uri), remote_items, workers)
    raise_errors(errors, len(remote_items))
    listed = list_staged(client, prefix.bucket, prefix.join(INPUTS_DIR).key)
    manifest_uri = prefix.join(MANIFEST_NAME)
    manifest = read_manifest(client, manifest_uri)
    counter = ByteCounter(sum(item.path.stat().st_size for item in items), progress)
    stager = FileStager(
        client,
        prefix.bucket,
        transfer or DEFAULT_TRANSFER,
        counter,
        hashed,
        StagedBefore(client, prefix.bucket, listed, manifest),
    )
    records, errors = run_parallel(stager.stage, items, workers)
    cache.save()
    save_manifest(client, manifest_uri, manifest, listed, records)
    raise_errors(errors, len(items))
    return plan.result

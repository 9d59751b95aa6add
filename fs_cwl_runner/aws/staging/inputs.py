""":func:`stage_inputs`: plan, check what the bucket holds, upload the rest, record it.

Runs on the laptop, before Toil starts. The steps: where every input goes (:mod:`.plan`);
every local file is hashed, a gzipped one checked to its end, before any AWS call
(:mod:`.hash_cache`); the ``s3://`` inputs exist (:mod:`.existing`); one listing and the
manifest show what is staged already (:mod:`.existing`, :mod:`.manifest`); the other local
files are uploaded and verified in parallel (:mod:`.upload`). The hash cache is saved once
every file is hashed (a damaged file too, so the others' hashes are kept), the manifest once
every upload ended.
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
from fs_cwl_runner.aws.staging.plan import INPUTS_DIR, LocalFile, parse_uri, plan_staging
from fs_cwl_runner.aws.staging.progress import ByteCounter, ProgressCallback
from fs_cwl_runner.aws.staging.upload import (
    DEFAULT_TRANSFER,
    DEFAULT_WORKERS,
    FileStager,
    Hashed,
    hash_input,
)
from fs_cwl_runner.s3uri import S3Uri

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
    items = list(plan.local.values())
    # Every file hashed (a gzipped one checked to its end) before any AWS call, so a
    # damaged input stops staging with nothing sent.
    hashed = _hash_all(HashCache(cache_path), items, workers)
    remote_items = list(plan.remote.values())
    _, errors = run_parallel(lambda uri: check_exists(client, uri), remote_items, workers)
    raise_errors(errors, len(remote_items))
    _upload_all(client, prefix, items, hashed, workers, progress, transfer or DEFAULT_TRANSFER)
    return plan.result


def _hash_all(cache: HashCache, items: Sequence[LocalFile], workers: int) -> dict[str, Hashed]:
    """Every item's stat and SHA-256 by key; the cache saved before any error is raised."""
    found, errors = run_parallel(lambda item: (item.key, hash_input(cache, item)), items, workers)
    # Saved first: the good files' new hashes are kept, so staging again once the damaged
    # file is fixed reads only that one.
    cache.save()
    raise_errors(errors, len(items))
    return dict(found)


def _upload_all(
    client: S3Client,
    prefix: S3Uri,
    items: Sequence[LocalFile],
    hashed: Mapping[str, Hashed],
    workers: int,
    progress: ProgressCallback | None,
    transfer: TransferConfig,
) -> None:
    """Upload the items S3 does not hold yet, then record all in the manifest."""
    listed = list_staged(client, prefix.bucket, prefix.join(INPUTS_DIR).key)
    manifest_uri = prefix.join(MANIFEST_NAME)
    manifest = read_manifest(client, manifest_uri)
    counter = ByteCounter(sum(item.path.stat().st_size for item in items), progress)
    before = StagedBefore(client, prefix.bucket, listed, manifest)
    stager = FileStager(client, prefix.bucket, transfer, counter, hashed, before)
    records, errors = run_parallel(stager.stage, items, workers)
    save_manifest(client, manifest_uri, manifest, listed, records)
    raise_errors(errors, len(items))

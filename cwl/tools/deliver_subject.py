"""Deliver one finished subject folder: every file copied and verified, then a receipt.

Run by tools/deliver-subject.cwl (see its doc) as::

    python3 deliver_subject.py --subject-id ID --destination DEST SUBJECT_DIR

``DEST`` is a folder: ``s3://bucket/prefix/``, ``file:///path/``, or a local path (a
relative one is inside the working directory, the tool's output folder). The subject's
files go to ``<DEST><ID>/``, the receipt to ``<DEST>logs/delivered/<ID>.json``, and a copy
of the receipt to ``<ID>.json`` in the working directory (the tool's output).

Order of work, so that a receipt can be trusted:

1. hash every file of the folder (SHA-256);
2. read the receipt at the destination, if any: one listing other files or sizes or hashes
   is another run's finished subject, and nothing is written (exit status 3); one listing
   the same files is an earlier attempt of this same delivery;
3. upload each file not already there with the same size and SHA-256, its SHA-256 in the
   object's metadata (``x-amz-meta-sha256``) and as S3's own checksum (S3 rejects the
   upload when the bytes it received do not match), then check it with HeadObject;
4. write the receipt last, only if none appeared meanwhile (a conditional PutObject).

Plain Python 3 and boto3 (imported only for an s3:// destination); credentials come from
boto3's default chain, never from the command line.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: Where the receipts go, under the destination.
RECEIPTS = "logs/delivered"
#: Exit status when the destination holds another delivery of the subject (the tool's
#: permanentFailCodes): trying again cannot help.
REFUSED = 3
CHUNK = 1 << 20
#: Uploads at once: a subject has hundreds of small files, so the time goes to round trips.
WORKERS = 8
#: S3's limit for one PutObject; FreeSurfer's largest files are far below it.
MAX_PUT_BYTES = 5 * 1024**3
#: How many of the objects not in the receipt to name in the warning.
SHOWN = 5

#: ``{"size": bytes, "sha256": hex}`` of one file, as in the receipt.
Entry = dict[str, Any]


class DeliveryError(Exception):
    """The subject cannot be delivered; the message says why."""


class RefusedError(DeliveryError):
    """The destination already holds a different finished delivery of the subject."""


def log(message: str) -> None:
    print(f"deliver-subject: {message}", file=sys.stderr, flush=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def walk_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """``(relative posix path, path)`` of every file, also in linked folders."""
    for root, dirs, names in os.walk(folder, followlinks=True):
        here = os.path.realpath(root)
        for name in list(dirs):
            target = os.path.realpath(Path(root) / name)
            if here == target or here.startswith(target + os.sep):
                # A link back up the tree would be walked for ever; its files are listed.
                log(f"skipped link {(Path(root) / name).relative_to(folder)} to a parent")
                dirs.remove(name)
        for name in names:
            path = Path(root) / name
            if not path.exists():
                # A dangling link has no content to deliver (the runner's manifests skip it too).
                log(f"skipped dangling link {path.relative_to(folder)}")
                continue
            yield path.relative_to(folder).as_posix(), path


def describe(folder: Path) -> tuple[dict[str, Entry], dict[str, Path]]:
    """The receipt's ``files`` (sorted by path) and where each file is."""
    if not folder.is_dir():
        raise DeliveryError(f"{folder} is not a folder")
    files: dict[str, Entry] = {}
    paths: dict[str, Path] = {}
    for relative, path in walk_files(folder):
        size = path.stat().st_size
        if size > MAX_PUT_BYTES:
            raise DeliveryError(f"{relative} is {size} bytes, over the 5 GiB of one upload")
        files[relative] = {"size": size, "sha256": sha256_of(path)}
        paths[relative] = path
    if not files:
        raise DeliveryError(f"{folder} holds no files: nothing to deliver")
    return dict(sorted(files.items())), paths


def checksum(hex_digest: str) -> str:
    """A SHA-256 as S3's checksum headers write it (base64 of the digest)."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


class Destination:
    """Where subjects are delivered; the subclasses say how to read and write there."""

    def __init__(self, subject_id: str) -> None:
        self.subject_id = subject_id

    def subject_uri(self) -> str:
        raise NotImplementedError

    def receipt_uri(self) -> str:
        raise NotImplementedError

    def read_receipt(self) -> bytes | None:
        raise NotImplementedError

    def survey(self, files: dict[str, Entry]) -> tuple[set[str], list[str]]:
        """The paths of ``files`` already at the destination with their size and SHA-256,
        and the paths under the subject's folder that are not in ``files``."""
        raise NotImplementedError

    def put(self, relative: str, path: Path, entry: Entry) -> None:
        """Copy one file and check the copy; DeliveryError if it does not match."""
        raise NotImplementedError

    def put_receipt(self, body: bytes) -> bool:
        """Write the receipt unless one exists; False if one exists."""
        raise NotImplementedError


class S3Destination(Destination):
    def __init__(self, subject_id: str, bucket: str, prefix: str, client: S3Client) -> None:
        super().__init__(subject_id)
        self.bucket = bucket
        self.prefix = prefix  # "" or ending in "/"
        self.client = client

    def key(self, relative: str) -> str:
        return f"{self.prefix}{self.subject_id}/{relative}"

    def receipt_key(self) -> str:
        return f"{self.prefix}{RECEIPTS}/{self.subject_id}.json"

    def subject_uri(self) -> str:
        return f"s3://{self.bucket}/{self.key('')}"

    def receipt_uri(self) -> str:
        return f"s3://{self.bucket}/{self.receipt_key()}"

    def read_receipt(self) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.receipt_key())
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        body: bytes = answer["Body"].read()
        return body

    def listing(self) -> dict[str, int]:
        """``{relative path: size}`` of the objects under the subject's folder."""
        found: dict[str, int] = {}
        start = self.key("")
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        for page in pages:
            for item in page.get("Contents", []):
                found[item["Key"][len(start) :]] = item["Size"]
        return found

    def matches(self, relative: str, entry: Entry) -> list[str]:
        """What differs between the object of ``relative`` and ``entry`` (HeadObject)."""
        head = self.client.head_object(
            Bucket=self.bucket, Key=self.key(relative), ChecksumMode="ENABLED"
        )
        problems = []
        if head["ContentLength"] != entry["size"]:
            problems.append(f"{head['ContentLength']} bytes, not {entry['size']}")
        if head.get("Metadata", {}).get("sha256") != entry["sha256"]:
            problems.append("its sha256 metadata differs")
        # Stores that keep S3's own checksum say what they computed from the bytes received.
        stored = head.get("ChecksumSHA256")
        if stored is not None and stored != checksum(entry["sha256"]):
            problems.append("the SHA-256 S3 computed differs")
        return problems

    def survey(self, files: dict[str, Entry]) -> tuple[set[str], list[str]]:
        sizes = self.listing()
        # Only an object of the right size can match; HeadObject tells its SHA-256.
        same_size = [rel for rel, entry in files.items() if sizes.get(rel) == entry["size"]]
        with ThreadPoolExecutor(WORKERS) as pool:
            verdicts = list(pool.map(lambda rel: not self.matches(rel, files[rel]), same_size))
        present = {rel for rel, ok in zip(same_size, verdicts, strict=True) if ok}
        return present, sorted(set(sizes) - set(files))

    def put(self, relative: str, path: Path, entry: Entry) -> None:
        with path.open("rb") as body:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(relative),
                Body=body,
                ContentLength=entry["size"],
                ChecksumSHA256=checksum(entry["sha256"]),
                Metadata={"sha256": entry["sha256"]},
            )
        problems = self.matches(relative, entry)
        if problems:
            raise DeliveryError(f"{self.subject_uri()}{relative}: {'; '.join(problems)}")

    def put_receipt(self, body: bytes) -> bool:
        from botocore.exceptions import ClientError

        arguments: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self.receipt_key(),
            "Body": body,
            "ContentType": "application/json",
            "ChecksumSHA256": checksum(hashlib.sha256(body).hexdigest()),
        }
        try:
            # If-None-Match: a receipt another attempt wrote meanwhile is never replaced.
            self.client.put_object(**arguments, IfNoneMatch="*")
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return False
            if code != "NotImplemented":
                raise
            # A store without conditional writes: step 2 found no receipt, which must do.
            self.client.put_object(**arguments)
        return True


class LocalDestination(Destination):
    def __init__(self, subject_id: str, root: Path) -> None:
        super().__init__(subject_id)
        self.root = root

    def path(self, relative: str) -> Path:
        return self.root / self.subject_id / relative

    def receipt_path(self) -> Path:
        return self.root / RECEIPTS / f"{self.subject_id}.json"

    def subject_uri(self) -> str:
        return f"{self.root / self.subject_id}/"

    def receipt_uri(self) -> str:
        return str(self.receipt_path())

    def read_receipt(self) -> bytes | None:
        try:
            return self.receipt_path().read_bytes()
        except FileNotFoundError:
            return None

    def matches(self, relative: str, entry: Entry) -> bool:
        target = self.path(relative)
        return (
            target.is_file()
            and target.stat().st_size == entry["size"]
            and sha256_of(target) == entry["sha256"]
        )

    def survey(self, files: dict[str, Entry]) -> tuple[set[str], list[str]]:
        folder = self.root / self.subject_id
        if not folder.is_dir():
            return set(), []
        present = {rel for rel, entry in files.items() if self.matches(rel, entry)}
        return present, sorted({rel for rel, _ in walk_files(folder)} - set(files))

    def put(self, relative: str, path: Path, entry: Entry) -> None:
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
        shutil.copyfile(path, partial)
        partial.replace(target)  # a reader never sees half a file under its name
        # A local folder has no object metadata: the check reads the copy back.
        if not self.matches(relative, entry):
            raise DeliveryError(f"{target}: the copy differs from {path}")

    def put_receipt(self, body: bytes) -> bool:
        target = self.receipt_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
        partial.write_bytes(body)
        try:
            # A hard link, unlike a rename, never replaces a receipt that appeared meanwhile.
            os.link(partial, target)
        except FileExistsError:
            return False
        finally:
            partial.unlink()
        return True


def destination_for(text: str, subject_id: str) -> Destination:
    """The destination folder ``text`` names, for ``subject_id``."""
    parts = urlsplit(text)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise DeliveryError(f"destination {text!r} names no bucket")
        prefix = parts.path.lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"  # the destination is a folder, given with or without its slash
        import boto3
        from botocore.config import Config

        # Endpoint, region and credentials from boto3's default chain; retries for the
        # throttling and resets that hundreds of requests in a row can meet.
        config = Config(retries={"mode": "standard"}, max_pool_connections=2 * WORKERS)
        client = boto3.client("s3", config=config)
        return S3Destination(subject_id, parts.netloc, prefix, client)
    if parts.scheme == "file":
        return LocalDestination(subject_id, Path(unquote(parts.path)))
    if parts.scheme:
        raise DeliveryError(f"destination {text!r}: only s3://, file:// and folders are known")
    return LocalDestination(subject_id, Path(text).absolute())


def read_earlier(body: bytes, where: str) -> dict[str, Any]:
    try:
        earlier = json.loads(body)
        if not isinstance(earlier, dict) or not isinstance(earlier.get("files"), dict):
            raise ValueError("no files mapping")
    except ValueError as err:
        # Unreadable, it may still stand for a finished subject: never deliver over it.
        raise RefusedError(
            f"{where} exists but cannot be read ({err}); it may record a finished subject, "
            "so nothing was written: remove it and the subject's folder to deliver again"
        ) from err
    return earlier


def differences(earlier: dict[str, Any], files: dict[str, Entry]) -> list[str]:
    """How the files an earlier receipt lists differ from ``files`` (empty: the same)."""
    listed: dict[str, Any] = earlier["files"]
    found = [f"{rel} is new" for rel in sorted(set(files) - set(listed))]
    found += [f"{rel} is gone" for rel in sorted(set(listed) - set(files))]
    found += [
        f"{rel} differs" for rel in sorted(set(files) & set(listed)) if listed[rel] != files[rel]
    ]
    return found


def refusal(destination: Destination, changes: list[str], uploaded: bool = False) -> RefusedError:
    written = (
        "this attempt's uploads may have replaced some of its files: check them against it"
        if uploaded
        else "nothing was written"
    )
    shown = "; ".join(changes[:SHOWN]) + (
        f"; and {len(changes) - SHOWN} more" if len(changes) > SHOWN else ""
    )
    return RefusedError(
        f"{destination.receipt_uri()} records another delivery of {destination.subject_id} "
        f"({len(changes)} files differ: {shown}). A delivered subject is never overwritten, "
        f"and {written}. Deliver to another destination, or remove "
        f"{destination.subject_uri()} and that receipt to deliver this one"
    )


def upload(
    destination: Destination, todo: list[str], files: dict[str, Entry], paths: dict[str, Path]
) -> None:
    def one(relative: str) -> None:
        destination.put(relative, paths[relative], files[relative])

    with ThreadPoolExecutor(WORKERS) as pool:
        for _ in pool.map(one, todo):  # the first error, if any, is raised here
            pass


def timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def deliver(folder: Path, destination: Destination) -> bytes:
    """Deliver ``folder``; the receipt's bytes (an earlier attempt's, when it was one)."""
    started = time.time()
    files, paths = describe(folder)
    total = sum(int(entry["size"]) for entry in files.values())
    where = destination.subject_uri()
    log(f"{destination.subject_id}: {len(files)} files, {total} bytes to {where}")
    earlier = destination.read_receipt()
    if earlier is not None:
        changes = differences(read_earlier(earlier, destination.receipt_uri()), files)
        if changes:
            raise refusal(destination, changes)
        log(f"{destination.receipt_uri()} records this same delivery: an earlier attempt")
    present, others = destination.survey(files)
    todo = [rel for rel in files if rel not in present]
    if others:
        # Left from an attempt that did not finish, or put there by hand: not ours to remove.
        shown = ", ".join(others[:SHOWN])
        log(f"{len(others)} objects under {where} are not in this delivery: {shown}")
    upload(destination, todo, files, paths)
    sent = sum(int(files[rel]["size"]) for rel in todo)
    if earlier is not None:
        log(f"uploaded {len(todo)} missing files again; kept {destination.receipt_uri()}")
        return earlier
    finished = time.time()
    receipt = {
        "subject_id": destination.subject_id,
        "destination": destination.subject_uri(),
        "files": files,
        "file_count": len(files),
        "total_bytes": total,
        "uploaded_files": len(todo),
        "uploaded_bytes": sent,
        "started": timestamp(started),
        "finished": timestamp(finished),
        "seconds": round(finished - started, 3),
    }
    body = (json.dumps(receipt, indent=1) + "\n").encode()
    if not destination.put_receipt(body):
        # Another attempt finished first: fine if it delivered the same files.
        theirs = destination.read_receipt()
        if theirs is None:
            # S3 answers a write racing another one with a conflict, not a receipt.
            raise DeliveryError(f"writing {destination.receipt_uri()} conflicted; try again")
        changes = differences(read_earlier(theirs, destination.receipt_uri()), files)
        if changes:
            raise refusal(destination, changes, uploaded=True)
        return theirs
    log(
        f"delivered {len(files)} files ({sent} bytes sent) in {finished - started:.1f} s; "
        f"receipt {destination.receipt_uri()}"
    )
    return body


def check_subject_id(subject_id: str) -> str:
    if not subject_id or subject_id in (".", "..") or "/" in subject_id or "\\" in subject_id:
        raise DeliveryError(f"subject id {subject_id!r} is not a folder name")
    return subject_id


def failures() -> tuple[type[Exception], ...]:
    """What ends a delivery with a message: ours, reading the folder, S3 (with boto3)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # a local destination needs no boto3
        return (DeliveryError, OSError)
    return (DeliveryError, OSError, BotoCoreError, ClientError)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Copy a finished subject folder to <destination><subject id>/, verified, "
        "then write its receipt to <destination>logs/delivered/<subject id>.json"
    )
    parser.add_argument("--subject-id", required=True)
    parser.add_argument("--destination", required=True)
    parser.add_argument("subject_dir", type=Path)
    args = parser.parse_args(argv)
    try:
        subject_id = check_subject_id(args.subject_id)
        receipt = deliver(args.subject_dir, destination_for(args.destination, subject_id))
    except RefusedError as err:
        log(f"refused: {err}")
        return REFUSED
    except failures() as err:
        # One line that says what failed: boto3's messages name the call and the key.
        log(f"failed: {err}")
        return 1
    Path(f"{subject_id}.json").write_bytes(receipt)
    return 0


if __name__ == "__main__":
    sys.exit(main())

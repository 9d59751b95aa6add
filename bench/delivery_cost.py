"""What delivering each subject inside the workflow costs, next to Toil's export at the end.

On the local AWS of the tests (moto's Batch running each job as a process here, SeaweedFS
for S3), one subject of the recon-all test double (--scale times FreeSurfer's file sizes),
two raw ``toil-cwl-runner --batchSystem aws_batch`` runs:

- workflows/cohort.cwl with ``--destBucket``: the leader exports the subject folder (and the
  group tables) once the whole workflow is done, timed from its "Saving" log lines;
- workflows/cohort-delivered.cwl: the subject's delivery Batch job (moto's start and stop
  times), the script's own seconds and bytes (its receipt), and Toil's export of the one
  receipt at the end.

Both move the subject's bytes twice (out of Toil's job store, into the destination): the
export in the leader, one file after another, after every subject; the delivery in a Batch
job of its own, as soon as the subject is done. "Latency" is from Toil's "CWL step complete"
of autorecon3 to the subject's last file in S3. Log times have whole seconds.
Run: .venv/bin/python bench/delivery_cost.py [--scale 0.1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from fs_cwl_runner.freesurfer import find_freesurfer  # noqa: E402

from support.aws_runs import BUCKET, LICENSE_TEXT, image_environment  # noqa: E402
from support.cwl_runs import cohort_job, write_job  # noqa: E402
from support.job_runners import LocalProcessRunner  # noqa: E402
from support.local_aws import (  # noqa: E402
    batch_client,
    local_batch,
    run_toil,
    toil_aws_batch_args,
    toil_environment,
)
from support.paths import CWL  # noqa: E402
from support.s3_server import s3_client, start_seaweedfs  # noqa: E402

TIMEOUT_S = 900
LINE_TIME = re.compile(r"^\t?\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\+0000\]")
SAVING = re.compile(r"Saving (s3://\S+)\.\.\.")


def stamp(line: str) -> float | None:
    found = LINE_TIME.match(line)
    if not found:
        return None
    return datetime.fromisoformat(found.group(1) + "+00:00").timestamp()


def log_times(log: str, needle: str) -> list[float]:
    """The times of the log lines holding ``needle``."""
    return [t for line in log.splitlines() if needle in line and (t := stamp(line)) is not None]


def prefix_bytes(s3: object, prefix: str) -> tuple[int, int]:
    """Objects and bytes under ``prefix`` of the results bucket."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)  # type: ignore[attr-defined]
    items = [item for page in pages for item in page.get("Contents", [])]
    return len(items), sum(item["Size"] for item in items)


def run(kind: str, scale: str, work: Path, s3_url: str, s3: object) -> dict[str, float]:
    freesurfer = find_freesurfer()
    work.mkdir(parents=True)
    license_file = work / "license.txt"
    license_file.write_text(LICENSE_TEXT)
    order = cohort_job(license_file)
    order["subjects"] = order["subjects"][:1]
    del order["extra_steps"]
    prefix = f"bench/{scale}/{kind}/"
    root = work / "batch-jobs"
    root.mkdir()
    env = image_environment(freesurfer, root, work / "calls")
    env["FS_CWL_DOUBLE_SCALE"] = scale
    if kind == "delivered":
        order["destination"] = f"s3://{BUCKET}/{prefix}"
        workflow, dest_bucket = "cohort-delivered.cwl", f"s3://{BUCKET}/{prefix}logs/toil/"
    else:
        workflow, dest_bucket = "cohort.cwl", f"s3://{BUCKET}/{prefix}"
    job = write_job(order, work / "job.yml")
    with local_batch(root, runner=LocalProcessRunner(root, env)) as batch:
        toil_env = toil_environment(os.environ, batch.moto.endpoint_url, s3_url, work / "aws")
        args = [
            *toil_aws_batch_args(batch.queue, f"bench-{kind}", work, retry_count=0),
            "--preserve-entire-environment",
            "--destBucket",
            dest_bucket,
            str(CWL / "workflows" / workflow),
            str(job),
        ]
        started = time.time()
        result = run_toil(args, toil_env, work / "toil.log", TIMEOUT_S)
        wall = time.time() - started
        client = batch_client(batch.moto.endpoint_url)
        done = client.list_jobs(jobQueue=batch.queue.name, jobStatus="SUCCEEDED")
        ids = [j["jobId"] for j in done["jobSummaryList"] if "deliver" in j["jobName"]]
        jobs = client.describe_jobs(jobs=ids)["jobs"] if ids else []
    if result.returncode != 0:
        raise SystemExit(f"{kind}: Toil failed, see {work / 'toil.log'}")
    log = result.stderr
    ready = log_times(log, "CWL step complete: subject.cwl.autorecon3")[0]
    files, size = prefix_bytes(s3, f"{prefix}sub-01/")
    figures = {"wall_s": wall, "files": files, "bytes": size}
    saving = [
        (t, m.group(1))
        for line in log.splitlines()
        if (m := SAVING.search(line)) and (t := stamp(line)) is not None
    ]
    if kind == "delivered":
        [delivery] = jobs
        key = f"{prefix}logs/delivered/sub-01.json"
        receipt = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())  # type: ignore[attr-defined]
        figures |= {
            "delivery_job_s": (delivery["stoppedAt"] - delivery["startedAt"]) / 1000,
            "script_s": receipt["seconds"],
            "latency_s": datetime.fromisoformat(receipt["finished"]).timestamp() - ready,
            "export_files": len(saving),
        }
    else:
        subject = [t for t, url in saving if "/sub-01/" in url]
        end = log_times(log, "Finished toil run") or [saving[-1][0]]
        figures |= {
            "export_s": max(end[-1], saving[-1][0]) - saving[0][0],
            "export_files": len(saving),
            "latency_s": subject[-1] - ready,
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="0.01", help="FS_CWL_DOUBLE_SCALE (default 0.01)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="delivery-cost-") as tmp:
        work = Path(tmp)
        with start_seaweedfs(work / "seaweedfs") as server:
            s3 = s3_client(server.endpoint_url)
            s3.create_bucket(Bucket=BUCKET)
            for kind in ("exported", "delivered"):
                figures = run(kind, args.scale, work / kind, server.endpoint_url, s3)
                shown = ", ".join(
                    f"{name} {value:.1f}" if isinstance(value, float) else f"{name} {value}"
                    for name, value in figures.items()
                )
                print(f"scale {args.scale} {kind}: {shown}", flush=True)


if __name__ == "__main__":
    main()

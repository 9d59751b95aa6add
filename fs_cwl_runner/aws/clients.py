"""The AWS clients of fs-cwl-run: every S3, Batch, IAM, EC2 and STS client is made here.

Runs wherever fs-cwl-run talks to AWS: on the laptop (staging, setup and teardown, ``fetch``,
``--detach``, ``status``) and in the detached leader job inside Batch.

Credentials, region defaults and endpoints come from boto3's standard chain, nothing is
hardcoded: boto3 itself honours ``AWS_ENDPOINT_URL_<SERVICE>`` and ``AWS_ENDPOINT_URL`` (the
tests point them at local servers). Each client gets a session of its own, since boto3's
default session is not safe to share between threads, except the set of clients of
:class:`AwsClients`, which share one (a session loads the service models once).

Every request is retried by botocore itself, in its standard mode (exponential backoff with
jitter, on connection errors, 5xx answers and throttling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from boto3.session import Session
    from mypy_boto3_batch import BatchClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

# Tries of one request, the first included. S3: 10 retries, as staging has always had, so
# that a staging of many files rides out a short outage. The others: botocore's default of
# 5, which they had before in its legacy mode.
S3_ATTEMPTS = 11
API_ATTEMPTS = 5
# Connections of one S3 client: 16 files at once (staging, download), 4 parts of each.
S3_CONNECTIONS = 64
LOOK_UP_ATTEMPTS = 2


def _config(attempts: int, connections: int | None = None) -> Config:
    retries = Config(retries={"mode": "standard", "total_max_attempts": attempts})
    return (
        retries if connections is None else retries.merge(Config(max_pool_connections=connections))
    )


def _session() -> Session:
    return boto3.session.Session()


def s3_client(
    region: str | None = None, connections: int = S3_CONNECTIONS, session: Session | None = None
) -> S3Client:
    """An S3 client with a connection for each of ``connections`` concurrent requests.

    Without ``region``, S3's own default applies (``AWS_REGION`` / ``AWS_DEFAULT_REGION``,
    the AWS config file).
    """
    return (session or _session()).client(
        "s3", region_name=region, config=_config(S3_ATTEMPTS, connections)
    )


def look_up_s3_client(region: str | None = None) -> S3Client:
    """An S3 client for a quick look (the dry run's listing): 2 tries, so an unreachable
    endpoint is reported in seconds rather than after a staging's patient retries."""
    return _session().client("s3", region_name=region, config=_config(LOOK_UP_ATTEMPTS))


def batch_client(region: str, session: Session | None = None) -> BatchClient:
    """A Batch client of ``region`` (``AWS_ENDPOINT_URL_BATCH`` is honoured)."""
    return (session or _session()).client("batch", region_name=region, config=_config(API_ATTEMPTS))


@dataclass(frozen=True)
class AwsClients:
    """The AWS clients of one region that ``aws setup`` and ``aws teardown`` use."""

    region: str
    s3: S3Client
    iam: IAMClient
    ec2: EC2Client
    batch: BatchClient
    sts: STSClient

    @classmethod
    def for_region(cls, region: str) -> AwsClients:
        session = _session()
        config = _config(API_ATTEMPTS)
        return cls(
            region,
            s3_client(region, session=session),
            session.client("iam", region_name=region, config=config),
            session.client("ec2", region_name=region, config=config),
            batch_client(region, session),
            session.client("sts", region_name=region, config=config),
        )

"""Fixtures of the AWS tests: a SeaweedFS S3 server with the results bucket, a license file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.aws_runs import BUCKET, LICENSE_TEXT
from support.s3_server import S3Server, s3_client, start_seaweedfs


@pytest.fixture(scope="module")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with start_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        s3_client(server.endpoint_url).create_bucket(Bucket=BUCKET)
        yield server


@pytest.fixture
def license_file(tmp_path: Path) -> Path:
    path = tmp_path / "license.txt"
    path.write_text(LICENSE_TEXT)
    return path

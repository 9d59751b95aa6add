"""The fs-cwl container image as the image tests use it: its reference, size and podman.

The image is built by docker/build.sh --offline (the ``image`` fixture); podman runs as
set up by scripts/setup-podman.sh, with the repository's containers.conf.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.paths import REPO

DOCKER = REPO / "docker"
#: A cold offline build (downloads, mmdebstrap, 2 GB of FreeSurfer) takes about 6 min.
BUILD_TIMEOUT = 40 * 60


@dataclass(frozen=True)
class Image:
    """The built image and the environment its tools (podman, cwltool) run with."""

    ref: str
    size: int
    env: dict[str, str]

    def podman(self, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def run(
        self, *command: str, mounts: tuple[Path, ...] = (), timeout: int = 120
    ) -> subprocess.CompletedProcess[str]:
        """``command`` in a new container, each of ``mounts`` at its own path."""
        volumes = [f"--volume={path}:{path}" for path in mounts]
        return self.podman(
            "run", "--rm", "--network=none", *volumes, self.ref, *command, timeout=timeout
        )

    def inspect(self, field: str) -> Any:
        result = self.podman("image", "inspect", "--format", f"{{{{json .{field}}}}}", self.ref)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

"""Fixtures of the image tests: podman set up, and the fs-cwl image built once per session."""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

from fs_cwl_runner import __version__

from support.fs_cwl_image import BUILD_TIMEOUT, DOCKER, Image
from support.paths import REPO


@pytest.fixture(scope="session")
def podman_env() -> dict[str, str]:
    """Podman set up (installed if missing); skips only where it cannot run at all."""
    env = dict(os.environ)
    env["CONTAINERS_CONF"] = str(DOCKER / "containers.conf")
    # As root, cwltool's `podman run --userns=keep-id` needs the wrapper (see its header).
    env["PATH"] = os.pathsep.join([str(DOCKER / "rootful-podman"), env["PATH"]])
    env.pop("DEBUG", None)
    env.pop("FS_LICENSE", None)
    setup = subprocess.run(
        [str(REPO / "scripts" / "setup-podman.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if setup.returncode != 0:
        pytest.skip(f"podman cannot run on this machine: {setup.stderr.strip()[-500:]}")
    return env


@pytest.fixture(scope="session")
def image(podman_env: dict[str, str]) -> Image:
    """The image built offline (cached layers make a rebuild take under a minute)."""
    start = time.monotonic()
    build = subprocess.run(
        [str(DOCKER / "build.sh"), "--offline", "--engine", "podman"],
        env=podman_env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    size = re.search(r"^image size: (\d+) bytes", build.stdout, re.MULTILINE)
    assert size, build.stdout[-2000:]
    print(
        f"\nbuilt fs-cwl:{__version__} in {time.monotonic() - start:.0f} s, "
        f"{int(size.group(1)) / 1e9:.2f} GB"
    )
    return Image(f"localhost/fs-cwl:{__version__}", int(size.group(1)), podman_env)

"""Start-up hook for the Toil processes of tests: skips S3 calls a local S3 server lacks.

Python imports ``sitecustomize`` at start-up from any folder on PYTHONPATH, so putting this
folder there changes the processes of one test run and nothing else. When
``S3_COMPAT_SKIP_OPERATIONS`` names S3 operations (comma-separated), botocore answers them
with an empty success instead of sending them. Toil's AWS job store makes three bucket
settings calls on creation (public access block, ownership controls, encryption rules) that
SeaweedFS rejects and that change nothing a test observes.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

SKIP_VARIABLE = "S3_COMPAT_SKIP_OPERATIONS"


def skipped_operations() -> frozenset[str]:
    names = os.environ.get(SKIP_VARIABLE, "")
    return frozenset(name.strip() for name in names.split(",") if name.strip())


def patch_client_module(module: ModuleType, skipped: frozenset[str]) -> None:
    """Make ``BaseClient._make_api_call`` answer ``skipped`` S3 operations locally."""
    base_client = module.BaseClient
    original = base_client._make_api_call

    def make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name in skipped and self.meta.service_model.service_name == "s3":
            return {"ResponseMetadata": {"HTTPStatusCode": 204, "SkippedBy": SKIP_VARIABLE}}
        return original(self, operation_name, api_params)

    base_client._make_api_call = make_api_call


class PatchBotocoreOnImport(importlib.abc.MetaPathFinder):
    """Patches ``botocore.client`` right after it is first imported (most processes never do)."""

    def __init__(self, skipped: frozenset[str]) -> None:
        self.skipped = skipped

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "botocore.client":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original_exec = loader.exec_module
        skipped = self.skipped

        def exec_then_patch(module: ModuleType) -> None:
            original_exec(module)
            patch_client_module(module, skipped)

        loader.exec_module = exec_then_patch  # type: ignore[method-assign]
        return spec


def install() -> None:
    skipped = skipped_operations()
    if skipped and "botocore.client" not in sys.modules:
        sys.meta_path.insert(0, PatchBotocoreOnImport(skipped))


install()

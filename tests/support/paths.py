"""The repository's folders that tests read: the CWL files, the test double, the example data."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
CWL = REPO / "cwl"
DOUBLE_BIN = REPO / "tests" / "support" / "recon_all_double"
EXAMPLE_DATA = REPO / "jobs" / "example" / "data"

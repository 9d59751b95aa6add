"""The BIDS derivatives description of a results folder made from a BIDS dataset."""

from __future__ import annotations

import json
from pathlib import Path

from fs_cwl_runner import __version__

BIDS_VERSION = "1.8.0"
FREESURFER_VERSION = "7.3.2"


def description(bids_root: Path) -> dict[str, object]:
    """``dataset_description.json`` of FreeSurfer derivatives of ``bids_root``."""
    return {
        "Name": f"FreeSurfer {FREESURFER_VERSION} recon-all of {bids_root.name}",
        "BIDSVersion": BIDS_VERSION,
        "DatasetType": "derivative",
        "GeneratedBy": [
            {
                "Name": "FreeSurfer",
                "Version": FREESURFER_VERSION,
                "CodeURL": "https://github.com/freesurfer/freesurfer",
            },
            {"Name": "fs-cwl", "Version": __version__},
        ],
        "SourceDatasets": [{"URL": bids_root.resolve().as_uri()}],
    }


def write_description(output: Path, bids_root: Path) -> Path:
    """Write ``<output>/dataset_description.json`` (kept if the user already wrote one)."""
    path = output / "dataset_description.json"
    ours = path.exists() and "fs-cwl" in path.read_text(errors="replace")
    if not path.exists() or ours:
        output.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(description(bids_root), indent=2) + "\n")
    return path

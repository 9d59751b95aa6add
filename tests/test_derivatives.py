"""The BIDS derivatives description written beside results made from a BIDS dataset."""

from __future__ import annotations

import json
from pathlib import Path

from fs_cwl_runner import __version__
from fs_cwl_runner.derivatives import write_description


def test_description_names_source_and_generators(tmp_path: Path) -> None:
    bids = tmp_path / "ds000001"
    bids.mkdir()
    path = write_description(tmp_path / "results", bids)
    data = json.loads(path.read_text())
    assert data["DatasetType"] == "derivative" and data["BIDSVersion"] == "1.8.0"
    assert data["SourceDatasets"] == [{"URL": bids.as_uri()}]
    assert [(g["Name"], g["Version"]) for g in data["GeneratedBy"]] == [
        ("FreeSurfer", "7.3.2"),
        ("fs-cwl", __version__),
    ]


def test_a_description_the_user_wrote_is_kept(tmp_path: Path) -> None:
    output = tmp_path / "results"
    output.mkdir()
    mine = output / "dataset_description.json"
    mine.write_text('{"Name": "my derivatives"}\n')
    write_description(output, tmp_path)
    assert mine.read_text() == '{"Name": "my derivatives"}\n'

"""Manifests of finished subjects: a matching folder is finished, a damaged manifest stops."""

from __future__ import annotations

from pathlib import Path

import pytest

from fs_cwl_runner import manifest
from fs_cwl_runner.layout import Layout, is_finished


def finished_subject(output: Path, subject_id: str) -> Layout:
    layout = Layout(output)
    folder = layout.subject(subject_id)
    (folder / "stats").mkdir(parents=True)
    (folder / "stats" / "aseg.stats").write_text("# aseg\n")
    manifest.write_manifest(folder, layout.manifest(subject_id))
    return layout


def test_a_matching_folder_is_finished_and_a_changed_one_is_not(tmp_path: Path) -> None:
    layout = finished_subject(tmp_path, "sub-01")
    assert is_finished(layout, "sub-01")
    (layout.subject("sub-01") / "stats" / "aseg.stats").write_text("# edited\n")
    assert not is_finished(layout, "sub-01")


@pytest.mark.parametrize("text", ['{"files": ', "{}", '{"files": []}', ""])
def test_a_damaged_manifest_stops_with_what_to_do(tmp_path: Path, text: str) -> None:
    layout = finished_subject(tmp_path, "sub-01")
    layout.manifest("sub-01").write_text(text)
    with pytest.raises(manifest.DamagedManifestError) as caught:
        is_finished(layout, "sub-01")
    message = str(caught.value)
    assert f"damaged manifest {layout.manifest('sub-01')}" in message
    assert f"delete the manifest and {layout.subject('sub-01')} to redo it" in message

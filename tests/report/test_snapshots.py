"""The report's segmentation snapshots: a PNG of aseg outlines on T1, or a note."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import numpy.typing as npt
import PIL.Image
import pytest

from fs_cwl_runner.report import lut
from fs_cwl_runner.report.snapshots import PANEL_PX, snapshot_html, snapshot_png

HIPPOCAMPUS, VENTRICLE, CORTEX = (220, 216, 20), (120, 18, 134), (205, 62, 78)


def decoded(png: bytes) -> npt.NDArray[np.uint8]:
    """The PNG's pixels as rows x columns x RGB."""
    with PIL.Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def has_colour(pixels: npt.NDArray[np.uint8], rgb: tuple[int, int, int]) -> npt.NDArray[Any]:
    return np.all(pixels == np.array(rgb, dtype=np.uint8), axis=-1)


def test_snapshot_of_fsaverage_shows_outlines_on_the_t1(fsaverage_subjects: Path) -> None:
    png = snapshot_png(fsaverage_subjects / "sub-001")
    assert 5_000 < len(png) < 80_000  # small enough for a page of 1,000 subjects
    pixels = decoded(png)
    assert pixels.shape == (PANEL_PX, 3 * PANEL_PX, 3)
    grey = pixels[(pixels[..., 0] == pixels[..., 1]) & (pixels[..., 1] == pixels[..., 2])]
    assert grey[:, 0].std() > 30  # a T1, not a blank or flat picture
    for colour in (HIPPOCAMPUS, VENTRICLE, CORTEX):
        assert has_colour(pixels, colour).sum() > 20, colour
    # Each of the three panels has outlines of its own.
    for panel in range(3):
        part = pixels[:, panel * PANEL_PX : (panel + 1) * PANEL_PX]
        assert has_colour(part, CORTEX).sum() > 50, panel


def test_orig_stands_in_for_a_missing_t1(fsaverage_subjects: Path) -> None:
    pixels = decoded(snapshot_png(fsaverage_subjects / "sub-004"))
    assert has_colour(pixels, VENTRICLE).any()


def lia_subject(folder: Path) -> Path:
    """A synthetic subject stored LIA like FreeSurfer's volumes: a box of brain (label 2)
    with a hippocampus (17) only on the left and high up, so the panels show which way up
    and which side is which."""
    ras = np.zeros((60, 60, 60), dtype=np.int32)
    ras[10:50, 10:50, 10:50] = 2
    ras[12:25, 25:35, 28:48] = 17  # x low: left; z high: superior
    image = nib.Nifti1Image(ras, np.eye(4))
    to_lia = nib.orientations.ornt_transform(
        nib.orientations.axcodes2ornt("RAS"), nib.orientations.axcodes2ornt("LIA")
    )
    stored: Any = image.as_reoriented(to_lia)
    assert nib.aff2axcodes(stored.affine) == ("L", "I", "A")
    mri = folder / "mri"
    mri.mkdir(parents=True)
    labels = np.asarray(stored.dataobj).astype(np.int32)
    nib.save(nib.MGHImage(labels, stored.affine), mri / "aseg.mgz")
    t1 = np.where(labels > 0, 80, 10).astype(np.uint8)
    t1[labels == 17] = 110
    nib.save(nib.MGHImage(t1, stored.affine), mri / "T1.mgz")
    return folder


def test_panels_show_left_on_the_left_and_up_at_the_top(tmp_path: Path) -> None:
    pixels = decoded(snapshot_png(lia_subject(tmp_path / "sub-x")))
    rows, columns = np.nonzero(has_colour(pixels, HIPPOCAMPUS))
    assert rows.size
    axial, coronal = columns < PANEL_PX, (columns >= PANEL_PX) & (columns < 2 * PANEL_PX)
    # Axial and coronal: the subject's left on the image's left (marked L).
    assert columns[axial].mean() < PANEL_PX / 2
    assert columns[coronal].mean() < 1.5 * PANEL_PX
    # Coronal: superior at the top.
    assert rows[coronal].mean() < PANEL_PX / 2


@pytest.mark.parametrize(
    ("names", "note"),
    [
        ((), "no mri/T1.mgz or mri/orig.mgz"),
        (("T1.mgz",), "no mri/aseg.mgz"),
    ],
)
def test_missing_volumes_give_a_note(tmp_path: Path, names: tuple[str, ...], note: str) -> None:
    mri = tmp_path / "sub-1" / "mri"
    mri.mkdir(parents=True)
    for name in names:
        (mri / name).write_bytes(b"")
    html = snapshot_html("sub-1", tmp_path / "sub-1")
    assert html == f'<p class="snapshot-note">No snapshot: {note}</p>'


def test_a_damaged_volume_gives_a_note(tmp_path: Path, fsaverage_subjects: Path) -> None:
    subject = tmp_path / "sub-1"
    (subject / "mri").mkdir(parents=True)
    (subject / "mri" / "T1.mgz").symlink_to(fsaverage_subjects / "sub-001" / "mri" / "T1.mgz")
    (subject / "mri" / "aseg.mgz").write_bytes(b"\x1f\x8b not really gzip <&>")
    html = snapshot_html("sub-1", subject)
    assert html.startswith('<p class="snapshot-note">No snapshot: cannot read mri/aseg.mgz')
    assert "<img" not in html


def test_snapshot_html_is_a_lazy_data_url_with_escaped_alt(fsaverage_subjects: Path) -> None:
    html = snapshot_html('sub-<1>&"', fsaverage_subjects / "sub-001")
    match = re.fullmatch(
        r'<img class="snapshot" src="data:image/png;base64,([A-Za-z0-9+/=]+)" loading="lazy" '
        r'width="600" height="200" alt="([^"]*)">',
        html,
    )
    assert match, html[:200]
    assert decoded(base64.b64decode(match.group(1))).shape == (PANEL_PX, 3 * PANEL_PX, 3)
    assert match.group(2).startswith("sub-&lt;1&gt;&amp;&quot;: aseg outlines on T1")


def test_colour_table_is_freesurfers_else_the_built_in_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lut.label_colours.cache_clear()
    colours = lut.label_colours()
    assert colours[17] == HIPPOCAMPUS and colours[1024] == (60, 20, 220)  # ctx-lh-precentral
    lut.label_colours.cache_clear()
    monkeypatch.setenv("FREESURFER_HOME", str(tmp_path / "nowhere"))
    try:
        assert lut.label_colours() == lut.ASEG_COLOURS
    finally:
        lut.label_colours.cache_clear()
    assert lut.parse_lut("# c\n17 Left-Hippocampus 220 216 20 0\nbad line\n300 x 1 2 999 0\n") == {
        17: HIPPOCAMPUS
    }

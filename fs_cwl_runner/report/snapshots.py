"""One small PNG per finished subject: its segmentation drawn over its T1, for the report.

Axial, coronal and sagittal slices through the centre of the brain (the centroid of
``mri/aseg.mgz``'s labelled voxels) of ``mri/T1.mgz`` (else ``mri/orig.mgz``), side by side,
with each aseg structure outlined in its FreeSurfer colour. Both volumes are turned to
RAS first (nibabel's canonical orientation), so every subject's slices show the head the
same way up: axial and coronal in neurological view (the subject's left on the left, as
marked), sagittal facing right (anterior). The outlines are the voxels of a structure that
touch another one; drawn at the volume's own resolution they show what FreeSurfer labelled,
voxel for voxel. Rendering uses matplotlib's Agg canvas on a figure of its own, so no
global pyplot state is touched and reports can be written from any thread.
"""

from __future__ import annotations

import base64
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import numpy.typing as npt
import PIL.Image
from nibabel.filebasedimages import ImageFileError

from fs_cwl_runner.report.lut import colour_of, label_colours

#: The intensity volumes tried in order, and the segmentation, under a subject's folder.
ANATOMY = ("mri/T1.mgz", "mri/orig.mgz")
SEGMENTATION = "mri/aseg.mgz"

#: Pixels of the whole image: three square panels side by side.
PANEL_PX = 200
DPI = 100
#: Colours of the PNG's palette.
PALETTE_COLOURS = 128
#: Voxels kept around the brain's bounding box when a panel is cropped to it.
MARGIN = 8

Labels = npt.NDArray[np.int32]
Image = npt.NDArray[np.float32]


class SnapshotError(Exception):
    """A subject's snapshot cannot be drawn; the message says why, for the report."""


@dataclass(frozen=True)
class Panel:
    """One slice: the T1 and label planes (rows: up to down), and its edge letters."""

    title: str
    anatomy: Image
    labels: Labels
    left: str
    right: str


def snapshot_html(
    subject_id: str, subject_dir: Path, draw: Callable[[Path], bytes] | None = None
) -> str:
    """An ``<img>`` of the subject's snapshot, or a short note saying why there is none.

    ``draw`` makes the PNG from the subject folder (default :func:`snapshot_png`; the
    report passes one that keeps the PNGs of earlier reports).
    """
    try:
        png = (draw or snapshot_png)(subject_dir)
    except SnapshotError as err:
        return f'<p class="snapshot-note">No snapshot: {escape(str(err))}</p>'
    data = base64.b64encode(png).decode("ascii")
    alt = f"{subject_id}: aseg outlines on T1, axial, coronal and sagittal slices"
    return (
        f'<img class="snapshot" src="data:image/png;base64,{data}" loading="lazy" '
        f'width="{3 * PANEL_PX}" height="{PANEL_PX}" alt="{escape(alt)}">'
    )


def sources(subject_dir: Path) -> tuple[Path, Path]:
    """The anatomy (T1, else orig) and segmentation volumes a snapshot is drawn from."""
    anatomy = next((subject_dir / p for p in ANATOMY if (subject_dir / p).is_file()), None)
    if anatomy is None:
        raise SnapshotError(f"no {' or '.join(ANATOMY)}")
    if not (subject_dir / SEGMENTATION).is_file():
        raise SnapshotError(f"no {SEGMENTATION}")
    return anatomy, subject_dir / SEGMENTATION


def snapshot_png(subject_dir: Path) -> bytes:
    """The PNG of the three panels for the FreeSurfer subject folder ``subject_dir``."""
    anatomy_path, segmentation = sources(subject_dir)
    anatomy = canonical(anatomy_path, subject_dir).astype(np.float32)
    labels = canonical(segmentation, subject_dir).astype(np.int32)
    if anatomy.shape != labels.shape:
        raise SnapshotError(
            f"{anatomy_path.relative_to(subject_dir)} is {anatomy.shape} voxels but "
            f"{SEGMENTATION} is {labels.shape}"
        )
    return render(panels(anatomy, labels))


def canonical(path: Path, subject_dir: Path) -> npt.NDArray[Any]:
    """The volume at ``path`` as a 3-D array in RAS order (first axis to the right)."""
    name = path.relative_to(subject_dir)
    try:
        image: Any = nib.load(path)
        to_ras: Any = nib.as_closest_canonical  # nibabel's functions carry no annotations
        data = np.asarray(to_ras(image).dataobj)
    except (OSError, ValueError, EOFError, zlib.error, ImageFileError) as err:
        raise SnapshotError(f"cannot read {name} ({err})") from err
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise SnapshotError(f"{name} is not a 3-D volume (shape {data.shape})")
    return data


def panels(anatomy: Image, labels: Labels) -> list[Panel]:
    """Axial, coronal and sagittal slices through the centroid of the labelled voxels,
    each cropped to the brain (the labelled voxels' bounding box, with a margin)."""
    brain = labels > 0
    if not brain.any():
        raise SnapshotError(f"{SEGMENTATION} labels no voxel")
    x, y, z = (round(float(c.mean())) for c in np.nonzero(brain))
    box = bounding_box(brain)

    def plane(volume: npt.NDArray[Any], axis: int, index: int) -> npt.NDArray[Any]:
        cropped = volume[box]
        # The slice index is taken before cropping: rebase it into the box.
        index -= box[axis].start or 0
        taken = np.take(cropped, index, axis=axis)
        # Rows run from the top of the picture: the second remaining axis, reversed.
        return np.flipud(taken.T)

    cut = {0: x, 1: y, 2: z}
    views = (("axial", 2, "L", "R"), ("coronal", 1, "L", "R"), ("sagittal", 0, "P", "A"))
    return [
        Panel(
            title,
            plane(anatomy, axis, cut[axis]),
            plane(labels, axis, cut[axis]),
            left,
            right,
        )
        for title, axis, left, right in views
    ]


def bounding_box(mask: npt.NDArray[np.bool_]) -> tuple[slice, slice, slice]:
    """The slices of the box around ``mask``'s true voxels, widened by :data:`MARGIN`."""
    bounds = []
    for axis in range(3):
        others = tuple(a for a in range(3) if a != axis)
        present = np.flatnonzero(mask.any(axis=others))
        low = max(int(present[0]) - MARGIN, 0)
        high = min(int(present[-1]) + MARGIN + 1, mask.shape[axis])
        bounds.append(slice(low, high))
    return bounds[0], bounds[1], bounds[2]


def outlines(labels: Labels) -> npt.NDArray[np.uint8]:
    """RGBA: each structure's border voxels (those with a differently labelled neighbour)
    in its colour, all else transparent."""
    padded = np.pad(labels, 1, mode="edge")
    centre = padded[1:-1, 1:-1]
    border = (
        (centre != padded[:-2, 1:-1])
        | (centre != padded[2:, 1:-1])
        | (centre != padded[1:-1, :-2])
        | (centre != padded[1:-1, 2:])
    ) & (centre > 0)
    rgba = np.zeros((*labels.shape, 4), dtype=np.uint8)
    colours = label_colours()
    for label in np.unique(labels[border]).tolist():
        where = border & (labels == label)
        rgba[where, :3] = colour_of(int(label), colours)
        rgba[where, 3] = 255
    return rgba


def render(views: list[Panel]) -> bytes:
    """The panels side by side on black, as PNG bytes."""
    # Imported here: matplotlib builds its font cache under HOME on first import, and only
    # drawing needs it (a command refusing bad input must write nothing anywhere).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(len(views) * PANEL_PX / DPI, PANEL_PX / DPI), dpi=DPI)
    figure.patch.set_facecolor("black")
    for index, view in enumerate(views):
        axes = figure.add_axes((index / len(views), 0.0, 1 / len(views), 1.0))
        axes.set_axis_off()
        axes.set_facecolor("black")
        brain = view.anatomy[view.labels > 0]
        top = float(np.percentile(brain, 99.5)) if brain.size else float(view.anatomy.max())
        axes.imshow(
            view.anatomy, cmap="gray", vmin=0.0, vmax=max(top, 1.0), interpolation="nearest"
        )
        axes.imshow(outlines(view.labels), interpolation="nearest")
        for x, y, text, ha, va in (
            (0.5, 0.98, view.title, "center", "top"),
            (0.02, 0.5, view.left, "left", "center"),
            (0.98, 0.5, view.right, "right", "center"),
        ):
            axes.text(x, y, text, ha=ha, va=va, color="white", fontsize=9, transform=axes.transAxes)
    canvas: Any = FigureCanvasAgg(figure)  # Agg's canvas methods carry no annotations
    canvas.draw()
    rgb = PIL.Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3])
    # A palette keeps a 1,000-subject page light: about a quarter of the RGB PNG's bytes.
    # The octree keeps colours that only a few pixels have, so every outline keeps its
    # exact FreeSurfer colour; the T1's greys share what is left.
    indexed = rgb.quantize(colors=PALETTE_COLOURS, method=PIL.Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    indexed.save(out, format="PNG", optimize=True)
    return out.getvalue()

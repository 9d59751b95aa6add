"""FreeSurfer's colours of the segmentation labels, for the report's snapshots.

They are read from ``$FREESURFER_HOME/FreeSurferColorLUT.txt`` (lines ``id name R G B A``).
A runner without FreeSurfer (an AWS run's workstation, say) falls back on the colours of
the main aseg labels as that file has them; any other label gets a grey.
"""

from __future__ import annotations

import functools
from pathlib import Path

from fs_cwl_runner.freesurfer import FreeSurferError, find_freesurfer

LUT_NAME = "FreeSurferColorLUT.txt"

#: (R, G, B) of a label that no colour table names.
UNNAMED = (160, 160, 160)

#: The aseg labels of FreeSurferColorLUT.txt 7.3.2, for when it cannot be read.
ASEG_COLOURS: dict[int, tuple[int, int, int]] = {
    2: (245, 245, 245),
    3: (205, 62, 78),
    4: (120, 18, 134),
    5: (196, 58, 250),
    7: (220, 248, 164),
    8: (230, 148, 34),
    10: (0, 118, 14),
    11: (122, 186, 220),
    12: (236, 13, 176),
    13: (12, 48, 255),
    14: (204, 182, 142),
    15: (42, 204, 164),
    16: (119, 159, 176),
    17: (220, 216, 20),
    18: (103, 255, 255),
    24: (60, 60, 60),
    26: (255, 165, 0),
    28: (165, 42, 42),
    30: (160, 32, 240),
    31: (0, 200, 200),
    41: (245, 245, 245),
    42: (205, 62, 78),
    43: (120, 18, 134),
    44: (196, 58, 250),
    46: (220, 248, 164),
    47: (230, 148, 34),
    49: (0, 118, 14),
    50: (122, 186, 220),
    51: (236, 13, 176),
    52: (13, 48, 255),
    53: (220, 216, 20),
    54: (103, 255, 255),
    58: (255, 165, 0),
    60: (165, 42, 42),
    62: (160, 32, 240),
    63: (0, 200, 221),
    72: (120, 190, 150),
    77: (200, 70, 255),
    85: (234, 169, 30),
    251: (0, 0, 64),
    252: (0, 0, 112),
    253: (0, 0, 160),
    254: (0, 0, 208),
    255: (0, 0, 255),
}


def parse_lut(text: str) -> dict[int, tuple[int, int, int]]:
    """label -> (R, G, B) of a colour table's text; comments and odd lines are skipped."""
    colours = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 5:
            continue
        try:
            label, rgb = int(fields[0]), tuple(int(v) for v in fields[2:5])
        except ValueError:
            continue
        if all(0 <= v <= 255 for v in rgb):
            colours[label] = (rgb[0], rgb[1], rgb[2])
    return colours


@functools.cache
def label_colours() -> dict[int, tuple[int, int, int]]:
    """FreeSurfer's colour table if it can be read, else :data:`ASEG_COLOURS` (read once
    per process: a report of many subjects needs it for each)."""
    try:
        path: Path = find_freesurfer().home / LUT_NAME
        colours = parse_lut(path.read_text(encoding="utf-8", errors="replace"))
    except (FreeSurferError, OSError):
        return dict(ASEG_COLOURS)
    return colours or dict(ASEG_COLOURS)


def colour_of(label: int, colours: dict[int, tuple[int, int, int]]) -> tuple[int, int, int]:
    return colours.get(label, UNNAMED)

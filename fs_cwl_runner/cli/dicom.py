"""``fs-cwl-run dicom SUBJECT_DIR -o OUT``: any finished subject's aseg as DICOM SEG and SR.

The export itself is :mod:`fs_cwl_runner.dicom.export`; here are its flags and its one
result line (JSON on stdout). A missing or unreadable file is exit 2 with its name.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fs_cwl_runner.settings import UsageError

DICOM_HELP = """\
Writes OUT/aseg.seg.dcm (a DICOM Segmentation, one segment per aseg label, numbered 1..N in
ascending FreeSurfer label order; each segment's TrackingID is "FreeSurfer label <id>")
and OUT/aseg.sr.dcm (a TID 1500 Structured Report: each structure's volume from
stats/aseg.stats, referencing its segment, plus eTIV and the other whole-brain volumes).

The SEG is drawn on the voxel grid of a reference series: --reference, the T1 DICOM series
the subject was made from (the SEG and SR then carry that series' patient module, so they
are patient data: keep them where the series is), or else a series derived from the
subject's mri/rawavg.mgz, written to OUT/reference/ and marked DERIVED/SECONDARY, which
names only the subject id. No FreeSurfer license is needed."""


def add_dicom_command(sub: Any) -> None:
    """Add ``dicom`` to the subcommands ``sub``."""
    dicom = sub.add_parser(
        "dicom",
        help="write a finished subject's aseg as DICOM SEG and SR",
        description=DICOM_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dicom.add_argument(
        "subject_dir", type=Path, help="a finished FreeSurfer subject folder ($SUBJECTS_DIR/ID)"
    )
    dicom.add_argument(
        "-o", "--output", type=Path, required=True, help="folder to write the two files into"
    )
    dicom.add_argument(
        "--reference",
        type=Path,
        metavar="DICOM_DIR",
        help="the subject's T1 DICOM series (default: a series derived from mri/rawavg.mgz)",
    )
    dicom.add_argument(
        "--series",
        metavar="UID",
        help="the SeriesInstanceUID to use when DICOM_DIR holds several series",
    )


def cmd_dicom(args: argparse.Namespace, _config: dict[str, Any]) -> int:
    """Export one subject; exit 2 naming the file when the export cannot be made."""
    from fs_cwl_runner.dicom.errors import DicomExportError  # pydicom only for this command
    from fs_cwl_runner.dicom.export import export_subject

    print(f"dicom: exporting {args.subject_dir} …", file=sys.stderr)
    try:
        done = export_subject(args.subject_dir, args.output, args.reference, args.series)
    except DicomExportError as err:
        raise UsageError(f"dicom: {err}") from None
    print(
        f"dicom: {done.segments} segments in {done.seconds:.1f} s: {done.seg}, {done.sr}",
        file=sys.stderr,
    )
    result = {
        "seg": str(done.seg),
        "sr": str(done.sr),
        "reference": str(done.reference),
        "segments": done.segments,
    }
    print(json.dumps(result))
    return 0

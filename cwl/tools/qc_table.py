"""Write the per-subject QC table (TSV on stdout) from each subject's aseg.stats.

Run by stats-tables.sh with FreeSurfer's own Python (fspython, Python 3.8):
    fspython qc_table.py SUBJECTS_DIR SUBJECT...
No dollar-brace or dollar-paren here: CWL would read them as expressions.
"""

from __future__ import annotations

import sys

# aseg.stats "# Measure" names -> the names used here.
MEASURES = {
    "lhSurfaceHoles": "lh_holes",
    "rhSurfaceHoles": "rh_holes",
    "EstimatedTotalIntraCranialVol": "eTIV",
    "BrainSeg": "BrainSegVol",
    "TotalGray": "TotalGrayVol",
    "CerebralWhiteMatter": "CerebralWhiteMatterVol",
}
COLUMNS = [
    "subject",
    "lh_euler",
    "rh_euler",
    "mean_euler",
    "eTIV",
    "BrainSegVol",
    "TotalGrayVol",
    "CerebralWhiteMatterVol",
]


def read_measures(path: str) -> dict[str, float]:
    """The values of the MEASURES found in one aseg.stats file."""
    found: dict[str, float] = {}
    with open(path) as stats:
        for line in stats:
            if line.startswith("# Measure "):
                fields = [f.strip() for f in line[len("# Measure ") :].split(",")]
                if fields[0] in MEASURES:
                    found[MEASURES[fields[0]]] = float(fields[3])
    return found


def euler_numbers(m: dict[str, float]) -> list[object]:
    """lh, rh and mean Euler number; n/a for a longitudinal run, which has no surfaces of
    its own before the topology fix (recon-all -long takes the template's)."""
    if "lh_holes" not in m or "rh_holes" not in m:
        return ["n/a", "n/a", "n/a"]
    # Euler number of a surface with h holes (handles) is 2 - 2h.
    lh = 2 - 2 * int(m["lh_holes"])
    rh = 2 - 2 * int(m["rh_holes"])
    return [lh, rh, (lh + rh) / 2.0]


def main(subjects_dir: str, subjects: list[str]) -> None:
    print("\t".join(COLUMNS))
    for subject in subjects:
        m = read_measures(f"{subjects_dir}/{subject}/stats/aseg.stats")
        row = [subject, *euler_numbers(m), *(f"{m[c]:.1f}" for c in COLUMNS[4:])]
        print("\t".join(str(v) for v in row))


main(sys.argv[1], sys.argv[2:])

"""A first few cases, so the corpus runs before the class modules fill it."""

from __future__ import annotations

from support.bad_inputs import BadInput

CASES = [
    BadInput(
        "validate-unknown-top-level-key",
        12,
        ("validate", "{dir}/cohort.yml"),
        ("unknown top-level key 'outptu'", "did you mean 'output'"),
        files={"cohort.yml": "subjects:\n  - id: s1\n    t1: data/sub-01_T1w.nii.gz\noutptu: r/\n"},
    ),
    BadInput(
        "run-missing-t1",
        12,
        ("run", "{dir}/cohort.yml", "--fs-license", "{dir}/license.txt"),
        ("subjects[0] (s1): t1: file not found", "{dir}/data/missing.nii.gz"),
        files={"cohort.yml": "subjects:\n  - id: s1\n    t1: data/missing.nii.gz\noutput: r/\n"},
    ),
]

"""Bad cohort files: BIDS sessions (class 2), output inside the input (class 3), and subject
ids or S3 URIs that cannot work (class 12)."""

from __future__ import annotations

from support.bad_inputs import GOOD_T1, BadInput, FileContent, nifti

VALIDATE = ("validate", "{dir}/cohort.yml")
RUN = ("run", "{dir}/cohort.yml", "--fs-license", "{dir}/license.txt")
DESCRIPTION = '{"Name": "bad inputs", "BIDSVersion": "1.8.0"}'


def bids(*images: str) -> dict[str, FileContent]:
    """A BIDS dataset in ``bids/`` holding ``images`` (paths under it)."""
    return {"bids/dataset_description.json": DESCRIPTION, **{f"bids/{i}": nifti() for i in images}}


ONE_SUBJECT = bids("sub-01/anat/sub-01_T1w.nii.gz")
TWO_SESSIONS = bids(
    "sub-01/ses-1/anat/sub-01_ses-1_T1w.nii.gz", "sub-01/ses-2/anat/sub-01_ses-2_T1w.nii.gz"
)


def bids_case(
    name: str,
    cohort: str,
    expect: tuple[str, ...],
    dataset: dict[str, FileContent],
    klass: int = 2,
    argv: tuple[str, ...] = VALIDATE,
) -> BadInput:
    """A case whose cohort file reads the BIDS dataset ``bids/``."""
    return BadInput(name, klass, argv, expect, files={**dataset, "cohort.yml": cohort})


def listed(
    name: str,
    klass: int,
    subject: str,
    expect: tuple[str, ...],
    output: str = "results/",
    argv: tuple[str, ...] = VALIDATE,
    files: dict[str, FileContent] | None = None,
) -> BadInput:
    """A case with one listed subject (``subject`` holds its id: and t1: lines)."""
    cohort = f"subjects:\n  - {subject}\noutput: {output}\n"
    return BadInput(name, klass, argv, expect, files={**(files or {}), "cohort.yml": cohort})


def reserved_id(subject_id: str) -> BadInput:
    return listed(
        f"id-reserved-{subject_id.lower()}",
        12,
        f"id: {subject_id}\n    t1: {GOOD_T1}",
        (f"subjects[0] ({subject_id}): id: {subject_id!r} is reserved", "rename the subject"),
    )


def s3_input(name: str, uri: str, why: str) -> BadInput:
    return listed(
        f"s3-input-{name}",
        12,
        f"id: sub-01\n    t1: {uri}",
        (f"subjects[0] (sub-01): t1: malformed S3 URI {uri!r}", why),
    )


def s3_output(name: str, uri: str, why: str) -> BadInput:
    return listed(
        f"s3-output-{name}",
        12,
        f"id: sub-01\n    t1: {GOOD_T1}",
        (f"output: malformed S3 URI {uri!r}", why),
        output=uri,
    )


SESSIONS = [
    bids_case(
        "sessions-unknown-choice",
        "bids: bids\nsessions: merged\noutput: results/\n",
        ("sessions: 'merged' is not a choice", "did you mean 'merge'?"),
        TWO_SESSIONS,
    ),
    bids_case(
        "sessions-misspelt-separate",
        "bids: bids\nsessions: seperate\noutput: results/\n",  # codespell:ignore
        ("sessions: 'seperate' is not a choice", "did you mean 'separate'?"),
        TWO_SESSIONS,
    ),
    bids_case(
        "sessions-true-false",
        "bids: bids\nsessions: true\noutput: results/\n",
        ("sessions: True is not a choice", "use separate (the default"),
        TWO_SESSIONS,
        argv=RUN,
    ),
    listed(
        "sessions-without-bids",
        2,
        f"id: sub-01\n    t1: {GOOD_T1}\nsessions: merge",
        ("sessions: only applies with bids:; remove it",),
    ),
    bids_case(
        "bids-subject-labels-differ-in-case",
        "bids: bids\noutput: results/\n",
        ("bids: sub-AB and sub-ab differ only in case", "rename one"),
        bids("sub-ab/anat/sub-ab_T1w.nii.gz", "sub-AB/anat/sub-AB_T1w.nii.gz"),
    ),
    bids_case(
        "bids-selected-subject-labels-differ-in-case",
        "bids: bids\nparticipants: [sub-AB, sub-ab]\noutput: results/\n",
        ("bids: sub-AB and sub-ab differ only in case", "rename one"),
        bids(
            "sub-ab/anat/sub-ab_T1w.nii.gz",
            "sub-AB/anat/sub-AB_T1w.nii.gz",
            "sub-01/anat/sub-01_T1w.nii.gz",
        ),
    ),
    bids_case(
        "bids-session-labels-differ-in-case",
        "bids: bids\noutput: results/\n",
        ("bids (sub-01): ses-A and ses-a differ only in case",),
        bids(
            "sub-01/ses-a/anat/sub-01_ses-a_T1w.nii.gz",
            "sub-01/ses-A/anat/sub-01_ses-A_T1w.nii.gz",
        ),
    ),
    bids_case(
        "bids-session-labels-differ-in-case-merged",
        "bids: bids\nsessions: merge\noutput: results/\n",
        ("bids (sub-01): ses-A and ses-a differ only in case",),
        bids(
            "sub-01/ses-a/anat/sub-01_ses-a_T1w.nii.gz",
            "sub-01/ses-A/anat/sub-01_ses-A_T1w.nii.gz",
        ),
        argv=RUN,
    ),
    bids_case(
        "participants-unknown-session",
        "bids: bids\nparticipants: [sub-01_ses-3]\noutput: results/\n",
        ("participants[0]: sub-01 has no session ses-3", "(its sessions: ses-1, ses-2)"),
        TWO_SESSIONS,
    ),
    bids_case(
        "participants-session-with-merge",
        "bids: bids\nsessions: merge\nparticipants: [sub-01_ses-1]\noutput: results/\n",
        ("participants[0]: sub-01_ses-1 names one session, but sessions: merge",),
        TWO_SESSIONS,
    ),
    bids_case(
        "participants-session-without-t1",
        "bids: bids\nparticipants: [sub-01_ses-2]\noutput: results/\n",
        ("bids (sub-01_ses-2): t1: no T1w image in sub-01/ses-2/anat/",),
        bids(
            "sub-01/ses-1/anat/sub-01_ses-1_T1w.nii.gz",
            "sub-01/ses-2/anat/sub-01_ses-2_T2w.nii.gz",
        ),
    ),
    bids_case(
        "participants-subject-with-no-t1-in-any-session",
        "bids: bids\nparticipants: [sub-02]\noutput: results/\n",
        ("participants[0]: sub-02 has no session with a T1w image",),
        bids(
            "sub-01/anat/sub-01_T1w.nii.gz",
            "sub-02/ses-1/anat/sub-02_ses-1_T2w.nii.gz",
            "sub-02/ses-2/anat/sub-02_ses-2_FLAIR.nii.gz",
        ),
    ),
    bids_case(
        "participants-malformed-session",
        "bids: bids\nparticipants: [sub-01_ses-]\noutput: results/\n",
        ("participants[0]: 'sub-01_ses-' is not a BIDS subject",),
        TWO_SESSIONS,
    ),
    bids_case(
        "session-id-too-long",
        "bids: bids\noutput: results/\n",
        ("id: 'sub-" + "a" * 40 + "_ses-" + "b" * 30 + "' cannot be a folder",),
        bids(f"sub-{'a' * 40}/ses-{'b' * 30}/anat/sub-{'a' * 40}_ses-{'b' * 30}_T1w.nii.gz"),
    ),
]

PLACEMENT = [
    bids_case(
        "output-is-the-bids-root",
        "bids: bids\noutput: bids\n",
        ("output: {dir}/bids is the BIDS dataset itself (bids:)", "derivatives/freesurfer"),
        ONE_SUBJECT,
        klass=3,
    ),
    bids_case(
        "output-is-the-bids-root-with-slash",
        "bids: bids/\noutput: bids/\n",
        ("output: {dir}/bids is the BIDS dataset itself (bids:)",),
        ONE_SUBJECT,
        klass=3,
        argv=RUN,
    ),
    bids_case(
        "output-inside-a-bids-subject",
        "bids: bids\noutput: bids/sub-01/freesurfer\n",
        (
            "output: {dir}/bids/sub-01/freesurfer is inside the BIDS subject folder "
            "{dir}/bids/sub-01",
        ),
        ONE_SUBJECT,
        klass=3,
    ),
    bids_case(
        "output-is-bids-derivatives",
        "bids: bids\noutput: bids/derivatives\n",
        ("output: {dir}/bids/derivatives is the BIDS dataset's derivatives/ folder",),
        ONE_SUBJECT,
        klass=3,
    ),
    bids_case(
        "output-elsewhere-in-bids",
        "bids: bids\noutput: bids/results\n",
        ("output: {dir}/bids/results is inside the BIDS dataset {dir}/bids (bids:)",),
        ONE_SUBJECT,
        klass=3,
    ),
    listed(
        "output-is-the-images-folder",
        3,
        f"id: sub-01\n    t1: {GOOD_T1}",
        ("output: {dir}/data is {dir}/data, the folder of the input subjects[0] (sub-01): t1",),
        output="data",
    ),
    listed(
        "output-inside-the-images-folder",
        3,
        f"id: sub-01\n    t1: {GOOD_T1}",
        ("output: {dir}/data/fs is inside {dir}/data, the folder of the input subjects[0]",),
        output="data/fs/",
        argv=RUN,
    ),
    listed(
        "output-beside-images-and-cohort-file",
        3,
        "id: s1\n    t1: s1_T1.nii.gz",
        (
            "output: {dir}/results is inside {dir}, the folder of the input subjects[0] (s1): t1",
            "move the images into a folder of their own (e.g. {dir}/data",
            "or choose an `output:` folder outside {dir}",
        ),
        files={"s1_T1.nii.gz": nifti()},
    ),
    listed(
        "output-is-the-cohort-folder",
        3,
        f"id: sub-01\n    t1: {GOOD_T1}",
        ("output: {dir} holds the cohort file {dir}/cohort.yml",),
        output=".",
    ),
    listed(
        "input-inside-the-output",
        3,
        "id: sub-01\n    t1: results/old/sub-01_T1w.nii.gz",
        ("output: {dir}/results holds the input subjects[0] (sub-01): t1",),
        files={"results/old/sub-01_T1w.nii.gz": nifti()},
    ),
    listed(
        "input-inside-a-previous-run",
        3,
        "id: sub-01\n    t1: old-run/sub-01/mri/orig/001.nii.gz",
        (
            "subjects[0] (sub-01): t1: {dir}/old-run/sub-01/mri/orig/001.nii.gz is inside "
            "{dir}/old-run, the output of an fs-cwl run",
        ),
        files={
            "old-run/sub-01/mri/orig/001.nii.gz": nifti(),
            "old-run/.fs-cwl/cohort.json": '{"cohort_file": "elsewhere.yml", "subjects": []}',
        },
    ),
    listed(
        "output-under-the-cohort-file",
        3,
        f"id: sub-01\n    t1: {GOOD_T1}",
        ("output: {dir}/cohort.yml/results cannot be made: {dir}/cohort.yml is a file",),
        output="cohort.yml/results",
    ),
    listed(
        "output-under-the-cohort-file-run",
        3,
        f"id: sub-01\n    t1: {GOOD_T1}",
        ("output: {dir}/cohort.yml/results cannot be made: {dir}/cohort.yml is a file",),
        output="cohort.yml/results",
        argv=RUN,
    ),
    listed(
        "output-under-an-image",
        3,
        f"id: sub-01\n    t1: {GOOD_T1}",
        ("output: {dir}/data/sub-01_T1w.nii.gz/a/b cannot be made",),
        output="data/sub-01_T1w.nii.gz/a/b",
    ),
    listed(
        "s3-output-holds-an-s3-input",
        3,
        "id: sub-01\n    t1: s3://my-bucket/study/sub-01_T1w.nii.gz",
        ("output: s3://my-bucket/study holds the input subjects[0] (sub-01): t1",),
        output="s3://my-bucket/study/",
    ),
]

IDS_AND_S3 = [
    reserved_id("report.html"),
    reserved_id("LOGS"),
    reserved_id("Group"),
    reserved_id("dataset_description.json"),
    reserved_id("fsaverage"),
    reserved_id("_cohort"),
    s3_input(
        "bad-character",
        "s3://my+bucket/sub-01_T1w.nii.gz",
        "'my+bucket' is not a valid bucket name: it may hold only letters, digits, dots,",
    ),
    s3_input("too-long", f"s3://{'b' * 256}/t1.nii.gz", "has 256 characters; S3 bucket names"),
    s3_input(
        "access-point-arn",
        "s3://arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap/t1.nii.gz",
        "is an ARN, which an s3:// URI cannot hold; write the access point's alias",
    ),
    s3_input("hash-in-key", "s3://my-bucket/in/t1#2.nii.gz", "the key holds '#', which the"),
    s3_input("question-mark-in-key", "s3://my-bucket/in/t1?v=2.nii.gz", "the key holds '?'"),
    s3_input("percent-in-key", "s3://my-bucket/in/t1%20b.nii.gz", "the key holds '%'"),
    s3_input("space-in-key", "s3://my-bucket/in/t1 b.nii.gz", "the key holds a space"),
    s3_input("empty-key-segment", "s3://my-bucket/a//t1.nii.gz", "empty path segment ('//')"),
    s3_input("leading-empty-segment", "s3://my-bucket//t1.nii.gz", "empty path segment ('//')"),
    s3_output("bad-character", "s3://my!bucket/results", "may hold only letters, digits"),
    s3_output("hash-in-key", "s3://my-bucket/results#1", "rename it without that"),
    s3_output("empty-key-segment", "s3://my-bucket/a//results", "empty path segment ('//')"),
    s3_output("too-short", "s3://b/results", "has 1 characters; S3 bucket names have 3 to 255"),
]


def sessions_cohort(*sessions: str, person: str = "sub-01", extra: str = "") -> str:
    """A longitudinal cohort of one listed person, ``sessions`` its session entries."""
    entries = "".join(f"      - {session}\n" for session in sessions)
    return (
        f"longitudinal: true\nsubjects:\n  - id: {person}\n    sessions:\n{entries}"
        f"{extra}output: results/\n"
    )


SECOND_T1 = "data/sub-01_ses-2_T1w.nii.gz"
LONGITUDINAL_FILES: dict[str, FileContent] = {SECOND_T1: nifti()}


def longitudinal(name: str, cohort: str, expect: tuple[str, ...]) -> BadInput:
    return BadInput(
        f"longitudinal-{name}",
        2,
        RUN,
        expect,
        files={**LONGITUDINAL_FILES, "cohort.yml": cohort},
    )


LONGITUDINAL = [
    # sub-01 with session "ses-1" is the folder sub-01_ses-1: a second subject of that id
    # would be a timepoint and a template (or subject) in one folder.
    longitudinal(
        "template-is-a-timepoint",
        "longitudinal: true\nsubjects:\n"
        f"  - id: sub-01\n    sessions:\n      - id: ses-1\n        t1: {GOOD_T1}\n"
        f"      - id: ses-2\n        t1: {SECOND_T1}\n"
        f"  - id: sub-01_ses-1\n    t1: {GOOD_T1}\n"
        "output: results/\n",
        ("sub-01_ses-1: the folder of", "a template id may not be a timepoint id"),
    ),
    longitudinal(
        "duplicate-session-id",
        sessions_cohort(f"id: ses-1\n        t1: {GOOD_T1}", f"id: ses-1\n        t1: {SECOND_T1}"),
        ("subjects[0] (sub-01).sessions[1] (ses-1): id: duplicate session id 'ses-1'",),
    ),
    longitudinal(
        "session-without-t1",
        sessions_cohort(f"id: ses-1\n        t1: {GOOD_T1}", "id: ses-2"),
        ("subjects[0] (sub-01).sessions[1] (ses-2): t1: missing",),
    ),
    longitudinal(
        "not-a-boolean",
        sessions_cohort(
            f"id: ses-1\n        t1: {GOOD_T1}", f"id: ses-2\n        t1: {SECOND_T1}"
        ).replace("longitudinal: true", "longitudinal: yes please"),
        ("longitudinal: must be true or false",),
    ),
    longitudinal(
        "image-beside-sessions",
        sessions_cohort(
            f"id: ses-1\n        t1: {GOOD_T1}", f"id: ses-2\n        t1: {SECOND_T1}"
        ).replace("    sessions:\n", f"    t1: {GOOD_T1}\n    sessions:\n"),
        ("subjects[0] (sub-01): t1: given beside sessions:",),
    ),
    longitudinal(
        "no-person-with-two-sessions",
        sessions_cohort(f"id: ses-1\n        t1: {GOOD_T1}"),
        ("longitudinal: true, but no subject has two or more sessions",),
    ),
    bids_case(
        "longitudinal-with-sessions-merge",
        "bids: bids\nsessions: merge\nlongitudinal: true\noutput: results/\n",
        ("longitudinal: true with sessions: merge", "remove sessions: merge"),
        TWO_SESSIONS,
        argv=RUN,
    ),
]

CASES = [*SESSIONS, *PLACEMENT, *IDS_AND_S3, *LONGITUDINAL]

"""Bad ``freesurfer:`` options: the expert options file (class 7) and ``flags:`` (class 8).

Each case is refused before any work: the flags against the flags recon-all 7.3.2 knows,
the expert file as recon-all's fsr-checkxopts and fsr-getxopts would read it.
"""

from __future__ import annotations

from support.bad_inputs import GOOD_COHORT, BadInput, FileContent

VALIDATE = ("validate", "{dir}/cohort.yml")
PLAN = ("plan", "{dir}/cohort.yml", "-o", "{dir}/job.yml", "--fs-license", "{dir}/license.txt")
RUN = ("run", "{dir}/cohort.yml", "--fs-license", "{dir}/license.txt")


def with_options(options: str) -> str:
    """The good cohort with a ``freesurfer:`` mapping (YAML flow style)."""
    return f"{GOOD_COHORT}freesurfer: {options}\n"


def flags_case(name: str, flags: str, *expect: str, argv: tuple[str, ...] = VALIDATE) -> BadInput:
    """A class 8 case: ``flags`` is the YAML of freesurfer.flags."""
    return BadInput(
        f"flags-{name}", 8, argv, expect, files={"cohort.yml": with_options(f"{{flags: {flags}}}")}
    )


def expert_case(
    name: str, content: FileContent | None, *expect: str, argv: tuple[str, ...] = VALIDATE
) -> BadInput:
    """A class 7 case: ``content`` is expert.opts (None: the file is absent)."""
    files: dict[str, FileContent] = {"cohort.yml": with_options("{expert: expert.opts}")}
    if content is not None:
        files["expert.opts"] = content
    return BadInput(f"expert-{name}", 7, argv, expect, files=files)


FLAG_CASES = [
    flags_case(
        "typo-qcahce",
        "[-qcahce]",
        "freesurfer.flags[0]: unknown recon-all flag '-qcahce'; did you mean '-qcache'?",
    ),
    flags_case("double-dash", "[-cw256, --qcache]", "flags[1]", "did you mean '-qcache'?"),
    flags_case("wrong-case", "[-CW256]", "unknown recon-all flag '-CW256'", "'-cw256'"),
    flags_case("wrong-case-qcache", "[-QCACHE]", "unknown recon-all flag '-QCACHE'", "'-qcache'"),
    flags_case(
        "wrong-case-localgi", "[-LocalGi]", "unknown recon-all flag '-LocalGi'", "'-localGI'"
    ),
    flags_case("seed-of-other-tools", "['-seed 1234']", "'-seed'", "did you mean '-rng-seed'?"),
    flags_case("made-up", "[-frobnicate]", "unknown recon-all flag '-frobnicate'"),
    flags_case(
        "missing-value", "[-rng-seed]", "flags[0]: -rng-seed needs its value: seed (a whole"
    ),
    flags_case("missing-value-text", "-cw256 -rng-seed", "-rng-seed needs its value"),
    flags_case("value-not-a-number", "['-rng-seed abc']", "seed must be a whole number, not 'abc'"),
    flags_case("too-few-values", "['-wsseed 120 80']", "-wsseed needs 3 values", "not 2"),
    flags_case("bad-choice", "['-watershed big']", "'big' must be one of atlas"),
    flags_case("value-on-a-switch", "['-cw256 yes']", "-cw256 takes no value"),
    flags_case("two-in-one-item", "['-cw256 -mprage']", "holds 2 flags"),
    flags_case("not-text", "[-cw256, 3]", "freesurfer.flags[1]: 3 is a number"),
    flags_case("hemi", "[-hemi]", "-hemi is set by fs-cwl itself", "each hemisphere"),
    flags_case("dontrun", "[-dontrun]", "-dontrun cannot be given", "would run nothing"),
    flags_case("autorecon2", "[-autorecon2]", "-autorecon2 is set by fs-cwl itself"),
    flags_case("autorecon-all", "[-autorecon-all]", "-autorecon-all is set by fs-cwl itself"),
    flags_case("skullstrip", "[-skullstrip]", "-skullstrip cannot be given", "selects recon-all"),
    flags_case("noskullstrip", "[-noskullstrip]", "-noskullstrip cannot be given"),
    flags_case("base", "['-base tmpl']", "-base cannot be given", "longitudinal"),
    flags_case("long", "['-long tp1 tmpl']", "-long cannot be given", "longitudinal"),
    flags_case("clean", "[-clean]", "-clean cannot be given", "deletes files"),
    flags_case("local-file", "['-xmask {dir}/mask.mgz']", "-xmask cannot be given"),
    flags_case("three-tesla", "[-3T]", "-3T is set by fs-cwl itself", "three_tesla: true"),
    flags_case("hires", "[-hires]", "use hires: true under freesurfer:"),
    flags_case("expert", "['-expert x.opts']", "use expert: FILE under freesurfer:"),
    flags_case("t2", "['-T2 t2.nii.gz']", "give the T2 image per subject with t2:"),
    flags_case("make", "['-make all']", "-make is no longer supported"),
    flags_case(
        "twice-differently",
        "['-rng-seed 1', '-rng-seed 2']",
        "flags[1]: -rng-seed given twice with different values",
    ),
    flags_case("washu-without-no-mprage", "[-washu_mprage]", "needs -no-mprage as well"),
    flags_case("plan", "[-qcahce]", "did you mean '-qcache'?", argv=PLAN),
    flags_case("run", "[-noskullstrip]", "-noskullstrip cannot be given", argv=RUN),
]

EXPERT_CASES = [
    expert_case(
        "misspelt",
        "mri_ca_register -nobigventricles\nmri_normalise -gentle\n",
        "freesurfer.expert: {dir}/expert.opts line 2: unknown command 'mri_normalise'; "
        "did you mean 'mri_normalize'? (recon-all would ignore the line)",
    ),
    expert_case(
        "older-command",
        "mris_make_surfaces -nowhite\n",
        "line 1: unknown command 'mris_make_surfaces'",
        "PlaceWhiteSurf",
    ),
    expert_case(
        "twice",
        "mri_normalize -gentle\nmris_smooth -n 3\nmri_normalize -g 1\n",
        "{dir}/expert.opts lines 1 and 3: 'mri_normalize' is listed more than once",
    ),
    expert_case(
        "two-empty-lines",
        "mri_normalize -gentle\n\nmris_smooth -n 3\n\n",
        "lines 2 and 4 are empty",
    ),
    expert_case(
        "comment-names-command",
        "# mri_normalize: gentler\nmri_normalize -gentle\n",
        "lines 1 and 2 both hold 'mri_normalize'",
    ),
    expert_case(
        "name-inside-another",
        "mris_curvature -w\nmris_curvature_stats -m\n",
        "lines 1 and 2 both hold 'mris_curvature'",
    ),
    expert_case(
        "options-before-hash",
        "mri_normalize -gentle # gentler\n",
        "line 1: recon-all ignores every line holding a '#'",
    ),
    BadInput(
        "expert-folder",
        7,
        VALIDATE,
        ("freesurfer.expert: {dir}/expert.opts is a folder",),
        # A file inside it makes build() create the folder in the file's place.
        files={
            "cohort.yml": with_options("{expert: expert.opts}"),
            "expert.opts/mri_normalize.txt": "mri_normalize -gentle\n",
        },
    ),
    expert_case("binary", b"mri_normalize\0\x01\x02", "is not text (a zero byte at offset 13)"),
    expert_case("not-utf8", b"mri_normalize -g \xff\n", "is not UTF-8 text"),
    expert_case("windows-line-ends", "mri_normalize -gentle\r\n", "has Windows line ends"),
    BadInput(
        "expert-name-with-space",
        7,
        VALIDATE,
        ("{dir}/my opts.txt: its name holds a space",),
        files={
            "cohort.yml": with_options("{expert: my opts.txt}"),
            "my opts.txt": "mri_normalize -gentle\n",
        },
    ),
    expert_case("huge", "# padding\n" * 7000, "is over 64 KiB"),
    expert_case("missing", None, "freesurfer.expert: file not found: {dir}/expert.opts"),
    expert_case("run", "mri_normalise -gentle\n", "unknown command 'mri_normalise'", argv=RUN),
]
CASES = [*FLAG_CASES, *EXPERT_CASES]

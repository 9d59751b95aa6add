"""One invocation of the double: the command line checked, recorded, then run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .build import BUILD_STAMP
from .checks import check_license, check_params
from .environment import env_float, record
from .errors import Fail
from .options import VALUE_FLAGS, parse
from .run import Run


def guess_subject(argv: list[str]) -> str | None:
    """The -s value of a command line that did not parse."""
    for index, flag in enumerate(argv[:-1]):
        if VALUE_FLAGS.get(flag) == "subject":
            return argv[index + 1]
    return None


def main(argv: list[str]) -> int:
    if any("-version" in arg for arg in argv):  # recon-all: "echo $argv | egrep -e -version"
        record(argv, "version", None, None)
        print(BUILD_STAMP)
        return 0
    try:
        opts = parse(argv)
    except Fail as err:
        record(argv, None, guess_subject(argv), None)
        print(err)
        return err.code
    sd = opts.sd or os.environ.get("SUBJECTS_DIR")
    record(argv, opts.stage, opts.subject, str(Path(sd).absolute()) if sd else None)
    try:
        if "DEBUG" in os.environ:
            raise Fail(
                "ERROR: the environment variable DEBUG is set; recon-all would write "
                "gigabytes of debugging output. Unset DEBUG (recon-all test double)."
            )
        sdir = check_params(opts)
        check_license()
        env_float("FS_CWL_DOUBLE_SCALE", 0.01)
        env_float("FS_CWL_DOUBLE_SLEEP", 0.0)
        run = Run(opts, sdir)
        run.start()
    except Fail as err:
        print(err, file=sys.stderr if err.code == 255 else sys.stdout)
        return err.code
    run.run()
    return 0

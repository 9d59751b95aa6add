"""One recon-all invocation's bookkeeping: its logs, IsRunning file, done and error files."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from .build import BUILD_STAMP, HOST, USER
from .environment import env_float
from .errors import Fail
from .options import Options


def now() -> str:
    return time.strftime("%a %b %e %H:%M:%S %Z %Y")


def uname() -> str:
    u = os.uname()
    return f"{u.sysname} {u.nodename} {u.release} {u.version} {u.machine} GNU/Linux"


class Invocation:
    """A recon-all run on one subject: its logs, IsRunning file, done and error files."""

    def __init__(self, opts: Options, sdir: Path) -> None:
        self.opts, self.sdir, self.subject = opts, sdir, str(opts.subject)
        self.hemis, self.mm = opts.hemis, opts.mm
        self.scale = env_float("FS_CWL_DOUBLE_SCALE", 0.01)
        suffix = f"-{self.hemis[0]}" if len(self.hemis) == 1 else ""
        scripts = sdir / "scripts"
        self.lf = scripts / f"recon-all{suffix}.log"
        self.sf = scripts / f"recon-all-status{suffix}.log"
        self.cf = scripts / f"recon-all{suffix}.cmd"
        self.is_running = scripts / f"IsRunning.{'+'.join(self.hemis)}"
        self.owns_is_running = bool(opts.do.get("DoIsRunning"))  # not with -no-isrunning
        self.started, self.t0 = now(), time.time()

    # -- logging ---------------------------------------------------------------------

    def say(
        self, text: str, lf: bool = True, sf: bool = False, cf: bool = False, out: bool = True
    ) -> None:
        """Like recon-all's ``echo ... |& tee -a $SF |& tee -a $LF |& tee -a $CF``."""
        for wanted, path in ((lf, self.lf), (sf, self.sf), (cf, self.cf)):
            if wanted:
                append(path, text + "\n")
        if out:
            print(text, flush=True)

    def open_logs(self) -> None:
        """The start of each log, as recon-all writes it (logs are appended to)."""
        for path in (self.lf, self.sf):
            if path.exists():
                append(path, "\n\n\n#New# invocation of recon-all \n\n\n\n")
        append(self.sf, f"status file for recon-all\n{self.started}\n")
        append(
            self.cf,
            f"\n\n#---------------------------------\n# New invocation of "
            f"recon-all {self.started} \n",
        )
        home = os.environ.get("FREESURFER_HOME", "")
        self.say(
            f"\n{self.started}\ncd {Path.cwd()}\nsetenv SUBJECTS_DIR {self.opts.sd}\n"
            f"{Path(sys.argv[0]).absolute()} {' '.join(self.opts.argv)}\n\n"
            f"subjid {self.subject}\nsetenv SUBJECTS_DIR {self.opts.sd}\n"
            f"FREESURFER_HOME {home}\nActual FREESURFER_HOME {home}\n"
            f"build-stamp.txt: {BUILD_STAMP}\n{uname()}",
            out=False,
        )
        print(f"INFO: SUBJECTS_DIR is {self.opts.sd}\nActual FREESURFER_HOME {home}\n{uname()}")

    # -- start and end ---------------------------------------------------------------

    def start(self) -> None:
        """Make the subject's folders, check and create the IsRunning file, open logs."""
        for sub in (
            "mri/transforms/bak",
            "mri/orig",
            "scripts",
            "surf",
            "tmp",
            "label",
            "touch",
            "stats",
            "trash",
        ):
            (self.sdir / sub).mkdir(parents=True, exist_ok=True)
        if self.owns_is_running:
            self.check_is_running()
            self.is_running.write_text(
                f"------------------------------\nSUBJECT {self.subject}\nHEMI    "
                f"{' '.join(self.hemis)}\nDATE {self.started}\nUSER {USER}\nHOST {HOST}\n"
                f"PROCESSID {os.getpid()} \nPROCESSOR {os.uname().machine}\nOS Linux\n"
                f"{uname()}\n{BUILD_STAMP}\n"
            )
        stamp = self.sdir / "scripts" / "build-stamp.txt"
        if not stamp.exists():
            stamp.write_text(BUILD_STAMP + "\n")
        (self.sdir / "scripts" / "lastcall.build-stamp.txt").write_text(BUILD_STAMP + "\n")
        for name in ("recon-all.error", "recon-all.done"):
            (self.sdir / "scripts" / name).unlink(missing_ok=True)
        self.open_logs()
        if self.opts.expert:
            (self.sdir / "scripts" / "expert-options").write_text(self.opts.expert.read_text())

    def check_is_running(self) -> None:
        """A one-hemisphere run tolerates the other hemisphere's run, as recon-all does."""
        scripts = self.sdir / "scripts"
        if len(self.hemis) == 1:
            bail = [scripts / "IsRunning.lh+rh", self.is_running]
        else:
            bail = [scripts / "IsRunning.lh", scripts / "IsRunning.rh", self.is_running]
        for path in bail:
            if path.exists():
                raise Fail(
                    f"\nERROR: it appears that recon-all is already running\nfor {self.subject} "
                    f"based on the presence of {path}. It could\nalso be that recon-all was "
                    "running at one point but\ndied in an unexpected way. If it is the case that "
                    "there\nis a process running, you can kill it and start over or\njust let it "
                    "run. If the process has died, you should type:\n\n"
                    f" rm {path}\n\nand re-run. Or you can add -no-isrunning to the recon-all\n"
                    "command-line. The contents of this file are:\n"
                    "----------------------------------------------------------\n"
                    + path.read_text()
                    + "----------------------------------------------------------"
                )

    def drop_is_running(self) -> None:
        if self.owns_is_running:
            self.is_running.unlink(missing_ok=True)

    def finish(self) -> None:
        hours = (time.time() - self.t0) / 3600
        self.say(
            f"\nStarted at {self.started} \nEnded   at {now()}\n"
            f"#@#%# recon-all-run-time-hours {hours:.3f}"
        )
        self.drop_is_running()
        (self.sdir / "scripts" / "recon-all.done").write_text(
            f"------------------------------\nSUBJECT {self.subject}\nSTART_TIME {self.started}\n"
            f"END_TIME {now()}\nRUNTIME_HOURS {hours:.3f}\nUSER {USER}\nHOST {HOST}\n"
            f"PROCESSOR {os.uname().machine}\nOS Linux\nUNAME {uname()}\nVERSION {BUILD_STAMP}\n"
            f"CMDPATH {sys.argv[0]}\nCMDARGS {' '.join(self.opts.argv)}\n"
        )
        self.say(f"recon-all -s {self.subject} finished without error at {now()}", sf=True)
        print("done")

    def error_exit(self, message: str = "") -> None:
        """recon-all's error_exit: log, drop the IsRunning file, write recon-all.error."""
        if message:
            self.say(message)
        self.say(
            f"{uname()}\n\nrecon-all -s {self.subject} exited with ERRORS at {now()}\n", sf=True
        )
        print(
            f"For more details, see the log file {self.lf}\nTo report a problem, see "
            "http://surfer.nmr.mgh.harvard.edu/fswiki/BugReporting\n"
        )
        self.drop_is_running()
        (self.sdir / "scripts" / "recon-all.error").write_text(
            f"------------------------------\nSUBJECT {self.subject}\nDATE {now()}\n"
            f"USER {USER}\nHOST {HOST}\n{uname()}\n{BUILD_STAMP}\n{sys.argv[0]}\n"
            f"PWD {Path.cwd()}\n"
        )
        (self.sdir / "scripts" / "recon-all.done").write_text("1\n")
        raise SystemExit(1)


def append(path: Path, text: str) -> None:
    with open(path, "a") as log:
        log.write(text)

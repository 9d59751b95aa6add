"""Test double for FreeSurfer 7.3.2 ``recon-all``: a stand-in for tests, NOT FreeSurfer.

It lives under tests/ only and must never ship; tests put this directory first on PATH.
It processes no images. Each recon-all step is mimicked: its ``#@# <Step> <date>`` header
goes to the logs as the real recon-all writes it, and the files the real step writes are
created (the lists come from ``recon-all -dontrun`` and the recon-all script of 7.3.2),
filled with pseudo-random bytes that depend only on (subject, file name). Two kinds of
file are the exception. The volumes that readers open as images (orig, rawavg, T1,
brainmask, brain, aseg, aparc+aseg) are fsaverage's, in the input image's grid, when the
Python running the double has nibabel and FREESURFER_HOME has fsaverage (see volumes).
Stats files are written in FreeSurfer's text format, with plausible values that depend
only on the subject (and the structures' volumes on the real aseg.mgz), so
asegstats2table and aparcstats2table read them.

Supported command lines (flags are read left to right like recon-all's, so a later flag
overrides an earlier one: ``-noT2pial -T2 F`` still refines the pial surface with T2):
  1. -sd D -s S -i T1 [-i ...] [-T2 F -noT2pial | -FLAIR F -noFLAIRpial] -autorecon1
  2. -sd D -s S -autorecon2-volonly -gcareg
  3. -sd D -s S -autorecon-hemi lh|rh -nocurvstats -nocortparc2 -nocortparc3
     -nopctsurfcon -nohyporelabel -noparcstats -noparcstats2 -noparcstats3 -nobalabels
  4. -sd D -s S [-T2pial|-FLAIRpial] -curvstats -cortribbon -cortparc2 -cortparc3
     -pctsurfcon -hyporelabel -apas2aseg -aparc2aseg -wmparc -parcstats -parcstats2
     -parcstats3 -segstats -balabels
  5. -sd D -s S -i T1 [...] [-T2 F -T2pial | -FLAIR F -FLAIRpial] -all
each with -openmp N and optionally -3T -hires -expert F -xopts-overwrite -qcache
-no-isrunning -cw256 -notal-check -bigventricles -parallel -cm. Like recon-all, any
argument containing "-version" prints the build stamp and exits 0.

Like recon-all, it appends to scripts/recon-all.log (recon-all-lh.log and -rh.log for
-autorecon-hemi), recon-all-status*.log and recon-all*.cmd, keeps scripts/IsRunning.*
while it runs (a killed run leaves it behind, and the next run then refuses to start
unless given -no-isrunning), and refuses -i for a subject folder that already exists.
A step whose inputs are missing (a stage run out of order) fails like recon-all does.

Environment:
  FS_LICENSE           license file (else $FREESURFER_HOME/license.txt or .license, as
                       FreeSurfer's binaries look); only checked to be a readable file,
                       never read; missing: exit 255 before anything is written (the
                       real recon-all exits 1 there, after making the subject folder)
  DEBUG                must not be set (recon-all then writes gigabytes of debug output)
  FS_CWL_DOUBLE_CALLS  file to append one JSON line per invocation to
                       (argv, stage, subject, subjects_dir, cwd)
  FS_CWL_DOUBLE_FAIL   comma list of SUBJ:STAGE: that stage fails half-way, exit 1;
                       STAGE is autorecon1, autorecon2-volume, hemi-lh, hemi-rh,
                       autorecon3 or all
  FS_CWL_DOUBLE_REWRITE comma list of SUBJ:STAGE:PATH: half-way through that stage, the
                       existing file PATH of the subject folder is appended to in place
                       (through a symbolic link, as recon-all's own writes would go)
  FS_CWL_DOUBLE_WAIT   comma list of SUBJ:STAGE:PATH: half-way through that stage (before
                       FS_CWL_DOUBLE_FAIL acts), wait until the file PATH exists; after
                       600 s without it, fail (exit 1)
  FS_CWL_DOUBLE_SLEEP  seconds to sleep half-way through each invocation (default 0)
  FS_CWL_DOUBLE_SCALE  factor on the real file sizes (default 0.01; the real volumes
                       keep their own size)
  FS_CWL_DOUBLE_CACHE  folder that keeps the real volumes made, between runs (default:
                       fs-cwl-double-<uid> in the temporary directory)

The program is ``recon-all`` in this folder, a launcher that imports this package from
next to itself. Modules: options and checks (the command line), steps (recon-all's
steps in -all's order), contents, volumes, segstats and surface_stats (what the files
hold), stats (the writers by name), invocation (logs, IsRunning), run (the steps of one
invocation), environment (the FS_CWL_DOUBLE_* switches), main.
"""

"""fs-cwl: FreeSurfer recon-all at cohort scale, through portable CWL workflows.

The map (each module's docstring says what it does, AWS modules also where they run):

* ``cli/``      the command line only: flags to typed settings, backends by name, exit codes
* ``cohort/``   the cohort file: spec, shared field checks, load, BIDS (sessions,
  participants), options (flags, expert file), placement, output, images (headers, deep),
  DICOM folders as inputs (``dicom_inputs``)
* ``dicom/``    DICOM in and out: a folder's series and their checks, conversion to NIfTI
  by dcm2niix with the sidecar scrubbed, the cohort's DICOM inputs converted, a NIfTI
  written as an MR series
* ``dryrun/``   ``run --dry-run``: each stage's command from the CWL tools, recon-all -dontrun
* ``local/``    the local backend: each subject through Toil single machine or cwltool
* ``aws/``      the AWS backend: run, Toil on Batch, staging, detached leader, results, fetch,
  Toil's job store bucket (encrypted; deleted by ``aws clean``)
* ``aws/setup/`` ``aws setup`` and ``teardown``: bucket, IAM, network, Batch, policies
* ``report/``   the HTML report: page, stage timeline, group QC, segmentation snapshots
* ``dicom/``    aseg as DICOM SEG and SR on a reference series (``fs-cwl-run dicom``)
* ``finish.py`` the one end of every run: record, group tables, derivatives, report, exit code
* ``settings.py`` every setting (flag, ``FS_CWL_*`` variable, config file); ``request.py``
  what a run asks of a backend; ``plan.py`` the CWL job order; ``state.py`` the run record;
  ``stages.py`` the stage graph of ``cwl/workflows/subject.cwl``; ``toil_log.py`` Toil's log
  lines; ``layout.py`` the output folder; ``manifest.py`` checksums of finished subjects;
  ``engine.py`` cwltool and Toil command lines; ``freesurfer.py`` FreeSurfer;
  ``license_file.py`` the license: where it is named, its shape; ``safe_write.py`` writing
  a file the user named without replacing an input; ``derivatives.py`` BIDS derivatives;
  ``progress.py`` progress on stderr; ``s3uri.py`` what counts as S3;
  ``gzip_integrity.py`` gzip data checked to their end; ``block_yaml.py`` the job order's
  YAML writer
"""

__version__ = "0.1.0"

"""The ``fs-cwl-run`` command line: flags to settings, errors to exit codes.

``main`` the commands and exit codes; ``parser`` the flags, help and the default command;
``inputs`` the cohort, license and settings checked before work; ``validate`` the
validate command; ``backends`` the backends table; ``aws_values`` AWS settings checked
without AWS; ``aws``, ``fetch`` and ``dicom`` their commands; ``dicom_inputs`` the DICOM
inputs converted before a run; ``crash`` internal errors and Ctrl-C.
"""

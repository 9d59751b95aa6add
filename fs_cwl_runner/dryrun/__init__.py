"""``fs-cwl-run run --dry-run``: everything a run does before its first stage, nothing after.

:mod:`.stagejobs` turns a subject into each stage's CWL job, :mod:`.commands` has cwltool
build the stage's command line from the CWL tool, :mod:`.dontrun` has the installed
FreeSurfer's ``recon-all -dontrun`` list the steps and commands of it (license-free, in a
scratch folder), :mod:`.resources` reads the tools' ResourceRequirement hints,
:mod:`.inputs` says what would be staged, :mod:`.plan` puts it together, :mod:`.render`
prints it and :mod:`.entry` is what ``cmd_run`` calls.
"""

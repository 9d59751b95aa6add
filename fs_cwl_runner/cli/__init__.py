"""The ``fs-cwl-run`` command line: flags to settings, errors to exit codes."""

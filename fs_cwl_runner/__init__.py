"""fs-cwl: FreeSurfer recon-all at cohort scale, through portable CWL workflows."""

__version__ = "0.1.0"

"""The local backend: the cohort on this machine (Toil single machine or cwltool)."""

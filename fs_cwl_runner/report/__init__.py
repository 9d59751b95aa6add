"""The HTML report of a run: progress, stage timeline and group QC."""

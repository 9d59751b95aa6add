"""The HTML report of a run: progress, stage timeline, group QC and segmentation snapshots.

:mod:`.page` writes the page with its header and subject table, :mod:`.timeline` draws the
stages, :mod:`.qc` the group QC section, :mod:`.snapshots` each finished subject's aseg
outlines on its T1 (in the colours :mod:`.lut` reads from FreeSurfer), which
:mod:`.snapshot_cache` keeps for the next report; :mod:`.axis` and :mod:`.times` serve
them all.
"""

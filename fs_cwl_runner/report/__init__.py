"""The HTML report of a run: progress, stage timeline and group QC.

:mod:`.page` writes the page with its header and subject table, :mod:`.timeline` draws the
stages, :mod:`.qc` the group QC section; :mod:`.axis` and :mod:`.times` serve them all.
"""

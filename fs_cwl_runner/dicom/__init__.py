"""DICOM out: a finished subject's aseg as DICOM SEG and TID 1500 SR, on a reference series.

:mod:`.export` is the door (``export_subject``; the ``dicom`` command and the CWL tool
``cwl/tools/aseg-to-dicom.cwl`` call it). It reads the reference (:mod:`.reference`, or a
series :mod:`.series` derives from the subject's input geometry), resamples aseg onto it
(:mod:`.resample`), and writes the SEG (:mod:`.seg`, codes and colours from
:mod:`.labels`) and the SR (:mod:`.sr`, volumes from :mod:`.aseg_stats`). Every problem
is a :class:`~.errors.DicomExportError` whose message names the file.
"""

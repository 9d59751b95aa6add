"""DICOM in and out: input series converted to NIfTI; aseg as DICOM SEG and TID 1500 SR.

In, before a run (the run command calls :mod:`.inputs`):

* :mod:`.folder`    a folder's DICOM files, headers only, grouped into series
* :mod:`.checks`    one series makes one volume: same grid, even slice positions
* :mod:`.convert`   a checked series to NIfTI and sidecar by dcm2niix, reused by a rerun
* :mod:`.sidecar`   identifying keys dropped from dcm2niix's sidecar
* :mod:`.inputs`    a cohort's DICOM inputs converted, the cohort naming the NIfTI

Out, after a subject finishes: :mod:`.export` is the door (``export_subject``; the
``dicom`` command, the CWL tool ``cwl/tools/aseg-to-dicom.cwl`` and
:mod:`.beside_series` call it). It reads the reference (:mod:`.reference`, or a series
:mod:`.series` derives from the subject's input geometry), resamples aseg onto it
(:mod:`.resample`), and writes the SEG (:mod:`.seg`, codes and colours from
:mod:`.labels`) and the SR (:mod:`.sr`, volumes from :mod:`.aseg_stats`). Every problem
is a :class:`~.errors.DicomExportError` whose message names the file.
"""

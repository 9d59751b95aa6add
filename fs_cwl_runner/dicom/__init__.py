"""DICOM in and out: input series converted to NIfTI, reference series, aseg as DICOM SEG
and TID 1500 SR.

* :mod:`.folder`    a folder's DICOM files, headers only, grouped into series
* :mod:`.checks`    one series makes one volume: same grid, even slice positions
* :mod:`.convert`   a checked series to NIfTI and sidecar by dcm2niix, reused by a rerun
* :mod:`.sidecar`   identifying keys dropped from dcm2niix's sidecar
* :mod:`.inputs`    a cohort's DICOM inputs converted, the cohort naming the NIfTI
* :mod:`.series`    a NIfTI or MGH image written as an MR Image Storage series
"""

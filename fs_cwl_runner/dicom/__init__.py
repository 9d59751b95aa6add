"""DICOM in and out: reference series, aseg as DICOM SEG and TID 1500 SR.

* :mod:`.series`    a NIfTI or MGH image written as an MR Image Storage series
"""

"""The one error of the DICOM export: its message says what is wrong and how to fix it."""

from __future__ import annotations


class DicomExportError(Exception):
    """The export cannot be made from these files (missing, unreadable, inconsistent)."""

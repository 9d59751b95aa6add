"""Strip what could identify a patient from dcm2niix's JSON sidecar before it is kept.

dcm2niix's ``-ba y`` already leaves out names, ids and dates; this is the second line: any
key naming the patient (but PatientPosition, the scan's geometry), an accession number, an
institution, a person, a device serial number, a date, a UID, free-text comments or the
exam's descriptions goes.
"""

from __future__ import annotations

from typing import Any

#: Keys holding any of these are dropped.
IDENTIFYING_PARTS = (
    "Patient",
    "Accession",
    "Institution",
    "Physician",
    "Operator",
    "Performing",
    "Station",
    "SerialNumber",
    "Address",
    "Date",
    "InstanceUID",
    "StudyID",
    "Comments",
    # Free text a site types per exam (e.g. a referral note), unlike the sequence's names
    # (SeriesDescription, ProtocolName), which are kept: BIDS tools read them.
    "ProcedureStep",
    "StudyDescription",
)
#: Kept although they hold one of the parts: how the patient lay, not who they are.
KEPT_KEYS = ("PatientPosition",)


def is_identifying(key: str) -> bool:
    """Whether the sidecar key ``key`` could hold something that identifies the patient."""
    return key not in KEPT_KEYS and any(part.lower() in key.lower() for part in IDENTIFYING_PARTS)


def scrubbed_sidecar(sidecar: dict[str, Any]) -> dict[str, Any]:
    """``sidecar`` without its identifying keys."""
    return {key: value for key, value in sidecar.items() if not is_identifying(key)}

"""Upload the sidecars of a cohort's converted DICOM inputs into its s3:// results.

Runs on the laptop, before anything is submitted. With an s3:// output the DICOM series are
converted on this machine (:mod:`fs_cwl_runner.dicom.inputs`) and the NIfTI is staged as an
input; its scrubbed JSON sidecar is uploaded here to
``<output>/dicom-inputs/<subject>/<stem>.json``, where a local output holds it. The original
series is never uploaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from fs_cwl_runner.aws.errors import aws_error
from fs_cwl_runner.aws.record import AwsUsageError
from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.dicom.inputs import dicom_inputs_folder, stem_of
from fs_cwl_runner.layout import DICOM_INPUTS_NAME
from fs_cwl_runner.s3uri import S3Uri, is_s3_uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def upload_sidecars(cohort: CohortSpec, dest: S3Uri, client: S3Client) -> list[S3Uri]:
    """Each converted DICOM input's sidecar uploaded under ``dest``; what was uploaded."""
    if not is_s3_uri(cohort.output):
        return []  # a local output holds the sidecars already
    folder = dicom_inputs_folder(cohort)
    uploaded = []
    for item in cohort.dicom_inputs:
        name = f"{stem_of(item.field)}.json"
        source = folder / item.subject_id / name
        target = dest.join(DICOM_INPUTS_NAME, item.subject_id, name)
        try:
            client.upload_file(str(source), target.bucket, target.key)
        except (ClientError, BotoCoreError, OSError) as err:
            failure = aws_error(f"uploading the DICOM sidecar {source} to {target}", err)
            raise AwsUsageError(f"{failure} (nothing was submitted)") from err
        uploaded.append(target)
    return uploaded

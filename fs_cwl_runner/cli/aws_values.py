"""The AWS backend's settings checked on this machine only: no boto3, no Toil, no AWS call.

``validate --backend aws`` uses it to report what ``run --backend aws`` would refuse, and
``aws setup`` / ``aws teardown`` check their bucket and region here before connecting.
"""

from __future__ import annotations

from fs_cwl_runner.aws.toil_run import (
    REGION_PATTERN,
    check_role_arn,
    checked_values,
    missing_settings_text,
    parse_bucket,
    parse_retries,
)
from fs_cwl_runner.settings import SettingsError, SettingValues

#: What ``--detach`` needs besides the settings of every AWS run.
LEADER_SETTINGS = ("leader_queue", "leader_role_arn")
#: Stands in for the default image, whose name needs Toil's version (imported on a run).
CHECKED_IMAGE = "default"


def check_aws_values(values: SettingValues) -> None:
    """SettingsError for a missing or malformed AWS setting, as ``run --backend aws`` checks."""
    # The default image's name needs Toil's version: a stand-in keeps Toil unimported.
    checked = checked_values(values, lambda: CHECKED_IMAGE)
    parse_bucket(checked["bucket"])
    parse_retries(values.get("retries"))


def check_leader_values(values: SettingValues) -> None:
    """The settings ``--detach`` needs, as ``run --detach`` checks them."""
    missing = [name for name in LEADER_SETTINGS if values.get(name) is None]
    if missing:
        raise SettingsError(missing_settings_text(missing))
    check_role_arn("leader_role_arn", str(values.get("leader_role_arn")))


def check_setup_values(region: str | None, bucket: str | None) -> None:
    """The region's form and the bucket's key segments, as ``run --backend aws`` checks them.

    The bucket name itself is checked by setup's own parser (it must be one S3 creates).
    """
    if region and not REGION_PATTERN.match(region):
        raise SettingsError(
            f"--region / FS_CWL_REGION: {region!r} is not an AWS region name such as us-east-1"
        )
    if bucket:
        parse_bucket(bucket)

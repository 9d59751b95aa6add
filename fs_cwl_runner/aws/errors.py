"""Turn AWS client errors into :class:`AwsSetupError` messages: what failed and how to fix it.

:data:`OPERATION_PERMISSIONS` maps every AWS operation that ``aws setup`` and ``aws teardown``
call to the IAM actions it needs, so that an access-denied error names the missing action.
The operator policy (``policies/operator.json``) grants exactly these actions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

# Operation name (as boto3 reports it) -> IAM actions it needs, the main one first. Creating a
# resource with tags also needs the service's tagging action.
OPERATION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "GetCallerIdentity": ("sts:GetCallerIdentity",),
    # S3: several operations are authorised by an action of another name.
    "HeadBucket": ("s3:ListBucket",),
    "ListBuckets": ("s3:ListAllMyBuckets",),
    "CreateBucket": ("s3:CreateBucket",),
    "DeleteBucket": ("s3:DeleteBucket",),
    "GetBucketTagging": ("s3:GetBucketTagging",),
    "PutBucketTagging": ("s3:PutBucketTagging",),
    "GetPublicAccessBlock": ("s3:GetBucketPublicAccessBlock",),
    "PutPublicAccessBlock": ("s3:PutBucketPublicAccessBlock",),
    "GetBucketEncryption": ("s3:GetEncryptionConfiguration",),
    "PutBucketEncryption": ("s3:PutEncryptionConfiguration",),
    "ListObjectVersions": ("s3:ListBucketVersions",),
    "DeleteObjects": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
    "ListMultipartUploads": ("s3:ListBucketMultipartUploads",),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload",),
    # IAM
    "GetRole": ("iam:GetRole",),
    "CreateRole": ("iam:CreateRole", "iam:TagRole"),
    "DeleteRole": ("iam:DeleteRole",),
    "ListAttachedRolePolicies": ("iam:ListAttachedRolePolicies",),
    "AttachRolePolicy": ("iam:AttachRolePolicy",),
    "DetachRolePolicy": ("iam:DetachRolePolicy",),
    "ListRolePolicies": ("iam:ListRolePolicies",),
    "GetRolePolicy": ("iam:GetRolePolicy",),
    "PutRolePolicy": ("iam:PutRolePolicy",),
    "DeleteRolePolicy": ("iam:DeleteRolePolicy",),
    "GetInstanceProfile": ("iam:GetInstanceProfile",),
    "CreateInstanceProfile": ("iam:CreateInstanceProfile", "iam:TagInstanceProfile"),
    "DeleteInstanceProfile": ("iam:DeleteInstanceProfile",),
    "AddRoleToInstanceProfile": ("iam:AddRoleToInstanceProfile", "iam:PassRole"),
    "RemoveRoleFromInstanceProfile": ("iam:RemoveRoleFromInstanceProfile",),
    "ListInstanceProfilesForRole": ("iam:ListInstanceProfilesForRole",),
    # EC2
    "DescribeVpcs": ("ec2:DescribeVpcs",),
    "DescribeSubnets": ("ec2:DescribeSubnets",),
    "DescribeSecurityGroups": ("ec2:DescribeSecurityGroups",),
    "CreateSecurityGroup": ("ec2:CreateSecurityGroup", "ec2:CreateTags"),
    "DeleteSecurityGroup": ("ec2:DeleteSecurityGroup",),
    "DescribeLaunchTemplates": ("ec2:DescribeLaunchTemplates",),
    "DescribeLaunchTemplateVersions": ("ec2:DescribeLaunchTemplateVersions",),
    "CreateLaunchTemplate": ("ec2:CreateLaunchTemplate", "ec2:CreateTags"),
    "DeleteLaunchTemplate": ("ec2:DeleteLaunchTemplate",),
    # Batch: creating a compute environment passes the service and instance roles.
    "DescribeComputeEnvironments": ("batch:DescribeComputeEnvironments",),
    "CreateComputeEnvironment": ("batch:CreateComputeEnvironment", "batch:TagResource",
                                 "iam:PassRole"),
    "UpdateComputeEnvironment": ("batch:UpdateComputeEnvironment",),
    "DeleteComputeEnvironment": ("batch:DeleteComputeEnvironment",),
    "DescribeJobQueues": ("batch:DescribeJobQueues",),
    "CreateJobQueue": ("batch:CreateJobQueue", "batch:TagResource"),
    "UpdateJobQueue": ("batch:UpdateJobQueue",),
    "DeleteJobQueue": ("batch:DeleteJobQueue",),
}

DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
    "UnauthorizedAccess", "Forbidden", "403",
})
CREDENTIAL_CODES = frozenset({
    "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "SignatureDoesNotMatch",
    "InvalidAccessKeyId", "UnrecognizedClientException", "RequestExpired",
})
CREDENTIALS_HINT = ("configure credentials through the standard AWS chain: AWS_PROFILE, "
                    "'aws configure' or 'aws sso login', or AWS_ACCESS_KEY_ID/"
                    "AWS_SECRET_ACCESS_KEY")
CODE_HINTS = {
    "BucketAlreadyExists": "the bucket name belongs to another AWS account: choose another "
                           "name with --bucket / FS_CWL_BUCKET",
    "LimitExceeded": "an AWS quota is reached: delete unused resources or ask AWS to raise it",
    "LimitExceededException": "an AWS quota is reached: delete unused resources or ask AWS to "
                              "raise it",
    "DependencyViolation": "another resource still uses it: wait a few minutes and run the "
                           "command again",
}


class AwsSetupError(Exception):
    """An AWS step of setup or teardown failed; the message says what failed and how to fix it."""


def is_denied(err: ClientError) -> bool:
    code = err.response.get("Error", {}).get("Code", "")
    message = err.response.get("Error", {}).get("Message", "")
    return code in DENIED_CODES or "not authorized to perform" in message


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", "Unknown"))


def describe_client_error(what: str, err: ClientError) -> str:
    """One message: what failed, AWS's code and message, and the fix."""
    code = error_code(err)
    message = err.response.get("Error", {}).get("Message", "") or "(no message)"
    text = f"{what} failed: {code}: {message}"
    if is_denied(err):
        actions = OPERATION_PERMISSIONS.get(err.operation_name, ())
        needed = (f"{actions[0]}" + (f" (with {', '.join(actions[1:])})" if actions[1:] else "")
                  if actions else f"the permission for {err.operation_name}")
        return (f"{text}\nmissing permission: {needed}; ask your AWS administrator to grant it "
                "to the identity running fs-cwl-run (docs/aws-iam.md lists the operator policy)")
    if code in CREDENTIAL_CODES:
        return f"{text}\nyour AWS credentials are invalid or expired: {CREDENTIALS_HINT}"
    if code in CODE_HINTS:
        return f"{text}\n{CODE_HINTS[code]}"
    return text


@contextmanager
def aws_errors(what: str) -> Iterator[None]:
    """Re-raise AWS and botocore errors inside the block as :class:`AwsSetupError`."""
    try:
        yield
    except ClientError as err:
        raise AwsSetupError(describe_client_error(what, err)) from err
    except NoCredentialsError as err:
        raise AwsSetupError(f"{what} failed: no AWS credentials found: {CREDENTIALS_HINT}") from err
    except NoRegionError as err:
        raise AwsSetupError(f"{what} failed: no AWS region: pass --region or set "
                            "FS_CWL_REGION") from err
    except BotoCoreError as err:
        raise AwsSetupError(f"{what} failed: {err}") from err

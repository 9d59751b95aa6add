"""AWS errors as :class:`AwsError`: what failed, AWS's code and message, and how to fix it.

Runs wherever fs-cwl-run talks to AWS: on the laptop and in the detached leader job.

Every error of AWS, botocore or boto3's transfers is worded here (:func:`aws_error`, and the
context manager :func:`aws_errors`): the step that failed, AWS's error code and message, and a
hint. A permission error names the missing IAM action: :data:`OPERATION_PERMISSIONS` maps
every AWS operation that fs-cwl-run calls to the IAM actions it needs. The operator policy
(``aws/setup/documents/operator.json``) grants those of ``aws setup`` and ``aws teardown``;
the leader policy (``leader-role.json``, with ``job-role.json``) those on Toil's job stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from boto3.exceptions import Boto3Error
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

#: What AWS calls raise: AWS's answers, botocore's own errors, boto3's transfer errors.
BOTO_ERRORS = (ClientError, BotoCoreError, Boto3Error)

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
    "CreateComputeEnvironment": (
        "batch:CreateComputeEnvironment",
        "batch:TagResource",
        "iam:PassRole",
    ),
    "UpdateComputeEnvironment": ("batch:UpdateComputeEnvironment",),
    "DeleteComputeEnvironment": ("batch:DeleteComputeEnvironment",),
    "DescribeJobQueues": ("batch:DescribeJobQueues",),
    "CreateJobQueue": ("batch:CreateJobQueue", "batch:TagResource"),
    "UpdateJobQueue": ("batch:UpdateJobQueue",),
    "DeleteJobQueue": ("batch:DeleteJobQueue",),
    # The runs: staging, results, fetch and --detach (a multipart upload is PutObject's).
    "HeadObject": ("s3:GetObject",),
    "GetObject": ("s3:GetObject",),
    "ListObjectsV2": ("s3:ListBucket",),
    "PutObject": ("s3:PutObject",),
    "CreateMultipartUpload": ("s3:PutObject",),
    "UploadPart": ("s3:PutObject",),
    "CompleteMultipartUpload": ("s3:PutObject",),
    "DeleteObject": ("s3:DeleteObject",),
    # The job store: encrypting Toil's license copy in place, and ``aws clean`` (whose
    # listing and deleting are the S3 operations of teardown above).
    "CopyObject": ("s3:PutObject", "s3:GetObject"),
    "RegisterJobDefinition": ("batch:RegisterJobDefinition",),
    "SubmitJob": ("batch:SubmitJob", "iam:PassRole"),
    "DescribeJobs": ("batch:DescribeJobs",),
    "TerminateJob": ("batch:TerminateJob",),
    "DeregisterJobDefinition": ("batch:DeregisterJobDefinition",),
}

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "UnauthorizedAccess",
        "Forbidden",
        "403",
    }
)
CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "UnrecognizedClientException",
        "RequestExpired",
    }
)
CREDENTIALS_HINT = (
    "configure credentials through the standard AWS chain: AWS_PROFILE, "
    "'aws configure' or 'aws sso login', or AWS_ACCESS_KEY_ID/"
    "AWS_SECRET_ACCESS_KEY"
)
QUOTA_HINT = "an AWS quota is reached: delete unused resources or ask AWS to raise it"
CODE_HINTS = {
    "BucketAlreadyExists": "the bucket name belongs to another AWS account: choose another "
    "name with --bucket / FS_CWL_BUCKET",
    "NoSuchBucket": "create the bucket ('fs-cwl-run aws setup') or fix --bucket / FS_CWL_BUCKET",
    "LimitExceeded": QUOTA_HINT,
    "LimitExceededException": QUOTA_HINT,
    "DependencyViolation": "another resource still uses it: wait a few minutes and run the "
    "command again",
}
UNREACHABLE_HINT = (
    "check the network, and AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL if they are set"
)
REGION_HINT = "pass --region or set FS_CWL_REGION"


class AwsError(Exception):
    """An AWS step failed; the message says what failed and how to fix it.

    Made from an error of AWS or botocore (:func:`aws_error`), it also carries AWS's error
    ``code`` ("" when AWS did not answer), ``detail`` (AWS's message, or botocore's),
    the HTTP ``status``, the ``permission`` (IAM actions, the main one first) a permission
    error lacks, and the ``hint``. Steps of setup and teardown that cannot go on for other
    reasons raise it with a message only.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        detail: str = "",
        status: int | None = None,
        permission: tuple[str, ...] = (),
        hint: str = "",
        unreachable: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.detail = detail
        self.status = status
        self.permission = permission
        self.hint = hint
        self.unreachable = unreachable  # no answer from AWS: connection lost, timed out

    @property
    def reason(self) -> str:
        """``Code: message``, e.g. ``NoSuchBucket: The specified bucket does not exist``."""
        return f"{self.code}: {self.detail}" if self.code else self.detail


def _boto_cause(err: BaseException) -> BaseException:
    """The AWS answer or botocore error behind wrappers such as S3UploadFailedError."""
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ClientError | BotoCoreError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return err


def _permission_hint(operation: str) -> tuple[tuple[str, ...], str]:
    actions = OPERATION_PERMISSIONS.get(operation, ())
    needed = (
        f"{actions[0]}" + (f" (with {', '.join(actions[1:])})" if actions[1:] else "")
        if actions
        else f"the permission for {operation}"
    )
    return actions, (
        f"missing permission: {needed}; ask your AWS administrator to grant it to "
        "the identity running fs-cwl-run (docs/aws-iam.md lists the operator "
        "policy)"
    )


def _from_answer(what: str, err: ClientError, hint: str) -> AwsError:
    """An error AWS answered with: its code, message and status, and the fix."""
    error = err.response.get("Error", {})
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = str(error.get("Code") or "Unknown")
    detail = str(error.get("Message") or (f"HTTP {status}" if status else "(no message)"))
    permission: tuple[str, ...] = ()
    if code in DENIED_CODES or "not authorized to perform" in detail:
        permission, hint = _permission_hint(err.operation_name)
    elif code in CREDENTIAL_CODES:
        hint = f"your AWS credentials are invalid or expired: {CREDENTIALS_HINT}"
    else:
        hint = CODE_HINTS.get(code, hint)
    return _failure(what, detail, hint, code=code, status=status, permission=permission)


def _failure(
    what: str,
    detail: str,
    hint: str,
    *,
    code: str = "",
    status: int | None = None,
    permission: tuple[str, ...] = (),
    unreachable: bool = False,
) -> AwsError:
    """The AwsError ``what failed: Code: detail``, the hint on a line of its own."""
    reason = f"{code}: {detail}" if code else detail
    return AwsError(
        f"{what} failed: {reason}" + (f"\n{hint}" if hint else ""),
        code=code,
        detail=detail,
        status=status,
        permission=permission,
        hint=hint,
        unreachable=unreachable,
    )


def aws_error(what: str, err: BaseException, hint: str = "") -> AwsError:
    """``err`` as an AwsError saying that ``what`` failed, why, and how to fix it.

    ``err`` is an error of AWS, botocore or boto3 (others are described by their type and
    text); ``hint`` is the fix to give when the error itself suggests none.
    """
    cause = _boto_cause(err)
    if isinstance(cause, ClientError):
        return _from_answer(what, cause, hint)
    if isinstance(cause, NoCredentialsError):
        detail, hint = "no AWS credentials found", CREDENTIALS_HINT
    elif isinstance(cause, NoRegionError):
        detail, hint = "no AWS region", REGION_HINT
    else:
        detail = f"{type(cause).__name__}: {cause}"
    unreachable = isinstance(cause, BotoConnectionError | HTTPClientError)
    if unreachable:
        hint = UNREACHABLE_HINT
    return _failure(what, detail, hint, unreachable=unreachable)


@contextmanager
def aws_errors(what: str, hint: str = "") -> Iterator[None]:
    """Re-raise errors of AWS, botocore and boto3 inside the block as :class:`AwsError`."""
    try:
        yield
    except BOTO_ERRORS as err:
        raise aws_error(what, err, hint) from err

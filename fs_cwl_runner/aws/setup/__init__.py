"""``fs-cwl-run aws setup`` and ``teardown``: the bucket, roles and Batch resources.

All of it runs on the laptop, with the operator's credentials (docs/aws-iam.md).
"""

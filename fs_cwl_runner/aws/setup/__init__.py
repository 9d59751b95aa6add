"""``fs-cwl-run aws setup`` and ``teardown``: the bucket, roles and Batch resources."""

"""Test support for the local AWS: Batch jobs run on this machine, S3 compatibility hooks."""

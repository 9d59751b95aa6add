"""The AWS backend: the cohort on AWS Batch through Toil, with S3 for inputs and results.

Its code runs on the laptop and, with ``--detach``, in the leader job inside Batch
(:mod:`.leader_job`); each module's docstring says which. The stages' Batch jobs run Toil
workers and the CWL tools of the image, none of this package's AWS code.
"""

"""The AWS backend: the cohort on AWS Batch through Toil, with S3 for inputs and results."""

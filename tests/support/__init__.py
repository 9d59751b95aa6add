"""What the tests and benchmarks share, imported as ``support.<module>`` (tests/ on sys.path).

The repository's paths, runs of the CWL files and of fs-cwl-run, the local AWS (SeaweedFS
S3, moto Batch and IAM, Batch jobs run on this machine), the container image, the
stage-coverage oracle, and the recon-all test double with what runs it.
"""

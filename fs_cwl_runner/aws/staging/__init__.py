"""Stage a cohort's input images in S3 for the AWS backend: upload, verify, skip unchanged.

Runs on the laptop, before Toil starts (a detached leader gets its inputs staged already).

Layout: a local file ``F`` of subject ``S`` goes to ``s3://bucket/prefix/inputs/S/<name of F>``;
``s3://`` inputs are used where they are, after a HeadObject shows they exist
(:mod:`.plan`, :mod:`.existing`).

Identity of a staged object: the SHA-256 of its content, stored in its metadata
(``x-amz-meta-sha256``) and checked after every upload with HeadObject (metadata and size)
(:mod:`.objects`). Files below the multipart threshold (64 MiB by default) go up in one
PutObject, larger ones as a managed multipart transfer; a thread pool stages many files at
once over one client (:mod:`.upload`, :mod:`.parallel`).

The no-change path costs one listing and one small GET, not a HEAD or a re-read per file:

* a local hash cache (``cache_path``, JSON ``{absolute path: [size, mtime_ns, sha256]}``)
  spares re-reading files whose size and modification time are unchanged (without it,
  every file is hashed again) (:mod:`.hash_cache`);
* ``s3://bucket/prefix/staged-inputs.json``, the staging manifest, records
  ``{key: size, sha256, ETag}`` of every object staging verified (:mod:`.manifest`). A file
  is skipped when ListObjectsV2 of ``prefix/inputs/`` shows its key with the recorded size
  and ETag (so no one replaced the object since) and the recorded SHA-256 equals the local
  one. A listed object of the right size that the manifest does not vouch for costs one
  HeadObject (:mod:`.existing`). The manifest is only a hint: losing it costs HEADs, never a
  wrong skip.

Retries: the client retries each request in botocore's standard mode
(:func:`fs_cwl_runner.aws.clients.s3_client`), and each local file is staged again as a whole
with exponential backoff on connection errors, 5xx and throttling
(:mod:`fs_cwl_runner.aws.retries`), so staging survives an S3 endpoint that goes away for a
while and comes back.

:func:`.inputs.stage_inputs` does it all. Progress goes to a callback ``(bytes done, bytes
total)`` (:mod:`.progress`); nothing else prints. The FreeSurfer license goes up separately
(:func:`.license.upload_license`) with SSE-S3 (AES256). Errors: :mod:`.errors`.
"""

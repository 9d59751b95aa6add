"""The FreeSurfer build the double stands in for, and the host and user it reports."""

from __future__ import annotations

BUILD_STAMP = "freesurfer-linux-ubuntu22_x86_64-7.3.2-20220804-6354275"

HOST, USER = "recon-all-test-double", "fs-cwl"  # fixed, so stats files are reproducible

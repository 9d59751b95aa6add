#!/bin/sh
# Fail the image build when a FreeSurfer program cannot find a shared library, naming
# the programs and libraries, so that a missing Debian package shows at build time
# rather than hours into a recon-all run. Usage: check-libraries.sh FREESURFER_HOME
set -eu
home=$1
report=$(mktemp)
for program in "$home"/bin/* "$home"/mni/bin/*; do
    [ -f "$program" ] || continue
    # Only ELF executables have libraries to find; scripts are skipped.
    head -c 4 "$program" | grep -q 'ELF' || continue
    ldd "$program" 2>/dev/null | awk -v p="${program##*/}" '/not found/ {print p ": " $1}' \
        >> "$report" || true
done
if [ -s "$report" ]; then
    echo "check-libraries: FreeSurfer programs with missing libraries:" >&2
    sort "$report" >&2
    echo "check-libraries: add the Debian packages providing them with" \
         "--build-arg EXTRA_PACKAGES='...'" >&2
    rm -f "$report"
    exit 1
fi
rm -f "$report"
echo "check-libraries: every FreeSurfer program finds its libraries"

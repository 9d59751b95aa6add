#!/usr/bin/env bash
# `make example`: run the example cohort for real when a FreeSurfer license is found;
# without one, show its dry run (what would run, license-free), say how to get the free
# license, and exit 2, since the job itself did not run.
set -euo pipefail
cd "$(dirname "$0")/.."
runner="${VENV:-.venv/bin}/fs-cwl-run"
cohort=jobs/example/cohort.yml

if "$runner" validate "$cohort" >/dev/null 2>&1; then
  exec "$runner" "$cohort"
fi
# validate refused: no license (or a bad cohort, which the dry run reports, exit 2).
"$runner" run "$cohort" --dry-run
cat >&2 <<'TEXT'

That was a dry run: nothing was computed. FreeSurfer needs a license file to run for real;
it is free and personal: register at https://surfer.nmr.mgh.harvard.edu/registration.html,
save the license.txt it sends you outside any shared folder (never commit it), and run
`FS_LICENSE=/path/to/license.txt make example` (or `fs-cwl-run jobs/example/cohort.yml
--fs-license /path/to/license.txt`), which runs the three subjects above stage by stage.
TEXT
exit 2

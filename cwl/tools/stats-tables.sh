# shellcheck shell=bash
# Builds the group tables in the CWL tool's output folder (included by stats-tables.cwl).
# usage: bash stats-tables.sh --subject ID STATS_FILE... [--subject ID STATS_FILE...]
#
# No dollar-brace or dollar-paren here: CWL would read them as expressions.
set -eu
# The layout the table scripts expect: $SUBJECTS_DIR/<subject>/stats/<file>.
export SUBJECTS_DIR=$PWD/subjects
ids=""
subject=""
while [ "$#" -gt 0 ]; do
  if [ "$1" = "--subject" ]; then
    subject=$2
    ids="$ids $2"
    mkdir -p "subjects/$subject/stats"
    shift 2
  else
    ln -s "$1" "subjects/$subject/stats/"
    shift
  fi
done
# Subject ids are safe folder names, so word splitting is safe here (and a bash array
# would need the dollar-brace CWL reads as an expression).
# shellcheck disable=SC2086
set -- $ids
scripts=$FREESURFER_HOME/python/scripts
mkdir -p group
fspython "$scripts/asegstats2table" --subjects "$@" --meas volume \
  --tablefile group/aseg.volume.tsv
fspython "$scripts/asegstats2table" --subjects "$@" --meas volume \
  --stats wmparc.stats --tablefile group/wmparc.volume.tsv
for hemi in lh rh; do
  for parc in aparc aparc.a2009s aparc.DKTatlas; do
    for meas in thickness area volume; do
      fspython "$scripts/aparcstats2table" --subjects "$@" --hemi "$hemi" \
        --parc "$parc" --meas "$meas" --tablefile "group/$hemi.$parc.$meas.tsv"
    done
  done
done
fspython qc_table.py "$SUBJECTS_DIR" "$@" > group/qc.tsv

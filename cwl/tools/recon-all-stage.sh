# Runs one recon-all stage in the CWL tool's output folder (included by the stage tools).
# usage: bash recon-all-stage.sh [--add-files-from OTHER_SUBJECT_DIR SUBJECT_ID] RECON_ALL_ARGS...
# No dollar-brace or dollar-paren here: CWL would read them as expressions.
set -eu
if [ "$#" -ge 3 ] && [ "$1" = "--add-files-from" ]; then
  # The hemisphere stages share everything but their own hemisphere's files: copy every
  # file of the other copy that this one lacks.
  other=$2
  subject=$PWD/$3
  shift 3
  (cd "$other" && find . ! -type d) | while IFS= read -r f; do
    if [ ! -e "$subject/$f" ] && [ ! -L "$subject/$f" ]; then
      (cd "$other" && cp -P --parents "$f" "$subject/")
    fi
  done
  chmod -R u+w "$subject"
fi
status=0
# recon-all writes gigabytes of trace output when DEBUG is set at all.
env -u DEBUG recon-all "$@" || status=$?
# Some CWL runners (Toil 9.6) mix up empty folders and symbolic links passed from one step
# to the next (and object stores keep neither), so every empty folder of the subject gets
# a hidden marker file and every link (surf/lh.pial -> lh.pial.T1 ...) becomes a copy of
# its target; a link to nothing carries no data and is dropped.
find . -mindepth 2 -type l -exec sh -c '
  if [ -e "$0" ]; then cp -RL "$0" "$0.copy" && rm "$0" && mv "$0.copy" "$0"; else rm "$0"; fi
' {} \;
find . -mindepth 2 -type d -empty -exec touch {}/.keep \;
exit "$status"

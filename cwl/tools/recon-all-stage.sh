# shellcheck shell=bash disable=SC2006
# Runs one recon-all stage in the CWL tool's output folder (included by the stage tools).
# usage: bash recon-all-stage.sh [--subject ID --layer DIR... [--complete]] [--beside DIR...] --
#        RECON_ALL_ARGS...
#
# Without --layer: recon-all runs in a new subject folder (autorecon1, recon-all -all).
# With --layer: the subject folder ID is first made of symbolic links to the files of the
# earlier stages' layers (read-only inputs; a later layer's file replaces an earlier one's),
# then recon-all runs on it, then the folder is reduced to this stage's layer: the files
# recon-all created or changed. With --complete it becomes the whole subject folder
# instead: every remaining link is replaced by its file (a hard link where the file system
# allows, else a copy).
#
# With --beside (the longitudinal stream): each DIR, a finished subject folder that
# recon-all reads but must not change (a timepoint's cross-sectional folder, the template),
# appears next to the subject as a folder of links named like DIR, and is gone afterwards.
#
# recon-all opens some existing files for writing (logs, touch files, measures it
# recomputes), which through a link would change the earlier layer: those are real copies
# before recon-all runs (cp -p keeps the modification times recon-all compares), and after
# it the script fails, naming the file, if any linked file changed all the same.
#
# No dollar-brace or dollar-paren here: CWL would read them as expressions (so command
# substitution is in backticks, which the shellcheck directive on the first line allows).
set -eu
set -o pipefail
tab=`printf '\t'`
subject=
complete=0
state=`mktemp -d`
trap 'rm -rf "$state"' EXIT
: > "$state/layers"
: > "$state/beside"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --subject) subject=$2; shift 2 ;;
    --layer)
      case "$2" in /*) printf '%s\n' "$2" ;; *) printf '%s\n' "$PWD/$2" ;; esac >> "$state/layers"
      shift 2 ;;
    --beside)
      case "$2" in /*) printf '%s\n' "$2" ;; *) printf '%s\n' "$PWD/$2" ;; esac >> "$state/beside"
      shift 2 ;;
    --complete) complete=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ -s "$state/layers" ] && [ -z "$subject" ]; then
  echo "recon-all-stage.sh: --layer needs --subject" >&2
  exit 2
fi

# copy_in LINK: replace LINK by a copy of what it points to, file or folder, with its
# times (never writing through the link).
copy_in() {
  cp -pRL "$1" "$1.fs-cwl-copy" && rm "$1" && mv "$1.fs-cwl-copy" "$1"
}

: > "$state/ours"
: > "$state/copies"
if [ -s "$state/layers" ]; then
  mkdir -p "$subject"
  while IFS= read -r layer; do
    (cd "$layer" && find . -mindepth 1 -type d -printf '%P\n') | while IFS= read -r d; do
      mkdir -p "$subject/$d"
    done
    (cd "$layer" && find . ! -type d ! -name .keep -printf '%P\n') | while IFS= read -r f; do
      rm -f "$subject/$f"
      ln -s "$layer/$f" "$subject/$f"
    done
  done < "$state/layers"
  # Files recon-all rewrites in place: every log and touch file (appended to, rewritten),
  # and the surface measures the block after surface placement recomputes when their
  # surface looks newer (always after -T2pial/-FLAIRpial, which re-links ?h.pial).
  (cd "$subject" && find scripts touch surf -type l \( -path 'scripts/*' -o -path 'touch/*' \
      -o -name '?h.curv' -o -name '?h.area' -o -name '?h.curv.pial' -o -name '?h.area.pial' \
      -o -name '?h.thickness' -o -name '?h.area.mid' -o -name '?h.volume' \) \
      -printf '%p\t%l\n' 2>/dev/null || true) > "$state/tocopy"
  while IFS=$tab read -r f target; do
    copy_in "$subject/$f"
    printf '%s\t%s\n' "$subject/$f" "$target" >> "$state/copies"
  done < "$state/tocopy"
  # The remaining links, with the time and size of the files they point to.
  (cd "$subject" && find . -type l -printf '%P\t%l\n') | while IFS=$tab read -r f target; do
    printf '%s\t%s\t%s\n' "$subject/$f" "$target" "`stat -L -c '%y %s' -- "$target"`"
  done > "$state/ours"
fi

# link_beside DIR: the folder ./<name of DIR>, made of links to DIR's files; each link is
# recorded with the time and size of its file, for the check after recon-all.
link_beside() {
  name=`basename -- "$1"`
  if [ -e "$name" ] || [ "$name" = "$subject" ]; then
    echo "recon-all-stage.sh: --beside $1: $name is already in the subjects folder" >&2
    exit 2
  fi
  (cd "$1" && find . -mindepth 1 -type d -printf '%P\n') | while IFS= read -r d; do
    mkdir -p "$name/$d"
  done
  (cd "$1" && find . ! -type d ! -name .keep -printf '%P\n') | while IFS= read -r f; do
    ln -s "$1/$f" "$name/$f"
    printf '%s\t%s\t%s\n' "$name/$f" "$1/$f" "`stat -L -c '%y %s' -- "$1/$f"`"
  done >> "$state/ours.beside"
  printf '%s\n' "$name" >> "$state/beside.names"
}
: > "$state/ours.beside"
: > "$state/beside.names"
while IFS= read -r dir; do
  link_beside "$dir"
done < "$state/beside"

status=0
# recon-all writes gigabytes of trace output when DEBUG is set at all.
env -u DEBUG recon-all "$@" || status=$?

# The safety net: no file of an earlier layer may have changed through a link.
changed=0
while IFS=$tab read -r f target stamp; do
  if [ "`stat -L -c '%y %s' -- "$target" 2>/dev/null || true`" != "$stamp" ]; then
    echo "recon-all-stage.sh: ERROR: recon-all changed $f in place, which is a link to" \
      "a file of an earlier stage ($target): that layer is no longer what its stage made." \
      "Copy $f into the subject folder before recon-all runs (see recon-all-stage.sh)." >&2
    changed=1
  fi
done < "$state/ours"
while IFS=$tab read -r f target stamp; do
  if [ "`stat -L -c '%y %s' -- "$target" 2>/dev/null || true`" != "$stamp" ]; then
    echo "recon-all-stage.sh: ERROR: recon-all changed $f, a file of the finished subject" \
      "folder $target that this stage only reads: that folder is no longer what its own" \
      "run made." >&2
    changed=1
  fi
done < "$state/ours.beside"
if [ "$changed" = 1 ]; then
  exit 3
fi
# The folders beside the subject were only read: they are no part of this stage's output.
while IFS= read -r name; do
  rm -rf -- "$name"
done < "$state/beside.names"

# materialize FILE: replace the link FILE by a hard link to its file where the file system
# allows (no bytes written; recon-all has finished, nothing writes to it any more), else by
# a copy.
materialize() {
  real=`readlink -f -- "$1"`
  if ln -- "$real" "$1.fs-cwl-copy" 2>/dev/null; then
    mv -f "$1.fs-cwl-copy" "$1"
  else
    rm -f "$1.fs-cwl-copy"
    copy_in "$1"
  fi
}

# is_ours FILE TARGET: FILE is still the link this script made.
is_ours() {
  grep -qxF -- "$1$tab$2" "$state/ours.links"
}
cut -f1,2 "$state/ours" > "$state/ours.links"

# Some CWL runners (Toil 9.6) mix up empty folders and symbolic links passed from one step
# to the next (and object stores keep neither), so every empty folder of the subject gets
# a hidden marker file and every link recon-all made (surf/lh.pial -> lh.pial.T1 ...)
# becomes a copy of its target (same time stamp); a link to nothing carries no data and
# is dropped.
find . -mindepth 2 -type l -printf '%P\t%l\n' | while IFS=$tab read -r f target; do
  if is_ours "$f" "$target"; then
    continue
  fi
  if [ -e "$f" ]; then
    copy_in "$f"
  else
    rm "$f"
  fi
done
find . -mindepth 2 -type d -empty -exec touch {}/.keep \;

# The links into the earlier layers: copies in the complete folder, else dropped, as are
# the copies made above that recon-all left as they were (same content and time).
while IFS=$tab read -r f target stamp; do
  if [ -L "$f" ] && [ "`readlink -- "$f"`" = "$target" ]; then
    if [ "$complete" = 1 ]; then
      materialize "$f"
    else
      rm "$f"
    fi
  elif [ ! -e "$f" ] && [ ! -L "$f" ] && [ "$complete" = 0 ]; then
    echo "recon-all-stage.sh: note: recon-all removed $f; the earlier stage's file stays" \
      "in the finished subject folder" >&2
  fi
done < "$state/ours"
if [ "$complete" = 0 ]; then
  while IFS=$tab read -r f target; do
    if [ -f "$f" ] && [ ! -L "$f" ] && cmp -s -- "$f" "$target" \
        && [ "`stat -c %y -- "$f"`" = "`stat -L -c %y -- "$target"`" ]; then
      rm "$f"
    fi
  done < "$state/copies"
  # Folders that held only links are no part of the layer.
  if [ -n "$subject" ]; then
    find "$subject" -mindepth 1 -depth -type d -empty -delete
  fi
fi
exit "$status"

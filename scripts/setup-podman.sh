#!/usr/bin/env bash
# Install podman (with runc) and mmdebstrap from Debian's packages when missing, and
# check that podman can run a container with the project's docker/containers.conf.
#
# Usage: scripts/setup-podman.sh [--check]
#   --check   install nothing; exit 0 if podman works, 1 (with the reason) if not.
# Everything else that uses podman (docker/build.sh, the image tests) exports
#   CONTAINERS_CONF=<repo>/docker/containers.conf
# so podman runs the same way everywhere. Safe to run again: installed packages are
# skipped.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF="$repo/docker/containers.conf"

log() { printf '[setup-podman] %s\n' "$*" >&2; }

packages=(podman runc mmdebstrap uidmap)

missing_packages() {
    local name
    for name in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'install ok installed' \
            || printf '%s\n' "$name"
    done
}

if [ "${1:-}" != "--check" ]; then
    mapfile -t missing < <(missing_packages)
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]}"
        sudo=()
        [ "$(id -u)" = 0 ] || sudo=(sudo)
        "${sudo[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

if ! command -v podman >/dev/null 2>&1; then
    log "podman is not installed (run scripts/setup-podman.sh without --check)"
    exit 1
fi
# `podman info` fails when storage, runtime or cgroups cannot be used.
if ! info=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}' 2>&1)
then
    log "podman cannot run here: $info"
    exit 1
fi
log "podman $(podman version --format '{{.Client.Version}}') ready (runtime, storage: $info)"

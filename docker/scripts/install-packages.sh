#!/bin/sh
# Install, inside the image build, the Debian packages listed in packages.txt (beside
# this script) plus any given as arguments. Packages already present are skipped, so a
# base that has them all (the offline base) needs no network.
set -eu
here=$(dirname "$0")
packages="$(grep -v '^#' "$here/packages.txt") $*"

missing=""
for package in $packages; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'
    then
        missing="$missing $package"
    fi
done

if [ -z "$missing" ]; then
    echo "install-packages: all present"
    exit 0
fi
echo "install-packages: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Word splitting of $missing is wanted: one argument per package.
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
apt-get clean
rm -rf /var/lib/apt/lists/*

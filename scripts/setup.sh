#!/bin/sh
# setup.sh - install the Debian packages peregrine needs to build, run and
# test, and only those that are missing (idempotent: a no-op once done).
# Called by `make test`, `make run` and .ci/run. Needs root to install.
set -eu

PKGS="gcc make clang llvm pkg-config zlib1g-dev libyaml-dev liburcu-dev \
libbpf-dev bpftool libelf-dev libcurl4-openssl-dev libmicrohttpd-dev \
libclang-rt-14-dev python3 openssl sysdig prometheus gnuplot-nox"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing Debian packages:$missing" >&2
	echo "setup: run as root, or: apt-get install --no-install-recommends$missing" >&2
	exit 1
fi
echo "setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: sysdig recommends a kernel-module build (dkms)
# that cannot succeed here and is not needed to read captures.
apt-get install -y -qq --no-install-recommends $missing >/dev/null

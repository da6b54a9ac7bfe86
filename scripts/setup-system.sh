#!/usr/bin/env bash
# Installs the system components golive's tests and demo use, with apt-get,
# when they are missing. Idempotent; a no-op when everything is there.
#
# Today the runbook layer needs nothing beyond Python. Later parts add their
# packages to NEEDED (postgresql, prometheus, chromium) and this script installs
# them; with CI=true a missing component makes the tests that need it fail.
set -euo pipefail

NEEDED=()   # Debian package names

missing=()
for pkg in "${NEEDED[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup-system: missing ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

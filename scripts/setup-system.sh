#!/usr/bin/env bash
# Installs the system components golive's tests and demo use, with apt-get,
# when they are missing. Idempotent; a no-op when everything is there.
#
#   postgresql  - the PostgreSQL store and the sql check kind's tests; the test
#                 fixtures run a private server (initdb + pg_ctl) on a free port
#   prometheus  - the metric check kind and rollout analysis; the fixtures run
#                 /usr/bin/prometheus on a free port with a generated config
#   chromium    - the dashboard's browser tests (tests/web/), driven by Playwright
#                 with executable_path=/usr/bin/chromium (Playwright's own browser
#                 download is not used)
#   fonts-dejavu-core - a font for Chromium to render text with, so the browser
#                 tests' screenshots (test-artifacts/) show text
#
# The packages' own system services are never started: the tests start private
# instances on 127.0.0.1 and free ports, and a system server on 5432/9090 would
# only confuse them. During the install a policy-rc.d that denies every service
# start (exit 101) is in place; any cluster or daemon that got started anyway is
# stopped afterwards. With CI=true a missing component makes the tests that need
# it fail (never skip).
set -euo pipefail

NEEDED=(postgresql prometheus chromium fonts-dejavu-core)   # Debian package names

missing=()
for pkg in "${NEEDED[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "setup-system: missing ${missing[*]}; run as root or install them with apt-get" >&2
    exit 1
fi

# Deny service starts during the install (Debian's policy-rc.d interface:
# invoke-rc.d and deb-systemd-invoke ask it; 101 = "action forbidden").
POLICY=/usr/sbin/policy-rc.d
BACKUP=""
restore_policy() {
    if [ -n "$BACKUP" ]; then
        mv -f "$BACKUP" "$POLICY"
    else
        rm -f "$POLICY"
    fi
}
if [ -e "$POLICY" ]; then
    BACKUP="$(mktemp /usr/sbin/policy-rc.d.golive.XXXXXX)"
    cp -p "$POLICY" "$BACKUP"
fi
trap restore_policy EXIT
printf '#!/bin/sh\n# golive setup-system: no service starts during the install\nexit 101\n' >"$POLICY"
chmod 755 "$POLICY"

export DEBIAN_FRONTEND=noninteractive
LOG="$(mktemp /tmp/golive-setup-system.XXXXXX.log)"
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"; } \
    >"$LOG" 2>&1; then
    cat "$LOG" >&2
    echo "setup-system: installing ${missing[*]} failed (log above, also in $LOG)" >&2
    exit 1
fi
rm -f "$LOG"

# Belt and braces: stop a system instance that started anyway (the tests use
# private instances only).
if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _port status _rest; do
        if [ "$status" = "online" ]; then
            pg_ctlcluster "$version" "$cluster" stop || true
        fi
    done
fi
if [ -x /etc/init.d/prometheus ] && /etc/init.d/prometheus status >/dev/null 2>&1; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
fi
echo "setup-system: installed ${missing[*]}"

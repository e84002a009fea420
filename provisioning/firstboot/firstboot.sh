#!/bin/bash
# Antrean first boot, step 2 of 2 (run by antrean-firstboot.service once the network is up; installed by
# firstrun.sh). Installs Antrean from the hub's wheelhouse into ROOT/releases/VERSION (a venv seeing
# Debian's Python packages), then lets `antrean update` make it current, start the node's unit and check
# it. Done once: the service disables itself. Retried by systemd while the hub cannot be reached.
# Log: /var/log/antrean-firstboot.log and the journal (journalctl -u antrean-firstboot).
#
# ANTREAN_SYSROOT (tests only) puts the root file system elsewhere.
set -euo pipefail

SYSROOT="${ANTREAN_SYSROOT:-}"
LOG="$SYSROOT/var/log/antrean-firstboot.log"
ENV_FILE="$SYSROOT${ANTREAN_PREFIX:-/etc/antrean}/firstboot.env"
mkdir -p "$(dirname "$LOG")"
log() { echo "antrean firstboot: $*" | tee -a "$LOG" >&2; }

# shellcheck source=/dev/null
. "$ENV_FILE"
: "${ROLE:?}" "${PREFIX:?}" "${ROOT:?}" "${VERSION:?}" "${WHEELHOUSE:?}" "${HUB:?}"
root="$SYSROOT$ROOT"
release="$root/releases/$VERSION"
unit="antrean-$ROLE.service"

if [ ! -x "$release/bin/antrean" ]; then
    log "installing antrean[$ROLE]==$VERSION from $WHEELHOUSE"
    rm -rf "$release"
    mkdir -p "$root/releases"
    if python3 -c 'import ensurepip' 2> /dev/null; then
        python3 -m venv --system-site-packages "$release"
    else
        # Debian without python3-venv (no ensurepip): a venv without pip, and pip from the wheelhouse
        log "no ensurepip: pip comes from the wheelhouse"
        python3 -m venv --without-pip --system-site-packages "$release"
        if ! "$release/bin/python" - "$WHEELHOUSE" "$release/pip.whl" >> "$LOG" 2>&1 << 'PY'
import re, sys, urllib.request
page = urllib.request.urlopen(sys.argv[1], timeout=60).read().decode()
wheel = sorted(re.findall(r'href="(pip-[^"/]+[.]whl)"', page))[-1]
urllib.request.urlretrieve(sys.argv[1] + wheel, sys.argv[2])
PY
        then
            rm -rf "$release"
            log "no pip wheel from $WHEELHOUSE (is the hub up, its wheelhouse filled?): retrying later"
            exit 1
        fi
        "$release/bin/python" "$release/pip.whl/pip" install --disable-pip-version-check --no-cache-dir \
            --ignore-installed --no-index --find-links "$WHEELHOUSE" --trusted-host "$HUB" pip >> "$LOG" 2>&1
        rm -f "$release/pip.whl"
    fi
    if ! "$release/bin/python" -m pip install --disable-pip-version-check --no-cache-dir --no-index \
        --find-links "$WHEELHOUSE" --trusted-host "$HUB" "antrean[$ROLE]==$VERSION" >> "$LOG" 2>&1; then
        rm -rf "$release"
        log "pip install failed (is the hub up at $WHEELHOUSE?): retrying later"
        exit 1
    fi
fi
echo "$WHEELHOUSE" > "$root/source"

systemctl daemon-reload
systemctl enable "$unit"
if ! "$release/bin/antrean" update --root "$root" --version "$VERSION" --unit "$unit" \
    --config "$SYSROOT$PREFIX/$ROLE.toml" --health-timeout "${HEALTH_TIMEOUT:-60}" \
    ${HEALTH_COMMAND:+--health-command "$HEALTH_COMMAND"} >> "$LOG" 2>&1; then
    log "$unit is not healthy yet: see journalctl -u $unit"
fi
systemctl disable antrean-firstboot.service
rm -f "$ENV_FILE"
log "Antrean $VERSION installed in $release; $unit enabled"

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
    python3 -m venv --system-site-packages "$release"
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
    --config "$SYSROOT$PREFIX/$ROLE.toml" --health-timeout "${HEALTH_TIMEOUT:-60}" >> "$LOG" 2>&1; then
    log "$unit is not healthy yet: see journalctl -u $unit"
fi
systemctl disable antrean-firstboot.service
rm -f "$ENV_FILE"
log "Antrean $VERSION installed in $release; $unit enabled"

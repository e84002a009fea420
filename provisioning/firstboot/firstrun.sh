#!/bin/bash
# Antrean first boot, step 1 of 2 (written to the boot partition by `antrean provision sdcard`).
#
# Raspberry Pi OS (Bookworm) runs it once, as root and before the network is up, through
# `systemd.run=/boot/firmware/firstrun.sh` in cmdline.txt (as Raspberry Pi Imager does). It sets the host
# name, installs the node's bundle from the boot partition under PREFIX (the config 0640 root:antrean: it
# holds the node's MQTT password), the systemd units and the appliance files, then deletes the bundle from the
# FAT partition (readable by anyone holding the card), enables antrean-firstboot.service (step 2: Antrean
# itself from the hub's wheelhouse once the network is up), restores cmdline.txt and removes itself.
# Safe to run again. Log: /var/log/antrean-firstboot.log and the journal.
#
# ANTREAN_BOOT and ANTREAN_SYSROOT (tests only) put the boot partition and the root file system elsewhere.
set -euo pipefail

BOOT="${ANTREAN_BOOT:-/boot/firmware}"
SYSROOT="${ANTREAN_SYSROOT:-}"
BUNDLE="$BOOT/antrean"
LOG="$SYSROOT/var/log/antrean-firstboot.log"

mkdir -p "$(dirname "$LOG")"
log() { echo "antrean firstrun: $*" | tee -a "$LOG" >&2; }

# shellcheck disable=SC2317  # run by the trap
restore_boot() {
    # never boot into this again, whatever happened: a failed first boot is logged and seen over SSH
    rm -rf "$BUNDLE"
    rm -f "$BOOT/firstrun.sh"
    sed -i -E -e 's/ systemd\.run(_success_action|_failure_action)?=[^ ]*//g' \
        -e 's/ systemd\.unit=kernel-command-line\.target//g' "$BOOT/cmdline.txt"
}
trap restore_boot EXIT

if [ ! -f "$BUNDLE/firstboot.env" ]; then
    log "no $BUNDLE/firstboot.env: nothing to install"
    exit 0
fi
# shellcheck source=/dev/null
. "$BUNDLE/firstboot.env"
: "${NODE_ID:?}" "${ROLE:?}" "${PREFIX:?}"
log "installing node $NODE_ID ($ROLE)"

if [ -f "$BOOT/firstrun-imager.sh" ]; then
    log "running Raspberry Pi Imager's own first-run script first"
    bash "$BOOT/firstrun-imager.sh" || log "Imager's first-run script failed (exit $?)"
    rm -f "$BOOT/firstrun-imager.sh"
fi

echo "$NODE_ID" > "$SYSROOT/etc/hostname"
if grep -q '^127\.0\.1\.1' "$SYSROOT/etc/hosts" 2>/dev/null; then
    sed -i -E "s/^127\.0\.1\.1.*/127.0.1.1\t$NODE_ID/" "$SYSROOT/etc/hosts"
else
    printf '127.0.1.1\t%s\n' "$NODE_ID" >> "$SYSROOT/etc/hosts"
fi

if ! id antrean > /dev/null 2>&1; then
    useradd --system --home-dir /var/lib/antrean --create-home --shell /usr/sbin/nologin antrean
fi
for group in video render input lp dialout gpio audio; do
    if getent group "$group" > /dev/null; then
        usermod -a -G "$group" antrean
    fi
done

install -d -m 755 "$SYSROOT$PREFIX"
install -m 640 "$BUNDLE/$ROLE.toml" "$SYSROOT$PREFIX/$ROLE.toml"
chown root:antrean "$SYSROOT$PREFIX/$ROLE.toml"
install -m 644 "$BUNDLE/ca.crt" "$SYSROOT$PREFIX/ca.crt"
install -m 600 "$BUNDLE/firstboot.env" "$SYSROOT$PREFIX/firstboot.env"
install -d -m 755 "$SYSROOT/etc/systemd/system" "$SYSROOT/usr/local/lib/antrean"
install -m 644 "$BUNDLE"/*.service "$SYSROOT/etc/systemd/system/"
install -m 755 "$BUNDLE/firstboot.sh" "$SYSROOT/usr/local/lib/antrean/firstboot.sh"

# appliance files: journald capped, time from the hub (timesyncd; chrony when installed)
install -d -m 755 "$SYSROOT/etc/systemd/journald.conf.d" "$SYSROOT/etc/systemd/timesyncd.conf.d"
install -m 644 "$BUNDLE/appliance/journald.conf" "$SYSROOT/etc/systemd/journald.conf.d/antrean.conf"
install -m 644 "$BUNDLE/appliance/timesyncd.conf" "$SYSROOT/etc/systemd/timesyncd.conf.d/antrean.conf"
if [ -d "$SYSROOT/etc/chrony" ]; then
    install -d -m 755 "$SYSROOT/etc/chrony/conf.d"
    install -m 644 "$BUNDLE/appliance/chrony.conf" "$SYSROOT/etc/chrony/conf.d/antrean.conf"
fi

systemctl enable antrean-firstboot.service
log "step 1 done: antrean-firstboot.service installs Antrean from the hub once the network is up"
exit 0

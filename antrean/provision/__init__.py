"""``antrean provision``: from one site file to an installable bundle per node (configs, accounts, site CA,
TLS certificate, systemd units). See docs/deploy.md."""

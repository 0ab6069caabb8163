#!/usr/bin/env bash
# Makes sure the Debian packages named as arguments are installed.
# As root: installs the missing ones with apt-get (non-interactive). Otherwise: names them and fails.
set -euo pipefail
missing=()
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Postfix and slapd ask questions on install; answer them so that nothing is configured or started for us.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
# Roundcube (the webmail benchmark's peer) gets its database from the benchmark, not from dbconfig-common.
echo "roundcube-core roundcube/dbconfig-install boolean false" | debconf-set-selections
apt-get update -qq || true
apt-get install -y -qq --no-install-recommends "${missing[@]}"

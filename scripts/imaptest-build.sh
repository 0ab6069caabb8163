#!/bin/bash
# Builds the vendored imaptest (ThirdParty/imaptest) against Debian's dovecot-dev once, and prints the path of
# the binary. The build is cached under ${IMAPTEST_CACHE:-/tmp/shoal-imaptest}/<hash of the vendored tree and
# of the dovecot-dev version>, so every worktree and run after the first reuses it; concurrent callers wait
# for one build (flock). A missing tool exits 2 naming its Debian package.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source_dir="$root/ThirdParty/imaptest"
cache="${IMAPTEST_CACHE:-/tmp/shoal-imaptest}"

need() {  # program package
    command -v "$1" >/dev/null 2>&1 || { echo "imaptest build: $1 is not installed: apt-get install -y --no-install-recommends $2" >&2; exit 2; }
}
need autoreconf autoconf
need automake automake
need libtoolize libtool
need gcc gcc
need make make
need flock util-linux
[ -f /usr/lib/dovecot/dovecot-config ] || {
    echo "imaptest build: /usr/lib/dovecot/dovecot-config is missing: apt-get install -y --no-install-recommends dovecot-dev" >&2; exit 2; }

dovecot_version="$(dpkg-query -W -f='${Version}' dovecot-dev 2>/dev/null || grep -h '^DOVECOT_VERSION' /usr/lib/dovecot/dovecot-config)"
hash="$( (cd "$source_dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "$dovecot_version") | sha256sum | cut -c1-16)"
target="$cache/$hash"
if [ -x "$target/imaptest" ]; then echo "$target/imaptest"; exit 0; fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -x "$target/imaptest" ]; then echo "$target/imaptest"; exit 0; fi
work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp -a "$source_dir/." "$work/"
(
    cd "$work"
    autoreconf -i
    # The rpath lets the binary find libdovecot.so without LD_LIBRARY_PATH.
    ./configure --with-dovecot=/usr/lib/dovecot LDFLAGS="-Wl,-rpath,/usr/lib/dovecot"
    make -j2
) > "$work.log" 2>&1 || { echo "imaptest build failed in $work; log:" >&2; tail -40 "$work.log" >&2; exit 1; }
mkdir -p "$target.tmp"
cp "$work/src/imaptest" "$target.tmp/imaptest"
rm -rf "$target" && mv "$target.tmp" "$target"
rm -f "$work.log"
echo "$target/imaptest"

#!/bin/sh
# Debian packages some tests and the local stack need beyond the Python ones, each named with a
# file that shows it is there. Installs what is missing only as root with apt-get, without starting
# any system service; otherwise it says why and leaves the machine as it is (the tests that need a
# missing one then skip, saying so). Always exits 0.
#
#   sh infra/debian_deps.sh            every package below
#   sh infra/debian_deps.sh sshd       only the named ones
#
# A package marked "backports" comes from the release's backports suite (Debian's own archive),
# added to apt's sources when missing; apt takes nothing else from it unless asked.
#
# name      package          file it provides                                   from
PACKAGES='
sshd        openssh-server   /usr/sbin/sshd
mariadb     mariadb-server   /usr/sbin/mariadbd
mariadb     mariadb-client   /usr/bin/mariadb
opensc      opensc           /usr/bin/pkcs11-tool
pkcs11prov  pkcs11-provider  /usr/lib/x86_64-linux-gnu/ossl-modules/pkcs11.so  backports
socat       socat            /usr/bin/socat
rsync       rsync            /usr/bin/rsync
chromium    chromium         /usr/bin/chromium
chromium    chromium-driver  /usr/bin/chromedriver
'
set -u
wanted() { [ $# -eq 0 ] && return 0; for w in $ONLY; do [ "$w" = "$1" ] && return 0; done; return 1; }
ONLY="$*"
MISSING=""
BACKPORTED=""
while read -r name package file from; do
    [ -n "$name" ] || continue
    [ -z "$ONLY" ] || wanted "$name" || continue
    [ -e "$file" ] && continue
    if [ "$from" = backports ]; then BACKPORTED="$BACKPORTED $package"; else MISSING="$MISSING $package"; fi
done <<EOF
$PACKAGES
EOF
[ -n "$MISSING$BACKPORTED" ] || exit 0
if [ "$(id -u)" != 0 ]; then
    echo "debian_deps: not root, so$MISSING$BACKPORTED not installed" >&2; exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "debian_deps: no apt-get, so$MISSING$BACKPORTED not installed" >&2; exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# The packages' scripts must not start system services: policy-rc.d answering 101 forbids it.
POLICY=/usr/sbin/policy-rc.d
ADDED=""
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$POLICY" && chmod 755 "$POLICY" && ADDED=1
fi
# shellcheck disable=SC2086
install() { apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1; }
if [ -n "$BACKPORTED" ]; then
    SUITE="$(. /etc/os-release && echo "$VERSION_CODENAME")-backports"
    grep -rqs -- "$SUITE" /etc/apt/sources.list /etc/apt/sources.list.d/ ||
        echo "deb http://deb.debian.org/debian $SUITE main" > /etc/apt/sources.list.d/debian-backports.list
    apt-get update -q >/dev/null 2>&1
    # shellcheck disable=SC2086
    install -t "$SUITE" $BACKPORTED || echo "debian_deps:$BACKPORTED could not be installed from $SUITE" >&2
fi
[ -n "$MISSING" ] || { [ -n "$ADDED" ] && rm -f "$POLICY"; exit 0; }
# All at once; failing that (a package this release lacks fails the whole call), one at a time.
if ! { install $MISSING || { apt-get update -q >/dev/null && install $MISSING; }; }; then
    for package in $MISSING; do
        install "$package" || echo "debian_deps: $package could not be installed" >&2
    done
fi
[ -n "$ADDED" ] && rm -f "$POLICY"
exit 0

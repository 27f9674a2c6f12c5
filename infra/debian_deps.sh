#!/bin/sh
# Debian packages some tests and the local stack need beyond the Python ones, each named with a
# file that shows it is there. Installs what is missing only as root with apt-get, without starting
# any system service; otherwise it says why and leaves the machine as it is (the tests that need a
# missing one then skip, saying so). Always exits 0.
#
#   sh infra/debian_deps.sh            every package below
#   sh infra/debian_deps.sh sshd       only the named ones
#
# name      package          file it provides
PACKAGES='
sshd        openssh-server   /usr/sbin/sshd
mariadb     mariadb-server   /usr/sbin/mariadbd
mariadb     mariadb-client   /usr/bin/mariadb
opensc      opensc           /usr/bin/pkcs11-tool
pkcs11eng   libengine-pkcs11-openssl /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so
chromium    chromium         /usr/bin/chromium
chromium    chromium-driver  /usr/bin/chromedriver
'
set -u
wanted() { [ $# -eq 0 ] && return 0; for w in $ONLY; do [ "$w" = "$1" ] && return 0; done; return 1; }
ONLY="$*"
MISSING=""
NAMES=""
while read -r name package file; do
    [ -n "$name" ] || continue
    [ -z "$ONLY" ] || wanted "$name" || continue
    [ -e "$file" ] && continue
    MISSING="$MISSING $package"
    NAMES="$NAMES $name"
done <<EOF
$PACKAGES
EOF
[ -n "$MISSING" ] || exit 0
if [ "$(id -u)" != 0 ]; then
    echo "debian_deps: not root, so$MISSING not installed" >&2; exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "debian_deps: no apt-get, so$MISSING not installed" >&2; exit 0
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
# All at once; failing that (a package this release lacks fails the whole call), one at a time.
if ! { install $MISSING || { apt-get update -q >/dev/null && install $MISSING; }; }; then
    for package in $MISSING; do
        install "$package" || echo "debian_deps: $package could not be installed" >&2
    done
fi
[ -n "$ADDED" ] && rm -f "$POLICY"
exit 0

#!/bin/sh
# Debian packages some tests need beyond the Python ones: openssh-server, whose sshd the
# password-rotation tests start privately on a loopback port (tests/e2e/bastion/sshd_target.py).
# Installs only as root with apt-get, without starting the system's ssh service; otherwise it
# says why and leaves the machine as it is (the tests that need sshd then skip, saying so).
set -u
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "debian_deps: not root, so openssh-server is not installed" >&2; exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "debian_deps: no apt-get, so openssh-server is not installed" >&2; exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# The package's scripts must not start a system ssh service: policy-rc.d answering 101 forbids it.
POLICY=/usr/sbin/policy-rc.d
ADDED=""
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$POLICY" && chmod 755 "$POLICY" && ADDED=1
fi
install() { apt-get install -y -q --no-install-recommends openssh-server >/dev/null; }
install || { apt-get update -q >/dev/null && install; }
status=$?
[ -n "$ADDED" ] && rm -f "$POLICY"
[ -x "$SSHD" ] || { echo "debian_deps: openssh-server could not be installed" >&2; exit 0; }
exit $status

# Sourced by the integration tests of hostprep's own commands (not run): the hostprep to test (the
# script's first argument), the test bed and its profile, skips when the bed is not there, a temporary
# directory and a failure counter. The caller sets its own EXIT trap and removes "$tmp" in it.
set -uo pipefail
HOSTPREP=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
TB=$here/../testbed/testbed
PROFILE=$here/testbed.conf

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the test bed)"; exit 77; }
"$TB" status >/dev/null 2>&1 || { echo "SKIP: the test bed is not up (tests/testbed/testbed up)"; exit 77; }

failures=0
tmp=$(mktemp -d)
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

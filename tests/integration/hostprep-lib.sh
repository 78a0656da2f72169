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

# expect_result JSON ID STATUS [MESSAGE-SUBSTRING]: every result ID of a `--format json` report has STATUS
# (and the substring in its message); says what it got otherwise, and returns 1.
expect_result() {
        python3 - "$1" "$2" "$3" "${4:-}" <<'PY'
import json, sys
path, rid, status, sub = sys.argv[1:5]
rs = [r for r in json.load(open(path))["results"] if r["id"] == rid]
ok = rs and all(r["status"] == status and sub in r["message"] for r in rs)
if not ok:
    print(f"  {rid}: expected {status} with '{sub}', got " + json.dumps(rs))
sys.exit(0 if ok else 1)
PY
}

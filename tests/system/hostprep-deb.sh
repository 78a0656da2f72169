#!/bin/bash
# The Debian package (tools/build-deb) in the systemd tier's container, as an operator meets it:
#   a. apt installs the .deb (offline: its dependencies are in the image); `hostprep check` runs with the
#      installed profile, finds the operator's own in /etc/hostprep/profiles, and apply --dry-run renders
#      the installed templates; the canary is where hostprep looks for it;
#   b. man hostprep, hostprep.profile(5) and hostprep-units(7) render (man-db);
#   c. bash completion loads (bash-completion's loader, complete -p) and completes `hostprep ch<TAB>`
#      through COMP_WORDS;
#   d. the audit timer is installed disabled; started with a drop-in that fires it after 1 s, it runs
#      hostprep-audit.service with /etc/default/hostprep: the journal has an entry per result with the
#      HOSTPREP_* fields and one for the run, the node_exporter textfile is written (atomically: no
#      temporary file left, mode 0644), parses (promtool, when installed here) and says what the JSON says;
#   e. apt purges the package, leaving none of its files.
#   hostprep-deb.sh DEB_DIR
set -uo pipefail
DEB_DIR=$1
here=$(cd "$(dirname "$0")" && pwd)
TIER=${HOSTPREP_SYSTEMD_TIER:-$here/../testbed/systemd-tier}
WAIT=${HOSTPREP_DEB_WAIT:-60} # seconds the timer and the service may take

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
deb=$(ls "$DEB_DIR"/hostprep_*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || skip "no package in $DEB_DIR (tests/run builds it with tools/build-deb $DEB_DIR)"
"$TIER" status >/dev/null 2>&1 || skip "the systemd tier is not up (tests/testbed/systemd-tier up)"
LEADER=$(sed -n -E 's|^unix:path=/proc/([0-9]+)/root/.*|\1|p' <<<"$("$TIER" bus-address)")
[ -n "$LEADER" ] || { echo "FAIL: no container leader"; exit 1; }
R=/proc/$LEADER/root
ct() { "$TIER" exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
for p in man-db bash-completion; do
        ct dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
                skip "$p is not in the container's image (an image older than this test?)"
done
ct dpkg-query -W hostprep >/dev/null 2>&1 &&
        { echo "FAIL: hostprep is installed in the container before the test (bring the tier down and up)"; exit 1; }

failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
tmp=$(mktemp -d)
TEXTDIR=/var/lib/prometheus/node-exporter
DROPIN=/run/systemd/system/hostprep-audit.timer.d
cleanup() {
        ct systemctl stop hostprep-audit.timer hostprep-audit.service >/dev/null 2>&1
        rm -rf "$R$DROPIN" "$R/etc/hostprep/profiles/site.conf" "$R$TEXTDIR" "$R/tmp/$(basename "$deb")"
        ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q hostprep >/dev/null 2>&1
        ct systemctl daemon-reload
        rm -rf "$tmp"
}
trap cleanup EXIT

# --- a. install, check, the operator's profile, templates, canary
cp "$deb" "$R/tmp/"
t0=$(date +%s%N)
ct env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "/tmp/$(basename "$deb")" \
        >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log"; echo "FAIL: apt-get install of $(basename "$deb")"; exit 1; }
echo "a. installed $(basename "$deb") with apt in $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$(ct sh -c "command -v hostprep")" = /usr/sbin/hostprep ] || fail "a: hostprep is not /usr/sbin/hostprep"
ct hostprep --version >"$tmp/version" || fail "a: hostprep --version"
ct hostprep check --role hypervisor --format json >"$tmp/check.json" 2>"$tmp/check.err"
rc=$?
case $rc in 0 | 1 | 3) ;; *) fail "a: hostprep check exited $rc"; cat "$tmp/check.err" ;; esac
python3 - "$tmp/check.json" "$rc" <<'PY' || fail "a: the check's JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["profile"]["file"] == "/usr/share/hostprep/profiles/kvm-nfs.conf", d["profile"]
assert d["summary"]["exit_code"] == int(sys.argv[2]), d["summary"]
assert d["host"]["name"] == "hp-systemd-tier" and d["results"], d["host"]
PY
printf '# the operator'"'"'s own (hostprep-deb.sh)\ninclude = kvm-nfs\n\n[nfs]\nserver = nfs1\n' \
        >"$R/etc/hostprep/profiles/site.conf"
ct hostprep check --profile site --role hypervisor --format json >"$tmp/site.json" 2>"$tmp/site.err"
python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["profile"]["file"]; assert f=="/etc/hostprep/profiles/site.conf", f' \
        "$tmp/site.json" || { fail "a: the profile in /etc/hostprep/profiles"; cat "$tmp/site.err"; }
# nfs.mount's fix writes the fstab entry from the installed templates (fstab-entry.conf, header.conf)
ct hostprep apply --dry-run --profile site --role hypervisor --only nfs.mount >"$tmp/dry.txt" 2>&1
grep -q '^+++ b/etc/fstab' "$tmp/dry.txt" && grep -q '^+.*Written by hostprep' "$tmp/dry.txt" ||
        { fail "a: apply --dry-run shows no fstab entry from the templates"; cat "$tmp/dry.txt"; }
ct test -r /usr/lib/hostprep/canary.elf && ct grep -qa /usr/lib/hostprep/canary.elf /usr/sbin/hostprep ||
        fail "a: the canary is not where the installed hostprep looks for it"
echo "a. $(cat "$tmp/version"): check exit $rc, profiles from /usr/share and /etc/hostprep, templates rendered"

# --- b. man pages
for page in 8:hostprep 5:hostprep.profile 7:hostprep-units; do
        ct env MANWIDTH=80 man -P cat "${page%%:*}" "${page#*:}" >"$tmp/man.txt" 2>"$tmp/man.err"
        grep -q "^NAME" "$tmp/man.txt" && grep -q "${page#*:}" "$tmp/man.txt" ||
                { fail "b: man ${page%%:*} ${page#*:} does not render"; cat "$tmp/man.err"; }
done
ct env MANWIDTH=80 man -P cat 8 hostprep | grep -q "hostprep_check_status" ||
        fail "b: hostprep(8) has no PROMETHEUS OUTPUT"
echo "b. man hostprep, hostprep.profile(5), hostprep-units(7) render"

# --- c. bash completion, loaded as an interactive shell loads it
ct bash --norc -c '
        . /usr/share/bash-completion/bash_completion
        __load_completion hostprep || exit 2
        complete -p hostprep || exit 3
        COMP_WORDS=(hostprep ch) COMP_CWORD=1 COMP_LINE="hostprep ch" COMP_POINT=11
        _hostprep hostprep ch hostprep
        echo "ch: ${COMPREPLY[*]}"
        COMP_WORDS=(hostprep check --only nfs.exp) COMP_CWORD=3 COMP_LINE="hostprep check --only nfs.exp"
        COMP_POINT=${#COMP_LINE}
        _hostprep hostprep nfs.exp --only
        echo "only: ${COMPREPLY[*]}"' >"$tmp/complete.txt" 2>&1
grep -qx 'complete -F _hostprep hostprep' "$tmp/complete.txt" || fail "c: complete -p hostprep"
grep -qx 'ch: check' "$tmp/complete.txt" || fail "c: hostprep ch<TAB> does not give check"
grep -q '^only: .*nfs.export.root_squash' "$tmp/complete.txt" || fail "c: --only nfs.exp<TAB> gives no ids"
[ $failures = 0 ] || cat "$tmp/complete.txt"
echo "c. bash completion: $(grep '^ch:' "$tmp/complete.txt")"

# --- d. the audit timer
[ "$(ct systemctl is-enabled hostprep-audit.timer)" = disabled ] || fail "d: hostprep-audit.timer is enabled"
[ "$(ct systemctl is-active hostprep-audit.timer)" = inactive ] || fail "d: hostprep-audit.timer is active"
mkdir -p "$R$TEXTDIR"
cat >>"$R/etc/default/hostprep" <<EOT
HOSTPREP_PROFILE=site
HOSTPREP_TEXTFILE=$TEXTDIR/hostprep.prom
HOSTPREP_AUDIT_ARGS=--role hypervisor
EOT
# fire 1 s after the start instead of daily
mkdir -p "$R$DROPIN"
printf '[Timer]\nOnCalendar=\nOnActiveSec=1s\nAccuracySec=100ms\nRandomizedDelaySec=0\n' >"$R$DROPIN/test.conf"
ct systemctl daemon-reload
t0=$(date +%s%N)
ct systemctl start hostprep-audit.timer || fail "d: starting the timer"
ran() { [ "$(ct systemctl show -P ExecMainExitTimestampMonotonic hostprep-audit.service)" -gt 0 ] 2>/dev/null; }
deadline=$((SECONDS + WAIT))
until ran; do
        ((SECONDS < deadline)) || { fail "d: hostprep-audit.service did not run within ${WAIT}s"; break; }
        sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
result=$(ct systemctl show -P Result hostprep-audit.service) status=$(ct systemctl show -P ExecMainStatus hostprep-audit.service)
[ "$result" = success ] && { [ "$status" = 0 ] || [ "$status" = 1 ]; } ||
        { fail "d: hostprep-audit.service: $result, exit $status"; ct journalctl -u hostprep-audit.service --no-pager | tail -n 20; }
# what the service saw, once more as JSON, to compare the journal and the metrics with
ct hostprep check --profile site --role hypervisor --format json >"$tmp/audit.json" 2>/dev/null
ct journalctl -o json --no-pager _SYSTEMD_UNIT=hostprep-audit.service SYSLOG_IDENTIFIER=hostprep >"$tmp/journal.json"
cp "$R$TEXTDIR/hostprep.prom" "$tmp/hostprep.prom" 2>/dev/null || fail "d: no $TEXTDIR/hostprep.prom"
left=$(ls -A "$R$TEXTDIR" | grep -vx hostprep.prom)
[ -z "$left" ] || fail "d: left in the textfile directory: $left"
[ "$(stat -c %a "$R$TEXTDIR/hostprep.prom" 2>/dev/null)" = 644 ] || fail "d: the textfile's mode is not 0644"
if command -v promtool >/dev/null; then
        promtool check metrics <"$tmp/hostprep.prom" >"$tmp/promtool.txt" 2>&1 ||
                { fail "d: promtool check metrics"; cat "$tmp/promtool.txt"; }
        linted="promtool-checked"
else
        linted="not linted (no promtool)"
fi
python3 - "$tmp/audit.json" "$tmp/journal.json" "$tmp/hostprep.prom" "$status" <<'PY' || fail "d: journal or metrics"
import collections, json, re, sys
report = json.load(open(sys.argv[1]))
host = report["host"]["name"]
want = collections.Counter((r["id"], r["status"]) for r in report["results"])
entries = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
results = [e for e in entries if e.get("MESSAGE_ID") == "30411b1acd034e048499b099a9495da3"]
runs = [e for e in entries if e.get("MESSAGE_ID") == "154def08ba354a6d921968a63cf8506d"]
assert len(runs) == 1, f"{len(runs)} run entries"
run = runs[0]
assert run["HOSTPREP_EXIT_CODE"] == sys.argv[4], run
for e in results:
    for f in ("HOSTPREP_HOST", "HOSTPREP_UNIT", "HOSTPREP_CHECK", "HOSTPREP_STATUS", "HOSTPREP_REPORT_ID",
              "HOSTPREP_PROFILE", "PRIORITY"):
        assert f in e, (f, e)
    assert e["HOSTPREP_HOST"] == host and e["HOSTPREP_PROFILE"] == report["profile"]["name"], e
    assert e["HOSTPREP_CHECK"] == e["HOSTPREP_UNIT"] or e["HOSTPREP_CHECK"].startswith(e["HOSTPREP_UNIT"] + "."), e
    assert e["HOSTPREP_REPORT_ID"] == run["HOSTPREP_REPORT_ID"], e
    assert e["PRIORITY"] == {"fail": "3", "error": "3", "warn": "4"}.get(e["HOSTPREP_STATUS"], "6"), e
got = collections.Counter((e["HOSTPREP_CHECK"], e["HOSTPREP_STATUS"]) for e in results)
assert got == want, f"journal {dict(got)} != JSON {dict(want)}"
series = {}
for line in open(sys.argv[3]):
    m = re.match(r'^hostprep_check_status\{host="([^"]*)",unit="[^"]*",check="([^"]*)",status="([a-z]+)"\} (\d+)$', line)
    if m:
        series[(m.group(1), m.group(2), m.group(3))] = int(m.group(4))
metrics = collections.Counter({(c, s): v for (h, c, s), v in series.items() if v and h == host})
assert metrics == want, f"metrics {dict(metrics)} != JSON {dict(want)}"
text = open(sys.argv[3]).read()
assert re.search(r"^hostprep_last_run_timestamp_seconds [0-9.]+$", text, re.M), "no timestamp"
assert re.search(r"^hostprep_run_duration_seconds [0-9.]+$", text, re.M), "no duration"
print(f"d. journal: {len(results)} result entries + 1 run entry (exit code {run['HOSTPREP_EXIT_CODE']}), "
      f"metrics: {len(series)} hostprep_check_status series, both as the JSON says")
PY
echo "d. the timer fired and the audit ran in ${ms} ms (exit $status); the textfile is $linted"

# --- e. purge
ct systemctl stop hostprep-audit.timer >/dev/null 2>&1
rm -f "$R/etc/hostprep/profiles/site.conf"
ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q hostprep >"$tmp/purge.log" 2>&1 ||
        { fail "e: apt-get purge"; cat "$tmp/purge.log"; }
for f in /usr/sbin/hostprep /usr/share/hostprep /usr/lib/hostprep /etc/default/hostprep /etc/hostprep \
        /lib/systemd/system/hostprep-audit.timer /usr/share/bash-completion/completions/hostprep; do
        [ ! -e "$R$f" ] || fail "e: $f is left after the purge"
done
echo "e. purged: nothing of the package left"

[ $failures = 0 ] && echo "all package cases passed"
exit $((failures > 0))

#!/bin/bash
# contrib/ansible's playbook run as an operator would: ansible-playbook (ansible-core) inside h2 with
# an inventory of h1, h2 and h3, root over the bed's real SSH (the hosts' own keys and known_hosts), so
# hostprep runs on each host in its own namespaces (the hosts share /usr and /tmp: the build's hostprep
# is on every host at the same path). Each profile decides by itself:
#   pass: the bed's profile (h1 nfs-server, h2 h3 hypervisors), --only libvirt.daemon: h1 skips it,
#         h2 and h3 have libvirtd running -> the play passes, "3 ready"
#   fail: the same with --role hypervisor, so h1 (no libvirtd) FAILs libvirt.daemon.running -> the
#         play fails on h1 only, ansible-playbook exits 2, the summary says "1 failed"
#   apply in --check mode: hostprep apply --dry-run on every host (the summary's header says so)
#   no report: h3 given a hostprep that does not exist -> named in the summary, the play fails on it
# The summary's rows are compared with the collected reports, and each report's host name with its
# inventory name (it ran on that host).
#   ansible.sh HOSTPREP
. "$(dirname "$0")/hostprep-lib.sh"
command -v ansible-playbook >/dev/null || { echo "SKIP: ansible-playbook missing (ansible-core)"; exit 77; }
PLAYBOOK=$here/../../contrib/ansible/hostprep.yml
trap 'rm -rf "$tmp"' EXIT

# inventory FILE [H3-VARS]: the bed's hosts, root, the build's hostprep (h3's own vars may override it)
inventory() {
        cat >"$1" <<INI
[bed]
h1
h2
h3 ${2:-}

[bed:vars]
ansible_user=root
ansible_python_interpreter=/usr/bin/python3
hostprep_bin=$HOSTPREP
INI
}
inventory "$tmp/inventory.ini"

# play NAME WANT_RC ANSIBLE-ARGS...: the playbook from h2 with $INV into $tmp/NAME/ (reports,
# summary.txt, out)
INV=$tmp/inventory.ini
play() {
        local name=$1 want=$2 t0 rc ms
        shift 2
        mkdir -p "$tmp/$name"
        t0=$(date +%s%N)
        # no SSH master left behind, every connection and run with a deadline; Ansible wants UTF-8
        "$TB" exec h2 env LC_ALL=C.UTF-8 ANSIBLE_NOCOLOR=1 ANSIBLE_PIPELINING=1 ANSIBLE_TIMEOUT=10 \
                ANSIBLE_SSH_ARGS="-o ControlMaster=no -o BatchMode=yes -o ConnectTimeout=10" \
                timeout 120 ansible-playbook -i "$INV" "$PLAYBOOK" \
                -e "{\"hostprep_report_dir\": \"$tmp/$name\", \"hostprep_timeout\": 60}" \
                "$@" >"$tmp/$name/out" 2>&1
        rc=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        echo "$name: ansible-playbook rc=$rc in ${ms} ms"
        sed -n '/"msg": \[/,/\]/p' "$tmp/$name/out" | sed 's/^ *//'
        [ "$rc" = "$want" ] || { fail "$name: ansible-playbook exit $rc, expected $want"; tail -30 "$tmp/$name/out"; }
}

# summary NAME VERB FLEET HOST=EXIT...: summary.txt's header and last line, one row per host that
# matches its collected report's counts (or "no report" for EXIT '-'), each report from its host
summary() {
        python3 - "$tmp/$1" "$2" "$3" "${@:4}" <<'PY' || fail "$1: the summary does not match"
import json, os, re, sys
d, verb, fleet = sys.argv[1:4]
want = dict(a.split("=") for a in sys.argv[4:])
lines = open(os.path.join(d, "summary.txt")).read().splitlines()
bad = []
if lines[0] != f"hostprep {verb} on {len(want)} hosts":
    bad.append(f"header {lines[0]!r}")
if lines[-1] != "fleet: " + fleet:
    bad.append(f"last line {lines[-1]!r}, expected 'fleet: {fleet}'")
cols = ["pass", "warn", "fail", "skip", "error", "fixed"]
sums = [0] * 6
for h, code in want.items():
    row = [l for l in lines if l.split()[:1] == [h]]
    path = os.path.join(d, h + ".json")
    if code == "-":
        if not (row and " no report: " in row[0]) or os.path.exists(path):
            bad.append(f"{h}: expected no report, got {row}")
        continue
    r = json.load(open(path))
    s = r["summary"]
    if r["host"]["name"] != h:
        bad.append(f"{h}: the report is of {r['host']['name']}")
    if s["exit_code"] != int(code):
        bad.append(f"{h}: report's exit {s['exit_code']}, expected {code}")
    counts = [s[c] for c in cols]
    sums = [a + b for a, b in zip(sums, counts)]
    if not row or row[0].split()[1:] != [str(n) for n in counts + [s["exit_code"]]]:
        bad.append(f"{h}: row {row} is not the report's {counts} exit {s['exit_code']}")
tot = [l for l in lines if l.split()[:1] == ["all"]]
if not tot or tot[0].split()[1:] != [str(n) for n in sums]:
    bad.append(f"total {tot} is not {sums}")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY
}

# recap NAME HOST FAILED: the PLAY RECAP line of HOST says failed=FAILED
recap() {
        grep -Eq "^$2 +: .* failed=$3 " "$tmp/$1/out" || fail "$1: recap of $2 is not failed=$3: $(grep "^$2 " "$tmp/$1/out")"
}

pass_args='"--profile", "'$PROFILE'", "--only", "libvirt.daemon"'

play pass 0 -e "{\"hostprep_args\": [$pass_args]}"
summary pass check "3 ready, 0 failed, 0 undecided, 0 without report" h1=0 h2=0 h3=0
for h in h1 h2 h3; do recap pass $h 0; done

play fail 2 -e "{\"hostprep_args\": [$pass_args, \"--role\", \"hypervisor\"]}"
summary fail check "2 ready, 1 failed, 0 undecided, 0 without report" h1=1 h2=0 h3=0
recap fail h1 1
recap fail h2 0
recap fail h3 0
grep -q '"msg": "hostprep check exited 1: .*libvirt.daemon.running' "$tmp/fail/out" ||
        fail "fail: h1's failure does not name libvirt.daemon.running"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if any(x["id"] == "libvirt.daemon.running" and x["status"] == "fail" for x in r["results"]) else 1)' \
        "$tmp/fail/h1.json" || fail "fail: h1's report has no failing libvirt.daemon.running"

play dryrun 0 --check -e hostprep_verb=apply -e "{\"hostprep_args\": [$pass_args]}"
summary dryrun "apply --dry-run" "3 ready, 0 failed, 0 undecided, 0 without report" h1=0 h2=0 h3=0

inventory "$tmp/inventory-h3.ini" "hostprep_bin=$tmp/no-hostprep"
INV=$tmp/inventory-h3.ini play noreport 2 -e "{\"hostprep_args\": [$pass_args]}"
summary noreport check "2 ready, 0 failed, 0 undecided, 1 without report" h1=0 h2=0 h3=-
recap noreport h3 1
recap noreport h2 0
grep -q '"msg": "hostprep check exited 2: .*no-hostprep' "$tmp/noreport/out" ||
        fail "noreport: h3's failure does not name the missing program"

[ "$failures" = 0 ] || exit 1
echo "ok: the Ansible play over the bed: fleet summaries, fails on FAIL only where it is, dry run, no report"

#!/bin/bash
# The apply/rollback lock (STATE/lock) with real holders, on a copy of a fixture root (no root, no bed):
#   - a live holder (a hostprep apply stopped at its first crash point, holding the lock): a second apply
#     waits APPLY_LOCK_WAIT (15 s), then exits 3 naming the holder's pid; nothing changed;
#   - that holder killed with -9: the next apply takes the lock over, saying so, and applies;
#   - a holder that is a zombie while a process it forked still has the lock open: taken over, said so;
#   - rolling back every run restores the root byte for byte, and the lock file is empty after each run.
#   apply-lock.sh HOSTPREP
set -uo pipefail
HOSTPREP=$(readlink -f "$1")
golden=$(cd "$(dirname "$0")/../golden" && pwd)
command -v python3 >/dev/null || { echo "SKIP: needs python3 (the zombie holder)"; exit 77; }
tmp=$(mktemp -d)
holder= zombie_parent= zombie_child=
cleanup() {
        for p in $holder $zombie_parent $zombie_child; do kill -9 "$p" 2>/dev/null; done
        rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# shellcheck source=../golden/apply-lib.sh
. "$golden/apply-lib.sh"

root=$tmp/root
cp -a "$golden/cases/nfs.export/no_exports_file/root" "$root"
rm -rf "$root/srv"
mkdir -p "$root/var/lib"
ARGS=(--profile-path "$golden/profiles" --profile golden --root "$root" --skip 'ssh.*' --no-color)
LOCK=$root/var/lib/hostprep/lock
tree "$root" >"$tmp/base"
proc_state() { sed -E 's/.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null; }
rollback_all() {
        "$HOSTPREP" rollback --root "$root" --list 2>/dev/null | awk '$2 != "rolled-back" {print $1}' | sort -r |
                while read -r run; do "$HOSTPREP" rollback --root "$root" "$run" >/dev/null 2>&1; done
}

# 1. a live holder: apply stopped (SIGSTOP) at its first journal write, under the lock
HOSTPREP_CRASH_POINT=journal:STOP "$HOSTPREP" apply "${ARGS[@]}" >"$tmp/holder.out" 2>&1 &
holder=$!
for _ in $(seq 1 300); do [ "$(proc_state $holder)" = T ] && break; sleep 0.1; done
[ "$(proc_state $holder)" = T ] || { fail "the holder did not stop at its crash point"; cat "$tmp/holder.out"; exit 1; }
grep -q "^$holder " "$LOCK" || fail "the lock file does not name its holder $holder: $(cat "$LOCK")"
tree "$root" >"$tmp/held"
start=$(date +%s)
"$HOSTPREP" apply "${ARGS[@]}" >"$tmp/waiter.out" 2>&1
rc=$? waited=$(($(date +%s) - start))
[ $rc = 3 ] || fail "apply against a live holder exited $rc, expected 3"
grep -q "process $holder holds .*/lock (waited 15 s)" "$tmp/waiter.out" ||
        { fail "the error does not name the holder $holder"; cat "$tmp/waiter.out"; }
grep -q "waiting for process $holder" "$tmp/waiter.out" || fail "no word that it waits"
[ $waited -ge 14 ] || fail "gave up after $waited s, before the 15 s wait"
tree "$root" | cmp -s - "$tmp/held" || fail "the waiting apply changed the root"
echo "ok live holder: exit $rc after $waited s, naming pid $holder"

# 2. the holder killed with -9: its pid stays in the lock file; the next apply takes the lock over
kill -9 $holder
{ wait $holder; } 2>/dev/null # no "Killed"
dead=$holder holder=
grep -q "^$dead " "$LOCK" || fail "the killed holder's pid is not in the lock file"
"$HOSTPREP" apply "${ARGS[@]}" >"$tmp/takeover.out" 2>&1
rc=$?
[ $rc = 0 ] || { fail "apply after kill -9 of the holder exited $rc"; cat "$tmp/takeover.out"; }
grep -q "process $dead ended without releasing .*/lock (killed?); the lock is taken over" "$tmp/takeover.out" ||
        { fail "the take-over is not said"; cat "$tmp/takeover.out"; }
[ -s "$LOCK" ] && fail "the lock file is not emptied at a clean end: $(cat "$LOCK")"
echo "ok dead holder (kill -9 of pid $dead): taken over, exit $rc"
rollback_all

# 3. a zombie holder whose child still has the lock open (forked without exec): the flock stays held
python3 - "$LOCK" "$tmp/zombie.child" >"$tmp/zombie.pid" <<'PY' &
import fcntl, os, sys, time
lock, child_file = sys.argv[1], sys.argv[2]
p1 = os.fork()
if p1 == 0:
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.write(fd, ("%d %s\n" % (os.getpid(), os.readlink("/proc/self/ns/pid"))).encode())
    if os.fork() == 0:
        with open(child_file, "w") as f:
            f.write("%d\n" % os.getpid())
        time.sleep(300)
    os._exit(0)
print(p1, flush=True)
time.sleep(300)  # never reaps p1: a zombie
PY
zombie_parent=$!
for _ in $(seq 1 300); do [ -s "$tmp/zombie.child" ] && [ -s "$tmp/zombie.pid" ] && [ "$(proc_state "$(cat "$tmp/zombie.pid")")" = Z ] && break; sleep 0.1; done
zombie=$(cat "$tmp/zombie.pid") zombie_child=$(cat "$tmp/zombie.child")
[ "$(proc_state "$zombie")" = Z ] || fail "no zombie holder ($zombie: $(proc_state "$zombie"))"
flock -n "$LOCK" true && fail "the zombie's child does not hold the lock"
"$HOSTPREP" apply "${ARGS[@]}" >"$tmp/zombie.out" 2>&1
rc=$?
[ $rc = 0 ] || { fail "apply against a zombie holder exited $rc"; cat "$tmp/zombie.out"; }
grep -q "process $zombie, which holds .*/lock, has ended, but a process it started still has the lock open; the lock is taken over" "$tmp/zombie.out" ||
        { fail "the take-over from the zombie is not said"; cat "$tmp/zombie.out"; }
echo "ok zombie holder (pid $zombie, its child $zombie_child holding the lock): taken over, exit $rc"
kill -9 "$zombie_child" "$zombie_parent" 2>/dev/null
{ wait "$zombie_parent"; } 2>/dev/null
zombie_child= zombie_parent=

# 4. every run rolled back: the root as it was
rollback_all
tree "$root" | diff -u "$tmp/base" - || fail "rolling back every run does not restore the root"
ls "$root/var/lib/hostprep" | grep -q '^lock\.[0-9]' && fail "a take-over left its temporary lock file"

[ $failures = 0 ] && echo "all lock cases passed"
exit $((failures > 0))

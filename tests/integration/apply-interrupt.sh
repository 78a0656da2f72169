#!/bin/bash
# Ctrl-C (SIGINT) at every crash point of apply, on copies of fixture roots (no root, no bed): for each
# point WHERE and each time N apply reaches it (HOSTPREP_CRASH_POINT=WHERE:INT@N, hostprep(8)), apply
# finishes the step under way and undoes the run itself (exit 3; or, in the last step, completes it and
# `hostprep rollback` undoes it); then the same with kill -9 there (what a second Ctrl-C does), after which
# `hostprep rollback` undoes it. Each time the root is as it was, byte for byte (checksums of every file,
# mode and type, hostprep's own state aside), and a last apply still fixes it. Cases: the NFS server role
# (directories and a new drop-in) and a hypervisor's /etc/fstab edited in place.
#   apply-interrupt.sh HOSTPREP
set -uo pipefail
HOSTPREP=$(readlink -f "$1")
golden=$(cd "$(dirname "$0")/../golden" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 undone=0 completed=0 killed=0 root= args=()
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# shellcheck source=../golden/apply-lib.sh
. "$golden/apply-lib.sh"
POINTS=(journal backup temp renamed done)

# same NAME WHAT: the root as it was
same() { tree "$root" | diff -u "$tmp/$name.base" - >"$tmp/diff" || { fail "$name: $2: the root differs"; cat "$tmp/diff"; }; }

# interrupt NAME WHERE N: Ctrl-C there; 1 when apply never reached WHERE N times
interrupt() {
        local out=$tmp/$1.$2.$3.int rc
        HOSTPREP_CRASH_POINT=$2:INT@$3 "$HOSTPREP" apply "${args[@]}" >"$out" 2>&1
        rc=$?
        grep -q '^hostprep: interrupted: undoing this run' "$out" || {
                [ $rc = 0 ] || { fail "$1: apply with $2@$3 (never reached) exited $rc"; cat "$out"; }
                "$HOSTPREP" rollback --root "$root" >/dev/null 2>&1
                return 1
        }
        if [ $rc = 3 ]; then # stopped after the step under way, and undone by apply itself
                grep -q '^hostprep: apply: interrupted before .*; what was done is undone' "$out" ||
                        { fail "$1: SIGINT at $2@$3: no word that the run was undone"; cat "$out"; }
                same "$1" "SIGINT at $2@$3, undone by apply"
                undone=$((undone + 1))
        else # it came during the last step: the run is complete
                [ $rc = 0 ] || { fail "$1: SIGINT at $2@$3: apply exited $rc"; cat "$out"; }
                "$HOSTPREP" rollback --root "$root" >/dev/null 2>&1 || fail "$1: rollback after SIGINT at $2@$3 failed"
                same "$1" "SIGINT at $2@$3 in the last step, then rollback"
                completed=$((completed + 1))
        fi
}

# kill NAME WHERE N: kill -9 there (a second Ctrl-C does the same); hostprep rollback undoes it
kill9() {
        local out=$tmp/$1.$2.$3.kill
        { HOSTPREP_CRASH_POINT=$2:KILL@$3 "$HOSTPREP" apply "${args[@]}" >"$out" 2>&1; } 2>/dev/null # no "Killed"
        [ $? = 137 ] || { fail "$1: apply was not killed at $2@$3"; cat "$out"; }
        "$HOSTPREP" rollback --root "$root" >"$out.rollback" 2>&1 ||
                { fail "$1: rollback after kill -9 at $2@$3 failed"; cat "$out.rollback"; }
        grep -q 'the lock is taken over' "$out.rollback" || fail "$1: rollback after kill -9 at $2@$3 did not say it took the lock over"
        same "$1" "kill -9 at $2@$3, then rollback"
        killed=$((killed + 1))
}

# one NAME SOURCE-CASE [EXTRA-ARGS...]
one() {
        local name=$1 src=$2 where n
        root=$tmp/$1
        shift 2
        cp -a "$golden/cases/$src/root" "$root"
        [ -n "${REMOVE:-}" ] && rm -rf "${root:?}/$REMOVE"
        mkdir -p "$root/var/lib"
        args=(--profile-path "$golden/profiles" --profile golden --root "$root" --skip 'ssh.*' --no-color "$@")
        tree "$root" >"$tmp/$name.base"
        for where in "${POINTS[@]}"; do
                for n in $(seq 1 20); do
                        interrupt "$name" "$where" "$n" || break
                        kill9 "$name" "$where" "$n"
                done
                [ "$n" = 1 ] && fail "$name: crash point $where never reached"
                echo "ok $name: SIGINT and kill -9 at $where (reached $((n - 1)) times): the root as it was"
        done
        "$HOSTPREP" apply "${args[@]}" >"$tmp/$name.final" 2>&1 || { fail "$name: apply after it all exited $?"; cat "$tmp/$name.final"; }
        grep -q '^FIXED ' "$tmp/$name.final" || fail "$name: nothing FIXED by the last apply"
}

REMOVE=srv one nfs_server nfs.export/no_exports_file
REMOVE= one hypervisor_fstab nfs.mount/other_server --only nfs.mount.persistent

echo "SIGINT: $undone runs undone by apply itself, $completed complete (the last step), then rolled back; kill -9: $killed, rolled back"
[ $failures = 0 ] && echo "all interrupt cases passed"
exit $((failures > 0))

#!/bin/bash
# Ctrl-C (SIGINT) at every crash point of apply, on copies of fixture roots (no root, no bed): for each
# point WHERE and each time N apply reaches it (HOSTPREP_CRASH_POINT=WHERE:INT@N, hostprep(8)), apply dies
# of SIGINT there; `hostprep rollback` then restores the root byte for byte (checksums of every file, mode
# and type, hostprep's own state aside), and a new apply still fixes it. Cases: the NFS server role
# (directories and a new drop-in) and a hypervisor's /etc/fstab edited in place.
#   apply-interrupt.sh HOSTPREP
set -uo pipefail
HOSTPREP=$(readlink -f "$1")
golden=$(cd "$(dirname "$0")/../golden" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 trials=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# shellcheck source=../golden/apply-lib.sh
. "$golden/apply-lib.sh"
POINTS=(journal backup temp renamed done)

# one NAME SOURCE-CASE [EXTRA-ARGS...]
one() {
        local name=$1 src=$2 root=$tmp/$1 where n rc out
        shift 2
        cp -a "$golden/cases/$src/root" "$root"
        [ -n "${REMOVE:-}" ] && rm -rf "${root:?}/$REMOVE"
        mkdir -p "$root/var/lib"
        local args=(--profile-path "$golden/profiles" --profile golden --root "$root" --skip 'ssh.*' --no-color "$@")
        tree "$root" >"$tmp/$name.base"
        for where in "${POINTS[@]}"; do
                for n in $(seq 1 20); do
                        out=$tmp/$name.$where.$n
                        HOSTPREP_CRASH_POINT=$where:INT@$n "$HOSTPREP" apply "${args[@]}" >"$out" 2>&1
                        rc=$?
                        if [ $rc != 130 ]; then # never reached the Nth time: apply ran to its end
                                [ $rc = 0 ] || { fail "$name: apply with $where@$n exited $rc"; cat "$out"; }
                                [ "$n" = 1 ] && fail "$name: crash point $where never reached"
                                "$HOSTPREP" rollback --root "$root" >/dev/null 2>&1
                                break
                        fi
                        trials=$((trials + 1))
                        "$HOSTPREP" rollback --root "$root" >"$out.rollback" 2>&1 ||
                                { fail "$name: rollback after SIGINT at $where@$n failed"; cat "$out.rollback"; }
                        tree "$root" | diff -u "$tmp/$name.base" - >"$out.diff" ||
                                { fail "$name: SIGINT at $where@$n, then rollback: the root differs"; cat "$out.diff"; }
                        grep -q 'the lock is taken over' "$out.rollback" ||
                                fail "$name: rollback after SIGINT at $where@$n did not say it took the lock over"
                done
                echo "ok $name: SIGINT at $where (reached $((n - 1)) times): each rolled back to the original"
        done
        "$HOSTPREP" apply "${args[@]}" >"$tmp/$name.final" 2>&1 || { fail "$name: apply after it all exited $?"; cat "$tmp/$name.final"; }
        grep -q '^FIXED ' "$tmp/$name.final" || fail "$name: nothing FIXED by the last apply"
}

REMOVE=srv one nfs_server nfs.export/no_exports_file
REMOVE= one hypervisor_fstab nfs.mount/other_server --only nfs.mount.persistent

echo "$trials interrupted applies"
[ $failures = 0 ] && echo "all interrupt cases passed"
exit $((failures > 0))

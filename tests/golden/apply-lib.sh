# shellcheck shell=bash
# What apply-fixture and run-case share: hostprep apply against a copy of a fixture root (no root needed,
# nothing outside it changes). Sourced, not run.

# tree DIR: every path with its type, mode and content hash, except hostprep's own state
tree() { (cd "$1" && find . -path ./var/lib/hostprep -prune -o -printf '%y %m %p\n' | sort |
        while read -r type mode path; do
                if [ "$type" = f ]; then echo "$type $mode $path $(sha256sum <"$path" | cut -c1-16)"; else echo "$type $mode $path"; fi
        done); }

# apply_round_trip HOSTPREP NAME ROOT WORK FIXED-ID... (the arguments of every apply in the array rt_args):
# on ROOT, a copy it may change, --dry-run changes nothing and shows a diff, apply exits 0 with every
# FIXED-ID FIXED, a second apply changes nothing, rollback restores every file byte for byte and a second
# rollback is a no-op. WORK is a directory for its files. Says what failed; returns 1 if anything did.
# shellcheck disable=SC2154 # rt_args is the caller's
apply_round_trip() {
        local bin=$1 name=$2 root=$3 bad=0 rc id
        local work=$4/${2//\//_} # the files of this round trip: WORK/NAME.*
        shift 4
        mkdir -p "$root/var/lib" # as on any host: hostprep keeps its journal below it
        tree "$root" >"$work.before"

        "$bin" apply "${rt_args[@]}" --root "$root" --dry-run >"$work.dry" 2>&1
        tree "$root" >"$work.afterdry"
        cmp -s "$work.before" "$work.afterdry" || { echo "FAIL $name: --dry-run changed the root"; bad=1; }
        grep -q '^+++ b/' "$work.dry" || { echo "FAIL $name: --dry-run shows no diff"; bad=1; }

        "$bin" apply "${rt_args[@]}" --root "$root" >"$work.apply" 2>&1
        rc=$?
        [ $rc = 0 ] || { echo "FAIL $name: apply exited $rc"; cat "$work.apply"; bad=1; }
        for id in "$@"; do
                grep -q "^FIXED  $id " "$work.apply" || { echo "FAIL $name: $id is not FIXED"; cat "$work.apply"; bad=1; }
        done

        "$bin" apply "${rt_args[@]}" --root "$root" >"$work.again" 2>&1
        grep -q '^Nothing to change' "$work.again" || { echo "FAIL $name: a second apply changes something"; cat "$work.again"; bad=1; }

        "$bin" rollback --root "$root" >"$work.rollback" 2>&1 || { echo "FAIL $name: rollback failed"; cat "$work.rollback"; bad=1; }
        tree "$root" >"$work.after"
        diff -u "$work.before" "$work.after" || { echo "FAIL $name: rollback did not restore the root"; bad=1; }
        "$bin" rollback --root "$root" 2>&1 | grep -q 'already rolled back' || { echo "FAIL $name: a second rollback is not a no-op"; bad=1; }
        return $bad
}

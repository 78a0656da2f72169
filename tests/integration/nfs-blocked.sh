#!/bin/bash
# With TCP/UDP port 2049 dropped on h1 (nftables in h1's namespace), a libnfs call with a 2 s deadline
# returns within 2.5 s.
# usage: nfs-blocked.sh PATH-OF-nfs-smoke
. "$(dirname "$0")/lib.sh"
smoke=$(readlink -f "${1:?path of nfs-smoke}")

trap 'tb unblock h1 2049 >/dev/null || true' EXIT
tb block h1 2049 drop
t0=$(now_ms)
tb exec h2 "$smoke" bounded h1 /srv/nfs/images 2000 2500 || fail "not bounded with port 2049 dropped"
echo "ok: whole check incl. namespace entry took $(($(now_ms) - t0)) ms"
tb unblock h1 2049
trap - EXIT
tb exec h2 "$smoke" owner h1 /srv/nfs/images 3 0 >/dev/null || fail "NFS does not work after unblock"
echo "ok: NFS works again after unblock"

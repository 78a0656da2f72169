#!/bin/bash
# With nfs-ganesha frozen (SIGSTOP) on h1, a libnfs call with a 2 s deadline returns within 2.5 s.
# usage: nfs-frozen.sh PATH-OF-nfs-smoke
. "$(dirname "$0")/lib.sh"
smoke=$(readlink -f "${1:?path of nfs-smoke}")

trap 'tb thaw h1 ganesha >/dev/null || true' EXIT
tb freeze h1 ganesha
t0=$(now_ms)
tb exec h2 "$smoke" bounded h1 /srv/nfs/images 2000 2500 || fail "not bounded with ganesha frozen"
echo "ok: whole check incl. namespace entry took $(($(now_ms) - t0)) ms"
tb thaw h1 ganesha
trap - EXIT
# and the server answers again
tb exec h2 "$smoke" exports h1 5000 /srv/nfs/images >/dev/null || fail "ganesha does not answer after thaw"
echo "ok: ganesha answers again after thaw"

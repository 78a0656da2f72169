#!/bin/bash
# libnfs from h2 against nfs-ganesha on h1: export list under a deadline, root squash on/off (NFSv3 and v4).
# usage: nfs.sh PATH-OF-nfs-smoke
. "$(dirname "$0")/lib.sh"
smoke=$(readlink -f "${1:?path of nfs-smoke}")

tb exec h2 "$smoke" exports h1 2000 /srv/nfs/images /srv/nfs/squashed || fail "export list"
for v in 3 4; do
        tb exec h2 "$smoke" owner h1 /srv/nfs/squashed "$v" 65534 || fail "root_squash export (v$v)"
        tb exec h2 "$smoke" owner h1 /srv/nfs/images "$v" 0 || fail "no_root_squash export (v$v)"
done
echo "ok: exports listed, root squashed on /srv/nfs/squashed, not on /srv/nfs/images"

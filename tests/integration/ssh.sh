#!/bin/bash
# Key-only root ssh between test-bed hosts, with strict host key checking.
. "$(dirname "$0")/lib.sh"

check() {
        local from=$1 to=$2 out t0
        t0=$(now_ms)
        out=$(tb exec "$from" timeout 20 ssh -o BatchMode=yes -o StrictHostKeyChecking=yes \
                -o ConnectTimeout=5 "root@$to" 'hostname') || fail "ssh from $from to $to failed"
        [[ $out == "$to" ]] || fail "ssh from $from to $to landed on '$out'"
        echo "ok: ssh $from -> $to ($(($(now_ms) - t0)) ms)"
}

check h2 h1
check h3 h1
check h3 h2
# password logins are off: without a key, BatchMode must fail
if tb exec h2 timeout 20 ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes \
        -o IdentityFile=/dev/null -o ConnectTimeout=5 root@h1 true 2>/dev/null; then
        fail "ssh without a key got in"
fi
echo "ok: no login without a key"

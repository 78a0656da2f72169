# sh -c THIS sh QEMU ARGS...: QEMU in the background and a watcher that kills it when stdin (the SSH
# channel) reaches EOF. Background jobs of a non-interactive shell get /dev/null as stdin, hence fd 3.
# When QEMU exits by itself the watcher's shell is killed (its cat ends at the channel's EOF, killing
# nothing).
exec 3<&0
"$@" </dev/null 3<&- &
q=$!
{ cat <&3 >/dev/null; kill -9 $q; } >/dev/null 2>&1 &
w=$!
wait $q
rc=$?
kill $w 2>/dev/null
exit $rc

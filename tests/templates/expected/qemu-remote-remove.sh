# sh -c THIS sh DIR: kills what still runs from DIR (made by qemu-remote-setup.sh) and removes it
d=$1
case $d in /*/hostprep-migrate-*) ;; *) exit 2 ;; esac
for f in "$d"/*.pid; do
        [ -f "$f" ] || continue
        p=$(cat "$f")
        # only the QEMU that names this directory: the pid may have been reused
        [ -n "$p" ] && grep -qF "$d" "/proc/$p/cmdline" 2>/dev/null && kill -9 "$p"
done
rm -rf "$d"

# sh -c THIS sh EMULATOR, the canary kernel on stdin: a private directory with the kernel in it; prints it
command -v "$1" >/dev/null 2>&1 || { echo "$1 is not installed" >&2; exit 3; }
d=$(mktemp -d -t hostprep-migrate-XXXXXX) || exit 4
cat >"$d/canary.elf" || { rm -rf "$d"; exit 5; }
echo "$d"

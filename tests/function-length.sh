#!/bin/bash
# No function of the product code (lib/, checks/, provision/, migrate/, src/) is longer than 80 lines, so
# each one reads on a screen. A function is what clang-format (Linux braces) leaves as a line that opens
# with '{' in column 0 up to the next '}' in column 0.
#   function-length.sh SOURCE_ROOT [MAX]
cd "$1" || exit 1
max=${2:-80}
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "SKIP: not a git checkout"; exit 77; }
bad=0
for f in $(git ls-files 'lib/*.c' 'checks/*.c' 'provision/*.c' 'migrate/*.c' 'src/*.c'); do
        awk -v max="$max" -v file="$f" '
                /^[A-Za-z_].*\(/ && !/;[[:space:]]*$/ { name = $0 }
                /^\{/ { start = NR; next }
                /^\}/ && start { n = NR - start - 1; if (n > max) { printf "%s:%d: %d lines: %s\n", file, start, n, name; bad = 1 } start = 0 }
                END { exit bad }' "$f" || bad=1
done
[ $bad = 0 ] && echo "every function is at most $max lines"
exit $bad

#!/bin/bash
# Every C file of the tree is formatted with the repository's .clang-format.
#   format-check.sh SOURCE_ROOT
cd "$1" || exit 1
command -v clang-format >/dev/null || { echo "SKIP: clang-format is not installed"; exit 77; }
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || { echo "SKIP: not a git checkout"; exit 77; }
bad=0
for f in $(git ls-files '*.c' '*.h'); do
        if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
                echo "not formatted: $f (clang-format -i $f)"
                bad=1
        fi
done
exit $bad

#!/bin/bash
# The bash completion (completion/hostprep.bash.in, as built) driven through COMP_WORDS against the
# hostprep next to it: verbs, a verb's options, --format values, ids from `hostprep list` after a comma,
# profile names from --profile-path; the zsh completion parses (zsh -n) when zsh is installed.
#   completion.sh HOSTPREP BASH_COMPLETION ZSH_COMPLETION PROFILE_DIR
set -u
HOSTPREP=$(readlink -f "$1") BASH_FILE=$2 ZSH_FILE=$3 PROFILES=$4
[ -r /usr/share/bash-completion/bash_completion ] ||
        { echo "SKIP: bash-completion is not installed (tools/install-deps test)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# `hostprep` on PATH is the one under test
ln -s "$HOSTPREP" "$tmp/hostprep"

# complete WORD...: what the completion offers for the last word, sorted, one per line
complete_words() {
        PATH=$tmp:$PATH bash --norc --noprofile -c '
                . /usr/share/bash-completion/bash_completion
                . "$1"
                shift
                COMP_WORDS=("$@")
                COMP_CWORD=$(($# - 1))
                COMP_LINE="$*"
                COMP_POINT=${#COMP_LINE}
                _hostprep hostprep "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$BASH_FILE" "$@"
}
failures=0
expect() { # DESCRIPTION WANT GOT
        if [ "$2" != "$3" ]; then
                echo "FAIL $1: got '$(echo $3)', expected '$(echo $2)'"
                failures=$((failures + 1))
        else
                echo "ok $1: $(echo $3)"
        fi
}

expect "verbs after ch" "check" "$(complete_words hostprep ch)"
expect "every verb" "$("$HOSTPREP" help | sed -n -E '/^Verbs:/,/^$/ s/^  ([a-z]+) .*/\1/p' | sort)" \
        "$(complete_words hostprep '')"
got=$(complete_words hostprep check --f)
expect "check's options after --f" "$(printf '%s\n' --facts --format= | sort)" "$got"
expect "--format values" "$(printf '%s\n' json junit | sort)" "$(complete_words hostprep check --format j)"
ids=$("$HOSTPREP" list | awk '$1 ~ /^nfs\.export\./ {print "nfs.mount," $1}' | sort)
expect "ids after a comma" "$ids" "$(complete_words hostprep check --only nfs.mount,nfs.export.)"
expect "an option's argument is not the verb" "apply" \
        "$(complete_words hostprep --profile kvm-nfs app)"
expect "profiles of --profile-path" "golden" \
        "$(complete_words hostprep --profile-path "$PROFILES" check --profile gol)"
expect "migrate's --driver" "$(printf '%s\n' libvirt qemu)" "$(complete_words hostprep migrate --driver '')"

if command -v zsh >/dev/null; then
        if zsh -n "$ZSH_FILE"; then echo "ok zsh -n"; else echo "FAIL zsh -n $ZSH_FILE"; failures=$((failures + 1)); fi
else
        echo "zsh not installed: its completion not parsed"
fi
exit $((failures > 0))

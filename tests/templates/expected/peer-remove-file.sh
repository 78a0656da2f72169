# sh -c THIS sh PATH: removes what peer-ship-file.sh put there
rm -f -- "$1"

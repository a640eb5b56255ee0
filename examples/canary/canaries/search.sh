# Flaky: fails about one run in three.
if [ $(( $(od -An -N1 -tu1 /dev/urandom) % 3 )) -eq 0 ]; then echo "search timed out upstream" >&2; exit 1; fi
echo "search results shown"

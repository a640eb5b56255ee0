# Hangs: killed by its 2 s timeout, recorded as a timeout.
echo "waiting for /health"
sleep 30

# A canary mimics one thing a user does; this one always works.
echo "login page loads"

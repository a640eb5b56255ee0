# Broken until $CANARY_DIR/checkout-fixed exists.
if [ -e "$CANARY_DIR/checkout-fixed" ]; then echo "order placed"; exit 0; fi
echo "expected 'Order placed', got 'HTTP 500'" >&2
exit 1

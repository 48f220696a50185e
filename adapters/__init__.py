"""One module per channel: each parses its provider's requests and sends its replies."""

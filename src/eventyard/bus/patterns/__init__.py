"""EventBridge's event pattern language: check, compile, match."""

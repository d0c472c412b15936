"""The Lambda handlers: thin adapters between Step Functions (or EventBridge) and the domain functions."""

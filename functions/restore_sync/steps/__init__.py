"""The step handlers: thin adapters between Step Functions and the domain functions."""

"""Scenarios written once and run against two AWSes: the sandbox (`make test`) and an account (`make test-aws`)."""

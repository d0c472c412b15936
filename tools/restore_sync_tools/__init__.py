"""The operator's tools, in no Lambda zip: the `restore-sync` command line, reading executions and their
histories, rendering reports and progress, and the local console."""

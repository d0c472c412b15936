"""The workflow's domain: what each step of one execution decides, as plain functions of data and clients."""

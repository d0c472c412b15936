"""The local AWS: moto served in-process, with the extensions restore-sync needs, and the app deployed into it."""

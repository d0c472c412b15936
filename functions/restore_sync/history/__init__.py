"""The settings history: every version of each table's settings, recorded as they change, read at a restore."""

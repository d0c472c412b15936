"""Runs every benchmark and prints its figures."""

from __future__ import annotations

from bench import waiting


def main() -> None:
    waiting.main()


if __name__ == "__main__":
    main()

"""Runs every benchmark and prints its figures."""

from __future__ import annotations

from bench import demo, large, load, permissions, waiting


def main() -> None:
    demo.main()
    print()
    waiting.main()
    print()
    load.main()
    print()
    large.main()
    print()
    permissions.main()


if __name__ == "__main__":
    main()

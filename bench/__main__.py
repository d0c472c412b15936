"""Runs every benchmark and prints its figures."""

from __future__ import annotations

from bench import demo, load, waiting


def main() -> None:
    demo.main()
    print()
    waiting.main()
    print()
    load.main()


if __name__ == "__main__":
    main()

"""Extensions of moto, one module per AWS behaviour; `install()` applies them all, once.

Each module documents the AWS behaviour it reproduces, exposes an idempotent `install()`, and has a test of its
own under tests/sandbox/extensions/.
"""

from __future__ import annotations

import importlib
import threading

# Order matters only where a module says so in its docstring.
MODULES: list[str] = []

_installed = False
_lock = threading.Lock()


def install() -> None:
    """Applies every extension to the moto in this process; calling it again does nothing."""
    global _installed
    with _lock:
        if _installed:
            return
        for name in MODULES:
            importlib.import_module(f"{__name__}.{name}").install()
        _installed = True

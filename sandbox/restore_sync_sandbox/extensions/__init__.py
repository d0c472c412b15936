"""Extensions of moto, one module per AWS behaviour; `install()` applies them all, once.

Each module documents the AWS behaviour it reproduces, exposes an idempotent `install()`, and has a test of its
own under tests/sandbox/extensions/. Modules are found by name, so adding one needs no registration; they are
installed in name order.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading

_installed = False
_lock = threading.Lock()


def module_names() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))


def install() -> None:
    """Applies every extension to the moto in this process; calling it again does nothing."""
    global _installed
    with _lock:
        if _installed:
            return
        for name in module_names():
            importlib.import_module(f"{__name__}.{name}").install()
        _installed = True


def reset() -> None:
    """Returns every extension that keeps settings (restore durations, tracked calls...) to its defaults."""
    for name in module_names():
        module = importlib.import_module(f"{__name__}.{name}")
        if hasattr(module, "reset"):
            module.reset()

"""The demo's end-to-end wall time: sandbox up, app deployed, a table restored and made whole, compared."""

from __future__ import annotations

import time

from restore_sync_sandbox import demo

RUNS = 3
TARGET_SECONDS = 15.0


def main() -> None:
    walls = []
    for _ in range(RUNS):
        started = time.perf_counter()
        status = demo.run(show=lambda line: None)
        walls.append(time.perf_counter() - started)
        if status != 0:
            raise SystemExit("the demo failed: run `make demo` to see why")
    print(
        f"Demo end to end (restore CREATING for 300 s of sandbox time, virtual clock), {RUNS} runs: "
        f"best {min(walls):.1f} s, worst {max(walls):.1f} s (target: under {TARGET_SECONDS:.0f} s)"
    )

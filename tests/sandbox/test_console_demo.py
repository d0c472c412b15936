"""`restore-sync demo --console`: the demo says where the console is, the page answers for the demo's execution
while the demo keeps it open, and stopping ends it. The demo starts its own local AWS, so this module has no
shared sandbox fixture."""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any

from restore_sync_sandbox.demo import run

OPEN_LINE = "the console stays open at "


def test_demo_with_a_console_prints_where_to_open_it_and_keeps_it_open_until_stopped() -> None:
    lines: list[str] = []
    seen: dict[str, Any] = {}
    stop = threading.Event()

    def show(line: str) -> None:
        lines.append(line)
        if line.startswith(OPEN_LINE):
            url = line.removeprefix(OPEN_LINE).split()[0]
            with urllib.request.urlopen(f"{url}api/executions", timeout=30) as answer:
                seen["listed"] = json.loads(answer.read())["executions"]
            with urllib.request.urlopen(url, timeout=30) as page:
                seen["page"] = page.read().decode()
            stop.set()

    code = run(restore_seconds=60, show=show, console_port=0, stop=stop)

    text = "\n".join(lines)
    assert code == 0, text
    assert any(line.startswith("console: open http://127.0.0.1:") for line in lines)
    assert any(
        line.startswith("watch it in the console: http://127.0.0.1:") and "?execution=" in line for line in lines
    )
    assert [(e["status"], e["target"]) for e in seen["listed"]] == [("SUCCEEDED", "orders-restored")]
    assert "restore-sync console" in seen["page"]

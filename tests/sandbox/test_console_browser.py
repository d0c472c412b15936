"""The console in a real headless Chromium (the system's, driven through its chromedriver), against a sandbox with
one succeeded and one failed execution: the page lists both, colours the failed state failed, shows a step's
input and output on click, and shows the failing setting with its reason in the report table."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from restore_sync_sandbox import examples
from restore_sync_sandbox.extensions import dynamodb_restore
from restore_sync_sandbox.server import Sandbox
from restore_sync_tools.console import server
from tests.sandbox import app

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PAGE_WAIT_SECONDS = 30
# `make console-screenshot` sets this to docs/console.png; the test always saves one under its tmp_path.
SCREENSHOT_COPY = os.environ.get("CONSOLE_SCREENSHOT")


@pytest.fixture(scope="module")
def executions(sandbox: Sandbox) -> dict[str, Any]:
    """One succeeded execution (orders) and one failed (ledger: a trigger's function was deleted)."""
    outputs = app.deploy(sandbox)
    app.create_source(sandbox, "orders", items=3)
    made = examples.make_full_source(app.clients(sandbox), "ledger", items=3)
    sandbox.client("lambda").delete_function(FunctionName=made["function:audit"])
    for source in ("orders", "ledger"):
        dynamodb_restore.set_ready_after(f"{source}-restored", sandbox.region, 120)
        sandbox.client("dynamodb").restore_table_to_point_in_time(
            SourceTableName=source, TargetTableName=f"{source}-restored", UseLatestRestorableTime=True
        )
    machine = outputs["StateMachineArn"]
    succeeded = app.finished_execution(sandbox, machine, "orders-restored")
    failed = app.finished_execution(sandbox, machine, "ledger-restored")
    assert succeeded["status"] == "SUCCEEDED", succeeded.get("cause")
    assert failed["status"] == "FAILED"
    return {"machine": machine, "succeeded": succeeded, "failed": failed}


@pytest.fixture(scope="module")
def console_url(sandbox: Sandbox, executions: dict[str, Any]) -> Iterator[str]:
    console = server.Console(sandbox.client("stepfunctions"), executions["machine"], description="the sandbox")
    with server.serving(server.listen(console, port=0)) as url:
        yield url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """Headless Chromium from the Debian packages; `make test` installs them where they are missing."""
    assert Path(CHROMIUM).exists(), "run `make system-packages` (Debian package chromium)"
    assert Path(CHROMEDRIVER).exists(), "run `make system-packages` (Debian package chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1900",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver: WebDriver, css: str, check: Any = None) -> Any:
    """The element `css` selects once it exists (and `check(element)` holds); bounded."""

    def found(d: WebDriver) -> Any:
        elements = d.find_elements(By.CSS_SELECTOR, css)
        if elements and (check is None or check(elements[0])):
            return elements[0]
        return False

    return WebDriverWait(driver, PAGE_WAIT_SECONDS, poll_frequency=0.1).until(found, f"no {css} on the page")


def test_the_page_shows_the_failed_state_failed_and_the_failing_setting_with_its_reason(
    browser: WebDriver, console_url: str, executions: dict[str, Any], tmp_path: Path
) -> None:
    failed_arn = executions["failed"]["executionArn"]
    browser.get(server.page_url(console_url, failed_arn))

    failed_state = wait_for(
        browser, '#graph g.node[data-state="Restore sync failed"]', lambda e: e.get_attribute("data-status")
    )
    assert failed_state.get_attribute("data-status") == "failed"
    assert "st-failed" in (failed_state.get_attribute("class") or "")
    report_row = wait_for(browser, '#report-table tr[data-setting="triggers"]')
    assert report_row.find_element(By.CSS_SELECTOR, "td.status").text == "failed"
    assert "ledger-audit" in report_row.find_element(By.CSS_SELECTOR, "td.reason").text
    applied = browser.find_element(By.CSS_SELECTOR, '#report-table tr[data-setting="ttl"] td.status')
    assert applied.text == "applied"
    assert browser.find_element(By.ID, "execution-status").text == "FAILED"
    states = {
        node.get_attribute("data-state"): node.get_attribute("data-status")
        for node in browser.find_elements(By.CSS_SELECTOR, "#graph g.node[data-state]")
    }
    assert states["Send to dead-letter queue"] == "succeeded"
    assert states["Restored table is whole"] == "not-reached"
    assert states["Apply setting"] == "succeeded"

    # The list holds both executions, each with its status and target table.
    rows = browser.find_elements(By.CSS_SELECTOR, "#executions tbody tr")
    listed = {
        row.find_elements(By.TAG_NAME, "td")[1].text: row.find_elements(By.TAG_NAME, "td")[0].text for row in rows
    }
    assert listed == {"orders-restored": "SUCCEEDED", "ledger-restored": "FAILED"}

    # The picture of the page as it first opens on a failed execution (docs/console.png comes from here).
    screenshot = tmp_path / "console.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    if SCREENSHOT_COPY:
        shutil.copyfile(screenshot, SCREENSHOT_COPY)

    # A click on a state shows its input and output.
    browser.execute_script(
        "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))",
        browser.find_element(By.CSS_SELECTOR, '#graph g.node[data-state="Build report"]'),
    )
    output = wait_for(browser, "#step-output", lambda e: e.text.strip().startswith("{"))
    assert browser.find_element(By.ID, "step-name").text == "Build report"
    assert "SettingsFailed" in output.text


def test_choosing_the_succeeded_execution_colours_its_path_and_shows_its_report(
    browser: WebDriver, console_url: str, executions: dict[str, Any]
) -> None:
    browser.get(server.page_url(console_url, executions["succeeded"]["executionArn"]))
    whole = wait_for(
        browser, '#graph g.node[data-state="Restored table is whole"]', lambda e: e.get_attribute("data-status")
    )
    assert whole.get_attribute("data-status") == "succeeded"
    failed = browser.find_element(By.CSS_SELECTOR, '#graph g.node[data-state="Restore sync failed"]')
    assert failed.get_attribute("data-status") == "not-reached"
    row = wait_for(browser, '#report-table tr[data-setting="ttl"]')
    assert row.find_element(By.CSS_SELECTOR, "td.status").text == "applied"
    assert browser.find_element(By.ID, "report-outcome").text == "(outcome: succeeded)"


def test_the_json_answers_are_read_only_and_only_for_this_state_machine(
    console_url: str, executions: dict[str, Any]
) -> None:
    with urllib.request.urlopen(f"{console_url}api/executions", timeout=30) as answer:
        listed = json.loads(answer.read())
    assert {e["status"] for e in listed["executions"]} == {"SUCCEEDED", "FAILED"}
    assert all(e["durationSeconds"] >= 0 for e in listed["executions"])
    other = executions["failed"]["executionArn"].replace("RestoreSync", "Other")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{console_url}api/execution?arn={other}", timeout=30)
    assert refused.value.code == 404
    request = urllib.request.Request(f"{console_url}api/executions", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as posted:
        urllib.request.urlopen(request, timeout=30)
    assert posted.value.code == 501

"""The pages in a real headless Chromium against the app served on localhost.

An inspector works a warning from the queue to acknowledged; contractor1 uploads a payroll
with an error, reads the row error, uploads the fix and sees it accepted, and cannot open
P2's project page. The main pages are saved as screenshots in ``$WAGE_GUARD_SCREENSHOTS``
(``make screenshots`` sets it to ``docs/screenshots``, which the README shows), else in a
temporary folder.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.api.conftest import World, full_id_numbers
from tests.web.payroll import payroll_files
from wage_guard.app import create_app
from wage_guard.config import Settings
from wage_guard.context import AppContext

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(
    os.environ.get("WAGE_GUARD_SCREENSHOTS") or Path(tempfile.gettempdir()) / "wage_guard-pages"
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(app_settings: Settings, world: World) -> Iterator[str]:
    """The app served by uvicorn on a free localhost port; its base address."""
    context = AppContext(app_settings)
    port = _free_port()
    config = uvicorn.Config(create_app(context), host="127.0.0.1", port=port, log_level="warning")
    serving = uvicorn.Server(config)
    thread = threading.Thread(target=serving.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not serving.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    serving.should_exit = True
    thread.join(timeout=10)
    context.close()


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def _page(browser: object, base: str, width: int = 1280, height: int = 900):  # type: ignore[no-untyped-def]
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=base, viewport={"width": width, "height": height}, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _sign_in(page, world: World, user: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/sign-in")
    page.fill("#token", world.tokens[user])
    page.click("#sign-in")
    page.wait_for_load_state()


def _no_full_ids(page) -> None:  # type: ignore[no-untyped-def]
    assert not full_id_numbers(page.content())


def _shot(page, name: str, *, full_page: bool = True) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def test_inspector_works_a_warning_from_the_queue(
    server: str, browser: object, world: World
) -> None:
    page = _page(browser, server, height=1400)
    _sign_in(page, world, "inspector")
    assert page.url.endswith("/queue")
    page.wait_for_selector("#district-chart canvas")
    _shot(page, "queue.png", full_page=False)
    _no_full_ids(page)

    page.fill("input[name=district]", "和平区")
    page.fill("input[name=rule]", "attendance_unpaid")
    page.click("#apply-filters")
    page.wait_for_load_state()
    assert "district=" in page.url and "rule=attendance_unpaid" in page.url
    links = page.locator("a.alert-link")
    assert links.count() == 1
    links.first.click()
    page.wait_for_selector("#action-form")
    assert "*" in page.inner_text("table.evidence")  # the workers, masked
    _no_full_ids(page)
    _shot(page, "warning.png")

    page.fill("#reason", "已约谈总包单位，核查一月工资")
    page.click("#act-acknowledge")
    page.wait_for_selector("#done")
    history = page.inner_text("#history")
    assert "已约谈总包单位，核查一月工资" in history
    assert "核查中" in page.inner_text("h1")

    page.goto("/projects/P1")
    page.wait_for_selector("#wages-chart canvas")
    _no_full_ids(page)
    _shot(page, "project.png")


def test_contractor_fixes_a_refused_payroll(
    server: str, browser: object, world: World, tmp_path: Path
) -> None:
    bad, fixed = payroll_files(tmp_path)
    page = _page(browser, server, width=412, height=915)  # a phone
    _sign_in(page, world, "contractor1")
    page.goto("/imports")
    page.select_option("#kind", "payroll")
    page.set_input_files("#file", str(bad))
    page.click("#upload")
    page.wait_for_selector("#row-errors")
    first_error = page.locator("#row-errors tbody tr").first.inner_text()
    assert "3" in first_error and "wage_paid" in first_error
    assert page.locator("#errors-csv").count() == 1
    _no_full_ids(page)
    _shot(page, "import-result.png")

    page.goto("/imports")
    page.select_option("#kind", "payroll")
    page.set_input_files("#file", str(fixed))
    page.click("#upload")
    page.wait_for_selector("#outcome")
    assert "已导入" in page.inner_text("#outcome")
    assert page.locator("#row-errors").count() == 0

    response = page.goto("/projects/P2")
    assert response is not None and response.status == 404
    assert "未找到" in page.content()

"""`mgdsl serve` in a real browser: headless Chromium driven by selenium.

Open the page, type an error and see it marked, fix it and see the diagram change, save
and find the file on disk. The screenshot the README shows is taken here: set
`MGDSL_SCREENSHOT=docs/serve.png` to write it there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from serve_helpers import running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="Chromium and ChromeDriver are not installed "
                                       "(scripts/setup.sh installs them)")

NET = """\
use "std.mg"

# A two-grid multigrid network: edit me.
network Demo(c = 16) {
    input image: 3 x 32 x 32
    p = stems(image, [c, c / 2], levels = 2)
    p = mgcbr(p, [c, c / 2])
    output y = sigmoid(cb(p[0], 1))
}
"""
ANCHOR = "    p = mgcbr(p, [c, c / 2])"


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,860"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, what: str, timeout: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: condition(d), message=f"timed out waiting until {what}")


def _data(driver, key: str) -> str:
    return driver.execute_script(f"return document.body.dataset.{key} || ''")


def test_type_error_fix_and_save_in_chromium(tmp_path: Path, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    (tmp_path / "demo.mg").write_text(NET)
    with running_server(tmp_path, first="demo.mg") as server:
        browser.get(server.url)
        _wait(browser, lambda d: _data(d, "checks") == "1", "the first check is shown")
        figure = browser.find_element(By.ID, "figure")
        assert figure.is_displayed()
        first_diagram = figure.get_attribute("data-hash")
        assert "no problems" in browser.find_element(By.ID, "diagnostics").text
        assert "parameters" in browser.find_element(By.ID, "stats").text

        # type a line with an unclosed list: the error is listed and marked in the text
        text = browser.find_element(By.ID, "text")
        end_of_anchor = NET.index(ANCHOR) + len(ANCHOR)
        browser.execute_script("arguments[0].focus();"
                               "arguments[0].setSelectionRange(arguments[1], arguments[1]);",
                               text, end_of_anchor)
        text.send_keys("\n    p = mgcbr(p, [c, c / 2)")
        _wait(browser, lambda d: _data(d, "errors") not in ("", "0"), "an error is reported")
        marks = browser.find_elements(By.CSS_SELECTOR, "#marks mark.error")
        assert marks, "the error is not marked in the text"
        problems = browser.find_element(By.ID, "diagnostics").text
        assert "E1" in problems, problems  # a syntax error code
        assert "unsaved changes" in browser.find_element(By.ID, "status").text

        # fix it: the diagram gains a layer
        text.send_keys(Keys.BACKSPACE, "])")
        _wait(browser, lambda d: _data(d, "errors") == "0"
              and d.find_element(By.ID, "figure").get_attribute("data-hash") != first_diagram,
              "the fixed text is drawn")
        assert not browser.find_elements(By.CSS_SELECTOR, "#marks mark.error")

        # save with Ctrl+S and find the file on disk
        text.send_keys(Keys.CONTROL, "s")
        _wait(browser, lambda d: _data(d, "saves") == "1", "the file is saved")
        on_disk = (tmp_path / "demo.mg").read_text()
        assert on_disk == text.get_property("value")
        assert on_disk.count("p = mgcbr(p, [c, c / 2])") == 2
        assert "saved" in browser.find_element(By.ID, "status").text

        shot = Path(os.environ.get("MGDSL_SCREENSHOT") or tmp_path / "serve.png")
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000

"""`mgdsl serve` in a real browser: headless Chromium driven by selenium.

Open the page (with its token), see the text highlighted, type a mistake and find its
squiggle drawn and its message on hover, hover a name for its shapes per grid, click a
diagram box and land on the line that made it, and save a text with errors only after
confirming. A second test times keystroke -> new diagram on the largest zoo file.
Screenshots go to $MGDSL_SCREENSHOTS (a folder, e.g. docs/) when it is set.
"""

from __future__ import annotations

import os
import shutil
import statistics
from pathlib import Path

import pytest
from paths import ROOT
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
MISTAKE = "    q = mgcbrr(p, [c, c])"


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

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(
        lambda d: condition(d), message=f"timed out waiting until {what}")


def _data(driver, key: str) -> str:
    return driver.execute_script(f"return document.body.dataset.{key} || ''")


def _shot(driver, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("MGDSL_SCREENSHOTS") or tmp_path)
    driver.save_screenshot(str(folder / name))
    assert (folder / name).stat().st_size > 10_000


def _cursor_to(driver, offset: int) -> None:
    driver.execute_script("const v = window.mgEditor;"
                          "v.dispatch({selection: {anchor: arguments[0]}}); v.focus();", offset)


def _editor_text(driver) -> str:
    return driver.execute_script("return window.mgEditor.state.doc.toString()")


def _hover_text_at(driver, offset: int) -> None:
    """Move the mouse onto the character at `offset` of the editor's text."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    content = driver.find_element(By.CSS_SELECTOR, ".cm-content")
    dx, dy = driver.execute_script(
        "const v = window.mgEditor, c = v.coordsAtPos(arguments[0]);"
        "const r = v.contentDOM.getBoundingClientRect();"
        "return [c.left + 2 - (r.left + r.width / 2), (c.top + c.bottom) / 2 - (r.top + r.height / 2)];",
        offset)
    ActionChains(driver).move_to_element_with_offset(content, int(dx), int(dy)).perform()


def _park_mouse(driver) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    ActionChains(driver).move_to_element(driver.find_element(By.ID, "stats")).perform()


def test_edit_hover_click_and_save_in_chromium(tmp_path: Path, browser) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    (tmp_path / "demo.mg").write_text(NET)
    with running_server(tmp_path, first="demo.mg") as server:
        browser.get(server.token_url)
        _wait(browser, lambda d: _data(d, "checks") == "1", "the first check is shown")
        assert "token" not in browser.current_url  # kept in the cookie instead
        assert browser.find_elements(By.CSS_SELECTOR, "#figure svg g.box")
        first_diagram = _data(browser, "diagram")
        assert "no problems" in browser.find_element(By.ID, "diagnostics").text
        assert "parameters" in browser.find_element(By.ID, "stats").text

        # highlighting from the lexer's token table: `network` is a keyword, `Demo` a class
        colour = browser.execute_script(
            "const s = Array.from(document.querySelectorAll('.cm-line span'));"
            "const k = s.find(e => e.textContent === 'network');"
            "const n = s.find(e => e.textContent === 'Demo');"
            "return [getComputedStyle(k).color, getComputedStyle(n).color,"
            "        getComputedStyle(k.closest('.cm-line')).color];")
        assert colour[0] != colour[2] and colour[1] != colour[2] and colour[0] != colour[1]

        # type a mistake: the squiggle is drawn under the unknown name
        end_of_anchor = NET.index(ANCHOR) + len(ANCHOR)
        _cursor_to(browser, end_of_anchor)
        content = browser.find_element(By.CSS_SELECTOR, ".cm-content")
        content.send_keys(Keys.ENTER)
        browser.execute_script(  # no auto-indent surprises: the line starts empty
            "const v = window.mgEditor, l = v.state.doc.lineAt(v.state.selection.main.head);"
            "v.dispatch({changes: {from: l.from, to: l.to, insert: ''}});")
        content.send_keys(MISTAKE, Keys.ESCAPE)
        assert MISTAKE in _editor_text(browser)
        # checks ran while typing too: wait for the one of the whole line
        squiggle = _wait(browser, lambda d: d.execute_script(
            "return Array.from(document.querySelectorAll('.cm-lintRange-error'))"
            "  .find(e => e.textContent === 'mgcbrr')"), "the squiggle is drawn")
        assert _data(browser, "errors") == "1"
        style = browser.execute_script(
            "const s = getComputedStyle(arguments[0]);"
            "return [s.backgroundImage, s.backgroundRepeat, arguments[0].getBoundingClientRect().width];",
            squiggle)
        assert style[0].startswith("url(") and "svg" in style[0], style  # the wavy line
        assert style[1].startswith("repeat-x") and style[2] > 10
        assert "E2" in browser.find_element(By.ID, "diagnostics").text
        assert "unsaved changes" in browser.find_element(By.ID, "status").text

        # hover the squiggle: its message
        _hover_text_at(browser, NET.index(ANCHOR) + len(ANCHOR) + 1 + MISTAKE.index("mgcbrr") + 2)
        lint = _wait(browser, lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, ".cm-tooltip-lint")
                                         if e.is_displayed()], "the error's message shows on hover")[0]
        assert "mgcbrr" in lint.text and "E2" in lint.text
        _shot(browser, "serve-error.png", tmp_path)

        # fix it: the diagram gains the new layer
        fix_at = _editor_text(browser).index("mgcbrr") + len("mgcbrr")
        _park_mouse(browser)
        _cursor_to(browser, fix_at)
        content.send_keys(Keys.BACKSPACE)
        _wait(browser, lambda d: _data(d, "errors") == "0" and _data(d, "diagram") != first_diagram,
              "the fixed text is drawn")
        assert not browser.find_elements(By.CSS_SELECTOR, ".cm-lintRange-error")

        # hover a name: its shape per grid (the language server's hover)
        p_at = NET.index(ANCHOR) + ANCHOR.index("p")
        _hover_text_at(browser, p_at)
        hover = _wait(browser, lambda d: d.execute_script(
            "const e = Array.from(document.querySelectorAll('.cm-tooltip-hover .mg-hover'))"
            "  .find(e => e.innerText.includes('pyramid'));"
            "return e && e.getBoundingClientRect().height > 0 && e.innerText;"),
            "the name's shapes show on hover")
        assert "pyramid of 2 grids" in hover and "16 × 32 × 32" in hover \
            and "8 × 16 × 16" in hover, hover
        _shot(browser, "serve-hover.png", tmp_path)
        _park_mouse(browser)

        # click a diagram box: the cursor moves to the line that made it
        anchor_line = NET.split("\n").index(ANCHOR) + 1
        boxes = browser.find_elements(By.CSS_SELECTOR, f'#figure g.box[data-line="{anchor_line}"]')
        assert boxes, "no box of the mgcbr line"
        _cursor_to(browser, 0)
        assert _data(browser, "cursorLine") == "1"
        ActionChains(browser).move_to_element(boxes[0]).perform()
        tip = _wait(browser, lambda d: d.find_element(By.ID, "tooltip").is_displayed() and
                    d.find_element(By.ID, "tooltip"), "the box's tooltip shows")
        assert "op" in tip.text and "shape" in tip.text and "parameters" in tip.text
        assert "conv" in tip.text and "with" in tip.text and "relu" in tip.text, tip.text  # folded ops
        ActionChains(browser).click(boxes[0]).perform()
        _wait(browser, lambda d: _data(d, "cursorLine") == str(anchor_line),
              "the cursor is on the box's line")
        head_line = browser.execute_script(
            "const v = window.mgEditor; return v.state.doc.lineAt(v.state.selection.main.head).number")
        assert head_line == anchor_line
        # ... and the cursor's line lights its boxes up
        lit = browser.find_elements(By.CSS_SELECTOR, "#figure g.box.current")
        assert lit and all(b.get_attribute("data-line") == str(anchor_line) for b in lit)
        assert int(_data(browser, "litBoxes")) == len(lit) >= 2
        _shot(browser, "serve.png", tmp_path)

        # zoom and pan change the view
        view = lambda: browser.execute_script(  # noqa: E731
            "return document.querySelector('#figure svg').getAttribute('viewBox')")
        before = view()
        browser.find_element(By.ID, "zoom-in").click()
        zoomed = view()
        assert float(zoomed.split()[2]) < float(before.split()[2])
        figure = browser.find_element(By.ID, "figure")
        ActionChains(browser).move_to_element_with_offset(figure, -200, 150).click_and_hold() \
            .move_by_offset(120, 40).release().perform()
        assert view().split()[:2] != zoomed.split()[:2]
        browser.find_element(By.ID, "zoom-fit").click()
        assert view() == before

        # save a text with an error: only after confirming
        _cursor_to(browser, _editor_text(browser).index("mgcbr(p, [c, c])") + len("mgcbr"))
        content.send_keys("x")
        _wait(browser, lambda d: _data(d, "errors") == "1", "the new error is reported")
        content.send_keys(Keys.CONTROL, "s")
        dialog = _wait(browser, lambda d: d.find_element(By.ID, "confirm").is_displayed()
                       and d.find_element(By.ID, "confirm"), "the confirmation is asked")
        assert "1 error" in dialog.text
        _shot(browser, "serve-confirm.png", tmp_path)
        assert (tmp_path / "demo.mg").read_text() == NET
        browser.find_element(By.ID, "confirm-cancel").click()
        _wait(browser, lambda d: "not saved" in d.find_element(By.ID, "status").text,
              "cancelling leaves the file")
        assert (tmp_path / "demo.mg").read_text() == NET and _data(browser, "saves") == ""
        content.send_keys(Keys.CONTROL, "s")
        _wait(browser, lambda d: d.find_element(By.ID, "confirm").is_displayed(), "asked again")
        browser.find_element(By.ID, "confirm-save").click()
        _wait(browser, lambda d: _data(d, "saves") == "1", "the file is saved")
        assert (tmp_path / "demo.mg").read_text() == _editor_text(browser)
        assert "mgcbrx" in (tmp_path / "demo.mg").read_text()
        assert browser.find_element(By.ID, "status").text == "saved with 1 error"

        # and a clean text saves without asking
        _cursor_to(browser, _editor_text(browser).index("mgcbrx") + len("mgcbrx"))
        content.send_keys(Keys.BACKSPACE)
        _wait(browser, lambda d: _data(d, "errors") == "0", "fixed again")
        content.send_keys(Keys.CONTROL, "s")
        _wait(browser, lambda d: _data(d, "saves") == "2", "saved again")
        assert browser.find_element(By.ID, "status").text == "saved"
        assert not browser.find_element(By.ID, "confirm").is_displayed()
        assert (tmp_path / "demo.mg").read_text() == _editor_text(browser)

        # completion offers the blocks of std.mg
        _cursor_to(browser, _editor_text(browser).index("mgcbr(p, [c, c])") + 3)
        browser.execute_script("""
            const v = window.mgEditor, pos = v.state.selection.main.head;
            v.dispatch({changes: {from: pos - 3, to: pos + 2, insert: ''}});""")
        content.send_keys("mgp")
        options = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR,
                        ".cm-tooltip-autocomplete li"), "completions are offered")
        labels = [o.text for o in options]
        assert any(label.startswith("mgpool") for label in labels), labels


def test_keystroke_to_new_diagram_on_the_largest_zoo_file(tmp_path: Path, browser) -> None:
    """Each keystroke changes the class count of the largest zoo network (one character:
    `1000` <-> `100`); the time from the keystroke to the new diagram painted is measured in the
    page. Median target: 300 ms (docs/benchmarks.md)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from benchmarks.lsp import largest_zoo_file

    path, nodes = largest_zoo_file()
    text = path.read_text(encoding="utf-8")
    shutil.copy(path, tmp_path / path.name)
    site = text.index("classes = 1000") + len("classes = 1000")
    with running_server(tmp_path, first=path.name) as server:
        browser.get(server.token_url)
        _wait(browser, lambda d: _data(d, "checks") == "1", "the first check is shown")
        content = browser.find_element(By.CSS_SELECTOR, ".cm-content")
        _cursor_to(browser, site)
        keystrokes = 16
        for i in range(keystrokes):
            before = _data(browser, "diagram")
            content.send_keys(Keys.BACKSPACE if i % 2 == 0 else "0")
            _wait(browser, lambda d, n=i + 1, old=before: _data(d, "drawn") == str(n)
                  and _data(d, "diagram") != old, "the new diagram is drawn", timeout=60)
        latencies = browser.execute_script("return window.mgLatencies")
        timings = browser.execute_script("return window.mgTimings")
    assert len(latencies) == keystrokes
    median = statistics.median(latencies)
    print(f"\nkeystroke -> new diagram on {path.name} ({nodes} IR nodes): median {median:.0f} ms, "
          f"slowest {max(latencies):.0f} ms over {keystrokes} keystrokes; medians of its parts: "
          + ", ".join(f"{k} {statistics.median(t[k] for t in timings):.0f} ms"
                      for k in ("wait", "request", "check", "render", "show")))
    # the target holds on a machine with a core to spare; on one shared by more runnable
    # processes than cores, every part of the path slows alike, so it is reported, not asserted
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load > cores:
        pytest.skip(f"median {median:.0f} ms not asserted: load average {load:.1f} on {cores} cores")
    assert median <= 300, latencies


# Pygments token type prefix -> the page's style name (editors/web/src/grammar.js's TAGS)
PAGE_STYLES = ("Keyword.Declaration", "Keyword.Namespace", "Keyword.Constant", "Keyword",
               "Name.Function", "Name.Class", "Name.Variable", "Name.Attribute",
               "Name.Namespace", "Name", "Literal.Number", "Literal.String", "Comment",
               "Operator.Word", "Operator", "Punctuation", "Error")


def _runs(pairs) -> list[tuple[str, str]]:
    """Adjacent runs of one style merged; unstyled whitespace dropped."""
    out: list[list[str]] = []
    for style, text in pairs:
        for piece in text.split("\n"):
            if not piece.strip() and style is None:
                continue
            if out and out[-1][0] == style and piece:
                out[-1][1] += piece
            elif piece:
                out.append([style, piece])
    return [(s, t.strip()) for s, t in out if t.strip()]


def _pygments_runs(text: str) -> list[tuple[str, str]]:
    from pygments import lex

    from mgdsl.syntax.highlight import MgLexer

    def style(token) -> str | None:
        name = str(token).removeprefix("Token.")
        for prefix in PAGE_STYLES:
            if name == prefix or name.startswith(prefix + "."):
                return prefix.replace(".", "_")
        return None

    return _runs((style(t), v) for t, v in lex(text, MgLexer()))


def test_the_page_colours_every_token_as_pygments_does(tmp_path: Path, browser) -> None:
    """The editor's tokenizer runs MgLexer's own table: on every .mg file of the
    repository its runs of styles equal Pygments' (whitespace aside)."""
    root = ROOT
    files = sorted({*root.glob("architectures/*.mg"), *root.glob("mgdsl/stdlib/*.mg"),
                    *root.glob("tests/golden/**/*.mg"), *root.glob("examples/**/*.mg")})
    assert len(files) > 20
    (tmp_path / "demo.mg").write_text(NET)
    checked, styles = 0, set()
    with running_server(tmp_path, first="demo.mg") as server:
        browser.get(server.token_url)
        _wait(browser, lambda d: _data(d, "checks") == "1", "the page is ready")
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # a golden case of a file that is not UTF-8
            page = _runs(tuple(p) for p in browser.execute_script(
                "return window.mgTokenize(arguments[0])", text))
            assert page == _pygments_runs(text), path
            checked += 1
            styles |= {style for style, _ in page}
    assert checked > 20
    # the comparison has teeth: the files use nearly every style of the table
    assert {"Keyword_Declaration", "Keyword", "Name_Function", "Name_Class", "Name",
            "Literal_Number", "Comment", "Operator", "Punctuation", "Error"} <= styles, styles


def test_nothing_active_in_a_diagram_survives(tmp_path: Path, browser) -> None:
    """Graphviz escapes labels and the CSP blocks inline scripts; the page also strips
    whatever could run from the SVG before showing it."""
    (tmp_path / "demo.mg").write_text(NET)
    hostile = """<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
        viewBox="0 0 100 100" onload="window.pwned = 1">
      <script>window.pwned = 2</script>
      <g class="node"><title>n0</title>
        <a xlink:href="javascript:window.pwned = 3" xlink:title="n0: conv 1 + bn">
          <rect width="50" height="50" onclick="window.pwned = 4"/></a></g>
      <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">
        <img src="x" onerror="window.pwned = 5"/></div></foreignObject>
    </svg>"""
    with running_server(tmp_path, first="demo.mg") as server:
        browser.get(server.token_url)
        _wait(browser, lambda d: _data(d, "checks") == "1", "the page is ready")
        shown = browser.execute_script(
            "const ok = window.mgDiagram.show(arguments[0], {n0: {name: 'n0', op: 'conv',"
            "  shape: [1], args: {}, params: 0, line: 1, col: 1}});"
            "const svg = document.querySelector('#figure svg');"
            "return [ok, svg.querySelectorAll('script, foreignObject, title').length,"
            "        Array.from(svg.querySelectorAll('a')).map(a => a.attributes.length),"
            "        svg.querySelector('g.node').dataset.box, svg.querySelector('g.node').dataset.folded];",
            hostile)
        assert shown == [True, 0, [0], "n0", "bn"], shown
        rect = browser.find_element("css selector", "#figure rect")
        rect.click()
        assert browser.execute_script("return window.pwned === undefined")

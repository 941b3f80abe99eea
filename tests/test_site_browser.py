"""The documentation site in a real browser: built, served on 127.0.0.1 and opened in headless Chromium
(Debian's chromium and chromium-driver, which scripts/test installs). The tutorial page and the graph
guide show their graph pictures, fitting a 1280 px window without horizontal scrolling, and run no
JavaScript that fails. ROSENBLATT_SCREENSHOTS=DIR keeps a PNG of each page there."""
import base64
import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

WIDTH = 1280


@pytest.fixture(scope="module")
def server(built_site):
    handler = functools.partial(QuietHandler, directory=str(built_site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
        httpd.shutdown()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    assert chromium and driver_path, "Chromium and chromedriver are missing: bash scripts/test installs them " \
                                     "(apt-get install chromium chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={WIDTH},900", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def open_page(browser, url):
    """Open ``url``; the JavaScript errors (and failed loads) the page logged."""
    browser.get(url)
    browser.execute_script("return document.readyState")
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(browser, name):
    folder = os.environ.get("ROSENBLATT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))


def fits_the_window(browser, element):
    box = browser.execute_script("const r = arguments[0].getBoundingClientRect();"
                                 "return [r.left, r.right, r.width, r.height];", element)
    page = browser.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
                                  " window.innerWidth]")
    return box, page


@pytest.mark.parametrize("page, picture", [
    ("tutorial/", "svg"),                      # the notebook's inline graph: an <svg> in an output cell
    ("graphs/", "img[src$='neuron.svg']"),     # the guide's picture: an <img> of the SVG file
])
def test_graph_picture_is_visible_and_fits_1280px_without_horizontal_scrolling(server, browser, page, picture):
    errors = open_page(browser, f"{server}/{page}")
    assert errors == [], f"JavaScript errors on {page}: {errors}"
    from selenium.webdriver.common.by import By

    if picture == "svg":                       # mkdocs-jupyter shows an SVG output as an <img> of its data
        candidates = [e for e in browser.find_elements(By.CSS_SELECTOR, "[data-mime-type='image/svg+xml'] img")
                      if b"sigmoid" in base64.b64decode(e.get_attribute("src").split(",", 1)[1])]
    else:
        candidates = browser.find_elements(By.CSS_SELECTOR, picture)
    assert candidates, f"no graph picture on {page}"
    element = candidates[0]
    browser.execute_script("arguments[0].scrollIntoView()", element)
    screenshot(browser, page.strip("/"))
    assert element.is_displayed()
    (left, right, width, height), (scroll_width, client_width, inner_width) = fits_the_window(browser, element)
    assert width > 200 and height > 50, "the picture is drawn at a readable size"
    assert left >= 0 and right <= client_width, f"the picture runs past the window: {left}..{right} of {client_width}"
    assert scroll_width <= client_width, f"the page scrolls sideways: {scroll_width} > {client_width}"
    assert inner_width == WIDTH

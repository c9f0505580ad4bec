"""Helpers for the web UI's tests: a live server in a thread, headless Chromium through Selenium, a crawler.

The browser is Debian's ``chromium`` driven by its ``chromium-driver``, both named by path so that
Selenium never looks for (or downloads) a browser or driver of its own. Where they are missing the
browser tests skip with a message that says what to install; under CI (CI=true) they fail.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator
from urllib.parse import urljoin, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = Path(os.environ.get("NEWSFOLD_SCREENSHOTS", REPO / ".screenshots"))


@contextmanager
def live_server(folder: Path) -> Iterator[str]:
    """``newsfold serve``'s app on 127.0.0.1 and a free port, in a thread; yields the base URL."""
    import uvicorn

    from newsfold.web import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(folder), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def chromium_paths() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    if not (browser and driver):
        msg = ("headless Chromium not found: install Debian's browser and driver"
               " (apt-get install -y chromium chromium-driver) to run the browser tests")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + "; CI must have them")
        pytest.skip(msg)
    return browser, driver


def make_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = chromium_paths()
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1500",
                "--disable-extensions", "--no-first-run", "--disable-background-networking"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=driver), options=opts)


def screenshot(browser, name: str, height: int | None = None) -> Path:
    """A screenshot under .screenshots/ (ignored by git): the full page, or its top ``height`` pixels."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = height or browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(int(height), 800), 4000))
    path = SCREENSHOTS / f"{name}.png"
    browser.save_screenshot(str(path))
    browser.set_window_size(1280, 1500)
    return path


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for k, v in attrs:
            if v and ((tag == "a" and k == "href") or (tag == "link" and k == "href") or (tag in ("img", "script") and k == "src")):
                self.links.append(v)


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers.get("content-type", ""), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type", ""), e.read().decode("utf-8", "replace")


def crawl(base: str, start: str = "/", limit: int = 3000) -> dict[str, int]:
    """Every page reachable by links from ``start`` on this server: {url: status}."""
    seen: dict[str, int] = {}
    todo = [urljoin(base, start)]
    while todo and len(seen) < limit:
        url = todo.pop()
        if url in seen:
            continue
        status, ctype, body = get(url)
        seen[url] = status
        if "text/html" not in ctype:
            continue
        p = _Links()
        p.feed(body)
        for link in p.links:
            full = urljoin(url, link).split("#")[0]
            if urlsplit(full).netloc == urlsplit(base).netloc and full not in seen:
                todo.append(full)
    return seen

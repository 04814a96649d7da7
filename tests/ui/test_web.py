"""``coditect web`` in a real headless Chromium: the page loads, the app shows the
workspace, a key switches pane; a screenshot is kept (``test-artifacts/web-app.png``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from coditect_tui.commands.web import is_loopback

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CODITECT_ARTIFACTS", REPO / "test-artifacts"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
#: Before the page's own scripts: keep every byte the app sends (the terminal draws on a
#: canvas, so the page's DOM holds no text to read).
RECORD_OUTPUT = """
window.__appOutput = [];
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const socket = new Native(...args);
  socket.addEventListener("message", async (event) => {
    const data = event.data;
    const text = typeof data === "string" ? data
      : new TextDecoder().decode(data instanceof Blob ? await data.arrayBuffer() : data);
    window.__appOutput.push(text);
  });
  return socket;
};
window.WebSocket.prototype = Native.prototype;
Object.assign(window.WebSocket, Native);
"""
_ESCAPES = re.compile(
    r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``coditect web`` on a free loopback port over a workspace of two real repos; its
    address once it says it serves."""
    root = tmp_path / "ws"
    for name in ("alpha-service", "beta-library"):
        subprocess.run(["git", "init", "-q", str(root / name)], check=True)
    config = tmp_path / "config.yaml"
    tenant = {
        "name": "t",
        "principal": "me",
        "workspace_roots": [str(root)],
        "backend": {"kind": "local", "path": str(tmp_path / "store.db")},
    }
    config.write_text(json.dumps({"tenants": [tenant]}))
    env = {
        **os.environ,
        "CODITECT_CONFIG": str(config),
        **{
            f"XDG_{d}_HOME": str(tmp_path / d.lower()) for d in ("CONFIG", "DATA", "CACHE", "STATE")
        },
    }
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "coditect_tui", "web", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:  # the readiness signal: the server says where it serves
            if "Serving" in line:
                break
        else:
            pytest.fail(f"coditect web exited ({server.wait()}) before serving")
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


def _screen_text(driver: object) -> str:
    chunks = driver.execute_script("return window.__appOutput.join('')")  # type: ignore[attr-defined]
    return _ESCAPES.sub("", chunks)


@pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver;"
    " .ci/run installs them)",
)
def test_the_app_in_a_browser_shows_the_workspace_and_switches_pane(served: str) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,800",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_OUTPUT})
        driver.get(served)
        wait = WebDriverWait(driver, 90)  # a bound on a readiness condition, not a sleep
        wait.until(
            lambda d: (
                "-first-byte" in (d.find_element(By.TAG_NAME, "body").get_attribute("class") or "")
            )
        )
        wait.until(
            lambda d: "alpha-service" in _screen_text(d) and "beta-library" in _screen_text(d)
        )
        assert "Traceback" not in _screen_text(driver)
        before = len(_screen_text(driver))
        driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").send_keys("4")
        wait.until(lambda d: "/ search:" in _screen_text(d)[before:])  # the Memory pane
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(ARTIFACTS / "web-app.png"))
    finally:
        driver.quit()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False)],
)  # fmt: skip
def test_only_loopback_addresses_count_as_private(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_another_address_warns_that_the_page_has_no_login(tmp_path: Path) -> None:
    """A non-loopback address prints the warning first (here binding a documentation
    address then fails: one more line, exit 2, nothing served)."""
    done = subprocess.run(
        [sys.executable, "-m", "coditect_tui", "web", "--host", "192.0.2.1", "--port", "9"],
        env={
            **os.environ,
            **{f"XDG_{d}_HOME": str(tmp_path / d.lower()) for d in ("CONFIG", "DATA")},
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    warning, error = done.stderr.splitlines()
    assert "192.0.2.1 is reachable from other machines" in warning and "no login" in warning
    assert error.startswith("coditect: error: cannot listen on 192.0.2.1:9")
    assert done.returncode != 0

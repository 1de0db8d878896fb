"""Debian's chromium, headless, driven by Playwright: render a page, see what a reader sees."""

from __future__ import annotations

import os
import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import sync_playwright


def chromium() -> str:
    path = os.environ.get("SESAME_CHROMIUM") or shutil.which("chromium")
    assert path, "chromium not found: run `make setup` (it installs Debian's chromium)"
    return path


@dataclass
class Rendered:
    screenshot: Path
    size: tuple[int, int]  # the screenshot's width and height in pixels
    title: str = ""
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    sections: dict[str, dict] = field(default_factory=dict)  # id -> box, visible, text
    # selector -> (visible on screen, visible when printed)
    printed: dict[str, tuple[bool, bool]] = field(default_factory=dict)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def render(
    page: Path, screenshot: Path, sections: list[str], printed: tuple[str, ...] = ()
) -> Rendered:
    """Open `page` from disk, screenshot the whole page, note every request it makes, and
    whether each `printed` selector shows when the page is printed."""
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            requests: list[str] = []
            tab.on("request", lambda r: requests.append(r.url))
            tab.goto(page.resolve().as_uri(), wait_until="load")
            found = {}
            for sid in sections:
                loc = tab.locator(f"section#{sid}")
                found[sid] = {
                    "visible": loc.is_visible(),
                    "box": loc.bounding_box(),
                    "heading": loc.locator("h2").inner_text(),
                    "text": loc.inner_text(),
                }
            title = tab.title()
            tab.screenshot(path=str(screenshot), full_page=True)
            on_screen = {sel: tab.locator(sel).first.is_visible() for sel in printed}
            tab.emulate_media(media="print")
            on_paper = {sel: tab.locator(sel).first.is_visible() for sel in printed}
        finally:
            browser.close()
    both = {sel: (on_screen[sel], on_paper[sel]) for sel in printed}
    return Rendered(screenshot, png_size(screenshot), title, requests, found, both)

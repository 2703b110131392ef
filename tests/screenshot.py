"""`make screenshot`: the top of an HTML report as a PNG, taken in Debian's chromium.

python tests/screenshot.py REPORT.html OUT.png
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright


def main(report: str, picture: str) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("screenshot: chromium is not installed (make browser)")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.goto(Path(report).resolve().as_uri())
        page.screenshot(path=picture, full_page=False)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])

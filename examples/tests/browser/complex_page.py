"""Drives the complex example's page in headless Chromium (Debian's, through Playwright):
two browsers open the page; one sends a message and must see the service's answer, which
the other must not; both must see the ticks the coordinator publishes. Prints one line per
check; exits non-zero at the first that fails.

Usage: python3 complex_page.py PAGE_URL
"""

import shutil
import sys

from playwright.sync_api import expect, sync_playwright

TIMEOUT_MS = 30_000


def main(url):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("no chromium on PATH (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            sender, watcher = browser.new_page(), browser.new_page()
            errors = []
            for page in (sender, watcher):
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(url)
                expect(page.locator("#status")).to_have_text("open", timeout=TIMEOUT_MS)
            print("both pages connected")
            sender.fill("#text", "hello from chromium")
            sender.click("button[type=submit]")
            expect(sender.locator("#replies li")).to_contain_text(
                "the service heard: hello from chromium", timeout=TIMEOUT_MS
            )
            print("the sender saw the service's answer")
            for page in (sender, watcher):
                page.wait_for_function(
                    "Number(document.getElementById('ticks').textContent) >= 2",
                    timeout=TIMEOUT_MS,
                )
            print("both pages saw ticks")
            # The answer went to the page that asked, and only to it.
            assert watcher.locator("#replies li").count() == 0, "the watcher got the answer"
            print("the watcher saw no answer")
            assert not errors, f"page errors: {errors}"
        finally:
            browser.close()


if __name__ == "__main__":
    main(sys.argv[1])

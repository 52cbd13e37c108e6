"""Drives the control server's dashboard in headless Chromium (Debian's, through
Playwright): the page must show both processes up, then, once the test has stopped the
reports of LEAVES_ID, show it unreachable or down, with the event, without a reload; a
route's chart must have drawn and the pool a throughput. Prints one line per check (the
test acts on "both up"); exits non-zero at the first that fails. Leaves a screenshot.

Usage: python3 dashboard_page.py PAGE_URL STAYS_ID LEAVES_ID SCREENSHOT_PATH
"""

import re
import shutil
import sys

from playwright.sync_api import expect, sync_playwright

TIMEOUT_MS = 30_000


def state_of(page, process_id):
    return page.locator(f'#processes tr[data-id="{process_id}"] .state')


def main(url, stays, leaves, screenshot):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("no chromium on PATH (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "console",
                lambda m: errors.append(m.text) if m.type == "error" else None,
            )
            page.goto(url)
            expect(page.locator("#status")).to_have_text("live", timeout=TIMEOUT_MS)
            print("the feed is live", flush=True)
            # Anything that reloads or leaves the page loses this, and is counted.
            page.evaluate("window.__marker = 'still here'")
            navigations = []
            page.on(
                "framenavigated",
                lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
            )
            for process_id in (stays, leaves):
                expect(state_of(page, process_id)).to_have_text("up", timeout=TIMEOUT_MS)
            print("both up", flush=True)
            # The test now stops the reports of `leaves`.
            expect(state_of(page, leaves)).to_have_text(
                re.compile(r"^(unreachable|down)$"), timeout=TIMEOUT_MS
            )
            went = state_of(page, leaves).inner_text()
            print(f"{leaves} went {went}", flush=True)
            assert page.evaluate("window.__marker") == "still here", "the page was reloaded"
            assert not navigations, f"the page navigated: {navigations}"
            print("without a reload", flush=True)
            expect(
                page.locator(f'#events li[data-id="{leaves}"][data-to="{went}"]')
            ).to_have_count(1, timeout=TIMEOUT_MS)
            expect(page.locator("#events")).to_contain_text(f"up → {went}")
            print("the event is listed", flush=True)
            expect(state_of(page, stays)).to_have_text("up")
            # A chart of a route of the process that stays, with samples, drawn: some pixel
            # of its canvas is not transparent.
            page.wait_for_function(
                """id => [...document.querySelectorAll('canvas.chart')].some(canvas => {
                    if (canvas.dataset.process !== id || Number(canvas.dataset.samples) < 3) {
                        return false;
                    }
                    const { width, height } = canvas;
                    const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
                    return pixels.some((value, i) => i % 4 === 3 && value > 0);
                })""",
                arg=stays,
                timeout=TIMEOUT_MS,
            )
            print("a route chart is drawn", flush=True)
            page.wait_for_function(
                """id => [...document.querySelectorAll('#pools tr')].some(row =>
                    row.dataset.process === id && row.dataset.pool === 'jobs'
                    && Number(row.querySelector('.throughput').textContent) > 0
                    && Number(row.querySelector('.p50').textContent) === 2)""",
                arg=stays,
                timeout=TIMEOUT_MS,
            )
            print("the pool shows its throughput and latency", flush=True)
            page.screenshot(path=screenshot, full_page=True)
            print(f"screenshot {screenshot}", flush=True)
            assert not errors, f"page errors: {errors}"
        finally:
            browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])

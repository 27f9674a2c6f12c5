"""Browser tests of the web console: one headless Chromium per test module (module-scoped
`browser`), the console over the session's local stack (`console`), and `pump(name)` to deliver an
event source's queue now (the test stack runs without the pump)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import ConsoleDriver, start_chromium, unavailable  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    why = unavailable()
    if why:
        pytest.skip(f"no browser for the console tests: {why}")
    driver = start_chromium()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def console(stack, browser):
    c = ConsoleDriver(browser, stack.endpoint)
    c.open("signin")
    c.set_lang("en")
    return c


@pytest.fixture
def pump(stack):
    from infra.pump import Pump
    p = Pump(stack.app)

    def run(name: str) -> int:
        source = next(s for s in stack.app.event_sources if s.name == name)
        total = 0
        while True:
            got = p.deliver_once(source)
            if not got:
                return total
            total += got
    return run

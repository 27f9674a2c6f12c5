"""A headless Chromium for the console's browser tests (Debian's chromium + chromium-driver,
driven by Selenium), and a small driver over the console's pages.

`unavailable()` says why no browser can run here ("" when one can); the packages are installed
once per test run by infra/debian_deps.sh where that is possible."""
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "console"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
_checked: Optional[str] = None


def unavailable() -> str:
    global _checked
    if _checked is None:
        if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
            subprocess.run(["sh", str(ROOT / "infra" / "debian_deps.sh"), "chromium"], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
        try:
            import selenium  # noqa: F401
        except ImportError:
            _checked = "selenium is not installed (pip install -e '.[test]')"
        else:
            missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
            _checked = (f"{' and '.join(missing)} not installed (sh infra/debian_deps.sh chromium: Debian's "
                        "chromium and chromium-driver)") if missing else ""
    return _checked


def vendor_missing() -> str:
    vendor = ROOT / "functions" / "web" / "console" / "vendor"
    return "" if (vendor / ".installed").exists() else "the console's vendor JS is not installed (make console-vendor)"


def start_chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--lang=en-US", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-sync"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)


class ConsoleDriver:
    """The console in a browser: open pages, sign in, wait for elements, take screenshots."""

    def __init__(self, driver, endpoint: str) -> None:
        self.driver = driver
        self.url = f"http://{endpoint}/console/"

    # ---- navigation ----
    def open(self, path: str = "") -> None:
        self.driver.get(self.url + (f"#/{path}" if path else ""))

    def clear_session(self) -> None:
        if self.driver.current_url.startswith(self.url):
            self.driver.execute_script("sessionStorage.clear();")

    def set_lang(self, lang: str) -> None:
        """'en' or 'zh' (kept in localStorage; takes effect on the next page drawn)."""
        if not self.driver.current_url.startswith(self.url):
            self.open("signin")
        self.driver.execute_script("localStorage.setItem('gz.lang', arguments[0]);", lang)

    # ---- elements ----
    def wait(self, css: str, timeout: float = 10):
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait
        try:
            return WebDriverWait(self.driver, timeout).until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))
        except TimeoutException:
            raise AssertionError(f"{css} not shown within {timeout} s; the page, {self.driver.current_url}, "
                                 f"showed: {self.find('body').text[-1500:]!r}") from None

    def wait_text(self, css: str, text: str, timeout: float = 10):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(self.driver, timeout).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
        return self.find(css)

    def find(self, css: str):
        return self.driver.find_element("css selector", css)

    def find_all(self, css: str):
        return self.driver.find_elements("css selector", css)

    def click(self, css: str) -> None:
        self.wait(css).click()

    def fill(self, css: str, value: str) -> None:
        el = self.wait(css)
        el.clear()
        el.send_keys(value)

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def console_errors(self) -> list:
        try:
            return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]
        except Exception:
            return []

    # ---- sign-in ----
    def sign_in_key(self, acct: dict, region: str = "ap-guangzhou") -> None:
        """The administrator's sign-in: SecretId/SecretKey typed into the page."""
        self.open("signin")
        self.click(".tab[data-tab=admin]")
        self.fill("#signin-admin input[name=secretId]", acct["SecretId"])
        self.fill("#signin-admin input[name=secretKey]", acct["SecretKey"])
        from selenium.webdriver.support.ui import Select
        Select(self.wait("#signin-admin select[name=region]")).select_by_value(region)
        self.click("#signin-admin button[type=submit]")
        self.wait("#signout")
        self.wait("#nav a")

    def sign_in_bastion(self, owner_uin: str, user: str, password: str, code: str) -> None:
        self.open("signin")
        self.click(".tab[data-tab=bastion]")
        self.fill("#signin-bastion input[name=ownerUin]", owner_uin)
        self.fill("#signin-bastion input[name=userName]", user)
        self.fill("#signin-bastion input[name=password]", password)
        self.fill("#signin-bastion input[name=code]", code)
        self.click("#signin-bastion button[type=submit]")

    def session(self) -> Optional[dict]:
        return self.driver.execute_script("return JSON.parse(sessionStorage.getItem('gz.session'));")

    def wait_until(self, predicate, timeout: float = 10, what: str = "condition") -> None:
        from selenium.common.exceptions import StaleElementReferenceException
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if predicate():
                    return
            except StaleElementReferenceException:      # the page redrew what the predicate read
                pass
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

"""Browser-test harness: live demo server, system Chromium, screenshots and axe-core checks."""

import functools
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.helpers import CLICK_COUNTER, MEASURED

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
AXE_CORE_JS = Path(
    os.environ.get("AXE_CORE_JS", ROOT / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js")
)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
SERVER_START_TIMEOUT = 120  # seconds: migrations plus the demo's ~2,000 hydrants
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser/ as `browser`, before `-m` selects on it."""
    for item in items:
        if item.path.resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """Keep each phase's report on the item so the page fixtures know whether the test failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def db() -> None:
    """No in-process database here: the browser sees only the live server's own database."""
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo app on a fresh SQLite file, served by a subprocess; yields its base URL."""
    workdir = tmp_path_factory.mktemp("live_server")
    port = _free_port()
    env = {
        **os.environ,
        "CENTRAL_CONFIG": "testing",
        "TEST_DATABASE_URL": f"sqlite:///{workdir / 'browser.sqlite'}",
        "STORAGE_DIR": str(workdir / "storage"),
        "CENTRAL_INSTANCE_PATH": str(workdir / "instance"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, str(HERE / "_server.py"), str(port)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _answers(port):
            if server.poll() is not None:
                pytest.fail(f"live server exited with {server.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"live server did not answer within {SERVER_START_TIMEOUT} s:\n"
                    f"{log_path.read_text()}"
                )
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright; Playwright's own browser builds are never used."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/screenshots/NAME.png and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=path, full_page=True)
    return path


def _open_page(browser: Browser, request: pytest.FixtureRequest, **options) -> Iterator[Page]:
    # bypass_csp lets axe-core be injected while the app's own CSP stays strict.
    context = browser.new_context(locale="nl-BE", bypass_csp=True, **options)
    context.set_default_timeout(10_000)
    if AXE_CORE_JS.is_file():
        # Loaded with every page of the context (Chromium caches the compiled script): about
        # twice as fast as injecting it before each check. assert_accessible still injects it
        # where it is missing.
        context.add_init_script(script=_axe_source())
    context.add_init_script(script=CLICK_COUNTER)
    page = context.new_page()
    # Addresses the test types (page.goto) are steps of a journey too (helpers.Tally).
    page.central_addresses = 0
    goto = page.goto

    def counted_goto(url: str, **kwargs):
        page.central_addresses += 1
        return goto(url, **kwargs)

    page.goto = counted_goto
    yield page
    call = request.node.stash.get(REPORTS, {}).get("call")
    if call is not None and call.failed:
        try:
            shot(page, f"FAILED-{request.node.nodeid}")
        except Exception as error:  # a failed screenshot must not hide the test failure
            sys.stderr.write(f"could not save failure screenshot: {error}\n")
    context.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh desktop-sized page in its own context, Dutch (Belgium) locale."""
    yield from _open_page(browser, request, viewport=DESKTOP)


@pytest.fixture
def phone_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh phone-sized touch page in its own context, as a provider's crew uses it."""
    yield from _open_page(browser, request, viewport=PHONE, is_mobile=True, has_touch=True)


@functools.cache
def _axe_source() -> str:
    if not AXE_CORE_JS.is_file():
        pytest.fail(
            f"axe-core not found at {AXE_CORE_JS}: run `npm install --prefix .ci/axe axe-core@4` "
            "(or set AXE_CORE_JS)"
        )
    return AXE_CORE_JS.read_text(encoding="utf-8")


def _describe(violation: dict) -> str:
    lines = [f"[{violation['impact']}] {violation['id']}: {violation['help']}"]
    lines += [f"    {violation['helpUrl']}"]
    for node in violation["nodes"][:5]:
        lines.append(f"    at {', '.join(map(str, node['target']))}")
        lines += [f"      {line}" for line in node.get("failureSummary", "").splitlines()]
    if len(violation["nodes"]) > 5:
        lines.append(f"    ... and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Run axe-core (WCAG 2.1 A and AA) on the page; fail on any serious or critical violation."""
    page.wait_for_load_state()  # after a click the next page may still be loading its scripts
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=_axe_source())
    violations = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations",
        AXE_TAGS,
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        report = "\n".join(_describe(v) for v in blocking)
        pytest.fail(f"axe-core found accessibility violations on {page.url}:\n{report}")


JOURNEYS_HEADER = "| journey | device | clicks and taps | addresses typed |"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The measured journeys of this run, as a table (test-artifacts/journeys.md)."""
    if not MEASURED:
        return
    lines = [
        JOURNEYS_HEADER,
        "|---|---|---|---|",
    ]
    for journey, devices in sorted(MEASURED.items()):
        for device, (used, typed) in sorted(devices.items()):
            lines.append(f"| {journey} | {device} | {used} | {typed} |")
    path = ROOT / "test-artifacts" / "journeys.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sys.stderr.write("\nMeasured journeys (" + str(path) + "):\n" + "\n".join(lines) + "\n")
    readme = readme_journeys()
    if {row[2:].split(" | ")[0] for row in readme} <= set(MEASURED) and readme != lines[2:]:
        # A run that measured every journey of the README: its table must be this run's.
        sys.stderr.write(
            "\nThe README's journey table is not the measured one: copy "
            f"{path} into README.md (section Measured journeys).\n"
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def readme_journeys() -> list[str]:
    """The rows of the README's table of measured journeys, as journeys.md writes them."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split(JOURNEYS_HEADER + "\n|---|---|---|---|\n")
    if len(table) < 2:
        return []
    return [line for line in table[1].split("\n\n")[0].splitlines() if line.startswith("| ")]


@pytest.fixture(name="shot")
def shot_fixture() -> Callable[[Page, str], Path]:
    """`shot(page, name)` for tests, without importing from a conftest."""
    return shot


@pytest.fixture(name="assert_accessible")
def assert_accessible_fixture() -> Callable[[Page], None]:
    """`assert_accessible(page)` for tests, without importing from a conftest."""
    return assert_accessible

"""Browser fixtures: Jigsaw served from a throwaway SQLite database, driven by headless Chromium.

The server is the real `jigsaw serve`, started once per test session in a subprocess, on a
database built by `jigsaw migrate` and `jigsaw ingest` from the files in tests/system/data/, with
staff accounts made by `jigsaw user add`. Signing in takes a password and the 6-digit code an
authenticator app would show, computed here from the account's two-factor secret.
Each test gets a fresh browser context (no cookies), and `Ui.check()` screenshots the page and
runs axe-core on it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "system" / "data"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery-staple"
# A code is accepted once, so several staff share the sign-ins: each account allows two a
# period (this one's code and the next's) before a test would have to wait for the next.
USERNAMES = ["sam.taylor", "alex.morgan", "jo.bell", "kim.lee", "ravi.patel", "nina.costa"]
NEW_STARTER = "new.starter"  # keeps the one-time password it was given
SERIOUS = {"serious", "critical"}
STEP = 30


@dataclass
class Account:
    username: str
    password: str
    secret: bytes  # the TOTP key, from the otpauth:// URI `jigsaw user add` printed
    last_step: int = -1

    def code(self, step: int) -> str:
        digest = hmac.new(self.secret, step.to_bytes(8, "big"), hashlib.sha1).digest()
        offset = digest[-1] & 0x0F
        number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
        return f"{number % 1_000_000:06d}"

    def next_code(self) -> str | None:
        """An unused code the server accepts now and a moment from now, if there is one."""
        now = int(time.time()) // STEP
        step = max(self.last_step + 1, now)
        if step > now + 1:
            return None
        self.last_step = step
        return self.code(step)


@dataclass
class Server:
    url: str
    accounts: list[Account]
    new_starter: Account
    env: dict[str, str] = field(default_factory=dict)  # the server's environment (its database)
    workdir: Path = Path()
    _turn: int = 0

    def shell(self, code: str) -> None:
        """Run Python in Django's shell on the server's database (to set the scene)."""
        _run([sys.executable, str(ROOT / "manage.py"), "shell", "-c", code], self.env,
             self.workdir)  # fmt: skip

    def account(self) -> Account:
        """The next account with a code to spare (waiting for the next period if none has)."""
        while True:
            for _ in self.accounts:
                account = self.accounts[self._turn % len(self.accounts)]
                self._turn += 1
                if int(time.time()) // STEP + 1 > account.last_step:
                    return account
            time.sleep(STEP - time.time() % STEP + 0.1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(args: list[str], env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed:\n{done.stdout}\n{done.stderr}")


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jigsaw serve stopped:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"jigsaw serve did not answer at {url}:\n{log.read_text()}")


def _add_user(jigsaw: str, username: str, env: dict[str, str], cwd: Path) -> Account:
    args = [jigsaw, "user", "add", username, "--role", "social_worker", "--team", "Team A"]
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=True)
    password = re.search(r"first sign-in\): (\S+)", done.stdout)
    uri = re.search(r"otpauth://\S+", done.stdout)
    assert password, done.stdout
    assert uri, done.stdout
    secret = parse_qs(urlparse(uri[0]).query)["secret"][0]
    return Account(username, password[1], base64.b32decode(secret))


@pytest.fixture(scope="session")
def jigsaw_server(
    tmp_path_factory: pytest.TempPathFactory, system_template: _Template
) -> Iterator[Server]:
    """`jigsaw serve` on a free port, on a database holding the system-test records."""
    yield from serve(tmp_path_factory, system_template)


@dataclass
class _Template:
    """The system-test database, built once (migrate, ingest, staff) and copied for each server:
    a SQLite file, or a PostgreSQL database used as a template."""

    database_url: str
    accounts: list[Account]
    new_starter: Account


_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _server_env(database_url: str, workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "jigsaw.config.settings.base",
        "JIGSAW_DEBUG": "1",  # runserver serves the static files only when debugging
        "JIGSAW_STATIC_ROOT": str(workdir / "static"),
        "PYTHONUNBUFFERED": "1",
    }


def _postgres(sql: str) -> None:
    """Run one statement on the server the test run uses (as its maintenance database)."""
    import psycopg

    admin = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def _database_name(kind: str) -> str:
    # Unique, as parallel test processes each build their own.
    return f"jigsaw_browser_{kind}_{secrets.token_hex(6)}"


@pytest.fixture(scope="session")
def system_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Template]:
    """The system-test database, built once for the test process."""
    template = _template(tmp_path_factory)
    yield template
    if _POSTGRES:
        _postgres(f'DROP DATABASE IF EXISTS "{template.database_url.rsplit("/", 1)[1]}"')


def _template(tmp_path_factory: pytest.TempPathFactory) -> _Template:
    workdir = tmp_path_factory.mktemp("jigsaw-template")
    if _POSTGRES:
        name = _database_name("template")
        _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _postgres(f'CREATE DATABASE "{name}"')
        url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{workdir / 'db.sqlite3'}"
    env = _server_env(url, workdir)
    jigsaw = str(Path(sys.executable).parent / "jigsaw")
    _run([jigsaw, "migrate", "--verbosity", "0"], env, workdir)
    _run(
        [jigsaw, "ingest", str(DATA / "records.jsonl"), str(DATA / "corrections.jsonl")],
        env,
        workdir,
    )
    accounts = [_add_user(jigsaw, name, env, workdir) for name in [*USERNAMES, NEW_STARTER]]
    # Tests sign in with a known password; the new starter keeps its one-time one.
    known = (
        "from django.contrib.auth import get_user_model; "
        "from jigsaw.access.models import StaffProfile\n"
        f"for user in get_user_model().objects.filter(username__in={USERNAMES!r}):\n"
        f"    user.set_password({PASSWORD!r}); user.save()\n"
        f"StaffProfile.objects.filter(user__username__in={USERNAMES!r})"
        ".update(must_change_password=False)"
    )
    _run([sys.executable, str(ROOT / "manage.py"), "shell", "-c", known], env, workdir)
    for account in accounts[:-1]:
        account.password = PASSWORD
    return _Template(url, accounts[:-1], accounts[-1])


def serve(tmp_path_factory: pytest.TempPathFactory, template: Any) -> Iterator[Server]:
    """A server of one's own, on a fresh copy of the system-test database (on PostgreSQL when
    the test run is): a module whose tests change what the others count overrides
    `jigsaw_server` with a module-scoped fixture that yields from this."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (make browser)")
    if not (ROOT / "jigsaw" / "static" / "govuk" / "jigsaw.css").exists():
        pytest.fail("the front-end assets are not built (make assets)")
    workdir = tmp_path_factory.mktemp("jigsaw-server")
    if _POSTGRES:
        name = _database_name("server")
        template_name = template.database_url.rsplit("/", 1)[1]
        _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _postgres(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
        url = template.database_url.rsplit("/", 1)[0] + f"/{name}"
    else:
        source = Path(template.database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", workdir / f"db.sqlite3{suffix}")
        url = f"sqlite:///{workdir / 'db.sqlite3'}"
    env = _server_env(url, workdir)
    # Each server's database remembers its own used codes: its accounts start afresh.
    accounts = [replace(a, last_step=-1) for a in template.accounts]
    port = _free_port()
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jigsaw"), "serve", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url_served = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url_served}/sign-in", process, log)
        yield Server(
            url_served,
            accounts,
            replace(template.new_starter, last_step=-1),
            env=env,
            workdir=workdir,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if _POSTGRES:
            _postgres(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Headless Chromium for one module: Playwright's sync API runs an event loop in this thread
    while it is open, and Django refuses database work in a thread with a running loop, so it is
    closed before the process goes on to other tests."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (make browser)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Ui:
    """One person's browser tab on the server under test, checking each page it reaches."""

    page: Any
    server: Server
    name: str
    problems: list[str] = field(default_factory=list)
    shots: int = 0
    javascript: bool = True
    _account: Account | None = None

    def url(self, path: str) -> str:
        return self.server.url + path

    def visit(self, path: str) -> None:
        self.page.goto(self.url(path))

    def check(self, label: str) -> None:
        """Screenshot the page and fail on serious accessibility problems or broken assets."""
        from axe_playwright_python.sync_playwright import Axe

        self.page.wait_for_load_state("load")
        fonts_loaded = self.page.evaluate(
            "document.fonts.ready.then(() => [...document.fonts]"
            ".some(f => f.family.includes('GDS Transport') && f.status === 'loaded'))"
        )
        if not fonts_loaded:
            self.problems.append("the GOV.UK font did not load")
        self.shots += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(
            path=str(SCREENSHOTS / f"{self.name}-{self.shots:02d}-{label}.png"), full_page=True
        )
        if self.javascript:
            results = Axe().run(self.page)
        else:
            copy = self._copy_with_javascript()
            try:
                results = Axe().run(copy)
            finally:
                copy.context.close()
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"])
            for v in results.response["violations"]
            if v.get("impact") in SERIOUS
        ]
        assert not serious, f"accessibility problems on {label}:\n" + "\n".join(serious)
        assert not self.problems, f"problems loading {label}:\n" + "\n".join(self.problems)

    def _copy_with_javascript(self) -> Any:
        """The page as served, in a tab where axe can run (Jigsaw's own script stays off)."""
        html = self.page.content()
        context = self.page.context.browser.new_context(viewport=self.page.viewport_size)
        copy = context.new_page()
        copy.route(self.page.url, lambda route: route.fulfill(body=html, content_type="text/html"))
        copy.route("**/jigsaw/init.js", lambda route: route.abort())
        copy.goto(self.page.url)
        return copy

    @property
    def account(self) -> Account:
        """The staff account this tab signs in as (chosen on first use)."""
        if self._account is None:
            self._account = self.server.account()
        return self._account

    def enter_code(self, *, press_enter: bool = False) -> None:
        """On the code page: type the code the account's authenticator app shows now."""
        code = self.account.next_code()
        while code is None:
            time.sleep(STEP - time.time() % STEP + 0.1)
            code = self.account.next_code()
        field = self.page.get_by_label("Enter the 6-digit code from your authenticator app")
        field.fill(code)
        if press_enter:
            field.press("Enter")
        else:
            self.page.get_by_role("button", name="Continue").click()

    def sign_in(self) -> None:
        self.visit("/sign-in")
        self.page.get_by_label("Username").fill(self.account.username)
        self.page.get_by_label("Password", exact=True).fill(self.account.password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(r".*/sign-in/code.*"))
        self.enter_code()
        self.page.wait_for_url(self.url("/"))


def _watch(ui: Ui) -> None:
    page = ui.page

    def on_response(response: Any) -> None:
        if response.status >= 400 and "/static/" in response.url:
            ui.problems.append(f"{response.status} {response.url}")

    def on_console(message: Any) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            ui.problems.append(f"console error: {message.text}")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: ui.problems.append(f"page error: {error}"))


def _ui(chromium: Any, server: Server, request: pytest.FixtureRequest, **options: Any) -> Ui:
    context = chromium.new_context(viewport={"width": 1024, "height": 768}, **options)
    request.addfinalizer(context.close)
    page = context.new_page()
    page.set_default_timeout(10_000)
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.removeprefix("test_").lower()).strip("-")
    ui = Ui(page, server, name, javascript=options.get("java_script_enabled", True))
    _watch(ui)
    return ui


@pytest.fixture
def ui(chromium: Any, jigsaw_server: Server, request: pytest.FixtureRequest) -> Ui:
    """A fresh browser tab, signed out."""
    return _ui(chromium, jigsaw_server, request)


@pytest.fixture
def ui_without_js(chromium: Any, jigsaw_server: Server, request: pytest.FixtureRequest) -> Ui:
    """A fresh browser tab with JavaScript switched off."""
    return _ui(chromium, jigsaw_server, request, java_script_enabled=False)

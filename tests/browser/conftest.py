"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live server.

Playwright's sync API runs an asyncio loop in the test thread; Django refuses ORM calls while a loop
runs unless told otherwise, and the tests' own factory calls need the ORM.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("ZLV_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "mot-de-passe-solide-2026"  # tests.factories.UserFactory's password


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} est introuvable : installez-le avec `apt-get install -y chromium` (make chromium)."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Factory of pages on the live server; each records console errors (CSP violations…) in `page.errors`."""
    contexts = []

    def make(viewport=DESKTOP, **context_options):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport,
            locale="fr-FR",
            is_mobile=viewport["width"] < 768,
            has_touch=viewport["width"] < 768,
            **context_options,
        )
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop-sized page (1280 px) on the live server."""
    return new_page()


def sign_in(page, user, password=PASSWORD):
    """Sign in through the real form, as a user would."""
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    return page


@pytest.fixture
def signed_in_page(new_page, transactional_db):
    """`signed_in_page(user, viewport=PHONE)` → a page where `user` is signed in."""

    def make(user, viewport=DESKTOP, password=PASSWORD):
        return sign_in(new_page(viewport), user, password)

    return make

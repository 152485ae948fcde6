"""The API documentation renders its operations in a real browser, under our CSP."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_address_shows_the_documented_operations(page):
    page.goto("/api/v1/")

    expect(page).to_have_url(re.compile(r"/api/v1/docs$"))
    expect(page.get_by_role("heading", name=re.compile("Zéro Logement Vacant"))).to_be_visible()
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/housing").first
    expect(operation).to_be_visible()
    assert page.locator(".opblock").count() >= 10
    # Opening an operation shows its parameters, drawn from the schema.
    operation.click()
    expect(page.get_by_text("Parameters").first).to_be_visible()
    assert page.errors == []

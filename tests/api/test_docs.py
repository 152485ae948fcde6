"""The API documentation page works under our CSP: our own static files, scripts with the nonce."""

import re
from html.parser import HTMLParser

from django.conf import settings
from django.contrib.staticfiles import finders


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.stylesheets = [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"])


def static_file(url: str) -> str | None:
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    return finders.find(url.removeprefix(prefix)) if url.startswith(prefix) else None


def test_docs_use_only_our_static_files_and_the_csp_nonce(client, db):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assets = Assets()
    assets.feed(html)
    executable = [script for script in assets.scripts if script.get("type") != "application/json"]
    assert [script.get("src") for script in executable] == [
        "/static/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js",
        "/static/js/api_docs.js",
    ]
    assert all(script.get("nonce") == nonce for script in executable)
    assert "/static/vendor/swagger-ui-dist-5.35.0/swagger-ui.css" in assets.stylesheets
    assert all(static_file(url) for url in [*assets.stylesheets, *(s["src"] for s in executable)])


def test_the_api_address_leads_to_its_documentation(client, db):
    response = client.get("/api/v1/")

    assert response.status_code == 302
    assert response["Location"] == "/api/v1/docs"

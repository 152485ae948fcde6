import re

import pytest

from tests.factories import CommuneFactory, EstablishmentFactory, UserFactory
from zlv.accounts.enums import Role


@pytest.fixture
def agent(db):
    commune = CommuneFactory(code="59350")
    establishment = EstablishmentFactory(name="Métropole Européenne de Lille", communes=[commune])
    return UserFactory(establishment=establishment, first_name="Camille", last_name="Martin")


@pytest.mark.django_db
def test_layout_shows_header_navigation_feedback_and_footer(client, agent, settings):
    settings.FEEDBACK_URL = "https://avis.example.test/zlv"
    client.force_login(agent)

    response = client.get("/parc-de-logements")

    html = response.content.decode()
    assert response.status_code == 200
    assert "République" in html and "Française" in html
    assert "Zéro Logement Vacant" in html
    nav = html[html.index('id="navigation-principale"') :]
    for label, url in [
        ("Parc de logements", "/parc-de-logements"),
        ("Groupes", "/groupes"),
        ("Campagnes", "/campagnes"),
        ("Périmètres", "/perimetres"),
    ]:
        assert f'href="{url}"' in nav and label in nav
    assert re.search(r'href="/parc-de-logements"\s+target="_self"\s+aria-current="page"', nav)
    assert (
        '<a class="fr-btn fr-icon-feedback-line" href="https://avis.example.test/zlv">Je donne mon avis</a>'
        in html
    )
    assert "Camille Martin" in html and "Métropole Européenne de Lille" in html
    assert 'action="/deconnexion"' in html
    for footer_link in ["Accessibilité : non conforme", "Mentions légales", "Données personnelles"]:
        assert footer_link in html
    assert 'lang="fr"' in html
    assert 'name="viewport"' in html
    # Everything comes from our static files: no CDN.
    assert "/static/dsfr/dist/dsfr/dsfr.min.css" in html
    assert not re.search(r'(src|href)="(https?:)?//[^"]*\.(js|css)"', html)


@pytest.mark.django_db
def test_user_without_establishment_sees_an_explanation(client):
    client.force_login(UserFactory())

    response = client.get("/parc-de-logements")

    assert response.status_code == 200
    assert "Aucune structure rattachée" in response.content.decode()


@pytest.mark.django_db
def test_every_navigation_entry_leads_to_a_working_page(client, agent):
    """No dead end: an entry that only announced a section "coming soon" has no place in the menu."""
    client.force_login(agent)
    html = client.get("/parc-de-logements").content.decode()
    nav = html[
        html.index('id="navigation-principale"') : html.index(
            "</nav>", html.index('id="navigation-principale"')
        )
    ]

    urls = re.findall(r'href="([^"]+)"', nav)

    assert len(urls) == nav.count("<li")  # every entry is a link, no sub-menu left without one
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Bientôt disponible" not in response.content.decode(), url


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/analyses", "/analyses/parc-vacant", "/analyses/lutte", "/ressources"])
def test_placeholder_sections_are_gone(client, agent, url):
    client.force_login(agent)

    assert client.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/accessibilite", "Déclaration d’accessibilité"),
        ("/mentions-legales", "Mentions légales"),
        ("/donnees-personnelles", "Données personnelles"),
    ],
)
def test_footer_pages_are_public(client, url, title):
    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{title}</h1>" in html
    # Anonymous visitors get no navigation, a sign-in link instead.
    assert "navigation-principale" not in html
    assert 'href="/connexion"' in html


@pytest.mark.django_db
def test_csp_header_with_a_nonce_on_dsfr_scripts(client, agent):
    client.force_login(agent)

    response = client.get("/parc-de-logements")

    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    html = response.content.decode()
    assert 'src="/static/dsfr/dist/dsfr/dsfr.module.min.js"' in html
    assert f'nonce="{nonce}"' in html
    # Every inline script (none today) must carry the nonce.
    for script in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html):
        assert f'nonce="{nonce}"' in script


@pytest.mark.django_db
def test_csp_header_on_public_pages(client):
    assert "Content-Security-Policy" in client.get("/connexion")


@pytest.mark.django_db
def test_visitor_sees_their_role_in_the_account_menu(client):
    user = UserFactory(establishment=EstablishmentFactory(), establishment__role=Role.VISITOR)
    client.force_login(user)

    response = client.get("/parc-de-logements")

    assert "Rôle : Visiteur (lecture seule)" in response.content.decode()

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.signals import request_finished
from django.db import close_old_connections
from PIL import Image

from tests.factories import CommuneFactory, EstablishmentFactory, HousingFactory, UserFactory
from tests.housing.document_samples import SAMPLES, heic_bytes, upload
from zlv.accounts.enums import Role
from zlv.accounts.models import Membership
from zlv.housing import document_services
from zlv.housing.document_files import preview_name
from zlv.housing.models import Document, Event, HousingDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def douai(db):
    return CommuneFactory(code="59178")


@pytest.fixture
def establishment(douai):
    return EstablishmentFactory(communes=[douai])


@pytest.fixture
def agent(establishment):
    return UserFactory(establishment=establishment)


@pytest.fixture
def housing(douai):
    return HousingFactory(geo_code="59178", address_dgfip="12 RUE DE BELLAING, DOUAI")


@pytest.fixture
def photo(agent, housing):
    (document,) = document_services.documents_upload(
        housing_ids=[housing.pk], files=[upload("façade.png")], by=agent
    )
    return document


@pytest.fixture
def pdf(agent, housing):
    (document,) = document_services.documents_upload(
        housing_ids=[housing.pk], files=[upload("arrêté.pdf")], by=agent
    )
    return document


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def consume(response) -> bytes:
    """The body of a file response, then closed as the test client closes responses (without the
    signal that would end the test's database connection)."""
    content = b"".join(response.streaming_content)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return content


def test_record_page_lists_documents_with_thumbnails_and_preview_links(client, agent, housing, photo, pdf):
    client.force_login(agent)

    response = client.get(f"/logements/{housing.pk}")

    html = response.content.decode()
    assert f'src="/logements/{housing.pk}/documents/{photo.pk}/apercu"' in html
    assert f'href="/logements/{housing.pk}/documents/{pdf.pk}/apercu"' in html
    assert f'href="/logements/{housing.pk}/documents/{pdf.pk}"' in html
    assert 'capture="environment"' in html
    assert "Prendre une photo" in html
    assert "/media/" not in html


def test_upload_with_htmx_returns_the_tab(client, agent, housing):
    client.force_login(agent)

    response = client.post(
        f"/logements/{housing.pk}/documents",
        {"files": [upload("plan.pdf"), upload("photo.jpg")]},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "2 documents ont bien été ajoutés." in text_of(response)
    assert Document.objects.filter(establishment=agent.active_establishment).count() == 2


def test_upload_without_javascript_redirects_to_the_documents_page(client, agent, housing):
    client.force_login(agent)

    response = client.post(f"/logements/{housing.pk}/documents", {"files": upload("plan.pdf")}, follow=True)

    assert response.redirect_chain == [(f"/logements/{housing.pk}/documents", 302)]
    assert "Le document « plan.pdf » a bien été ajouté." in text_of(response)


def test_disguised_file_shows_an_error_next_to_the_field_and_saves_nothing(client, agent, housing):
    client.force_login(agent)

    response = client.post(
        f"/logements/{housing.pk}/documents",
        {"files": upload("facture.pdf", b"MZ\x90\x00" + bytes(64))},
        headers={"HX-Request": "true"},
    )

    # 200: htmx swaps no 4xx response, and the errors must show (a page gets 422).
    assert response.status_code == 200
    assert 'class="fr-upload-group fr-upload-group--error"' in response.content.decode()
    assert "Le contenu de « facture.pdf » ne correspond pas à un fichier .pdf" in text_of(response)
    assert not Document.objects.exists()


def test_oversized_file_is_refused(client, agent, housing, settings):
    settings.DOCUMENT_MAX_SIZE_BYTES = 50
    client.force_login(agent)

    response = client.post(f"/logements/{housing.pk}/documents", {"files": upload("photo.png")})

    assert response.status_code == 422
    assert "la taille maximale est de 50" in text_of(response)
    assert not Document.objects.exists()


def test_no_file_chosen(client, agent, housing):
    client.force_login(agent)

    response = client.post(f"/logements/{housing.pk}/documents", {})

    assert response.status_code == 422
    assert "Veuillez choisir au moins un fichier." in text_of(response)


def test_download_and_preview_headers(client, agent, housing, photo, pdf):
    client.force_login(agent)

    download = client.get(f"/logements/{housing.pk}/documents/{photo.pk}")
    preview = client.get(f"/logements/{housing.pk}/documents/{pdf.pk}/apercu")

    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "fa%C3%A7ade.png" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert consume(download) == SAMPLES["png"]
    assert preview["Content-Type"] == "application/pdf"
    assert preview["Content-Disposition"].startswith("inline;")
    assert preview["X-Content-Type-Options"] == "nosniff"
    consume(preview)


def test_no_preview_for_office_files(client, agent, housing):
    (document,) = document_services.documents_upload(
        housing_ids=[housing.pk], files=[upload("a.docx")], by=agent
    )
    client.force_login(agent)

    assert client.get(f"/logements/{housing.pk}/documents/{document.pk}/apercu").status_code == 404
    response = client.get(f"/logements/{housing.pk}/documents/{document.pk}")
    assert response.status_code == 200
    consume(response)


def test_heic_photo_is_previewed_as_jpeg_and_downloaded_as_sent(client, agent, housing):
    original = heic_bytes(width=2400, height=1200)
    (document,) = document_services.documents_upload(
        housing_ids=[housing.pk], files=[upload("façade.HEIC", original)], by=agent
    )
    client.force_login(agent)

    record = client.get(f"/logements/{housing.pk}").content.decode()
    preview = client.get(f"/logements/{housing.pk}/documents/{document.pk}/apercu")
    again = client.get(f"/logements/{housing.pk}/documents/{document.pk}/apercu")
    download = client.get(f"/logements/{housing.pk}/documents/{document.pk}")

    assert f'src="/logements/{housing.pk}/documents/{document.pk}/apercu"' in record
    assert preview.status_code == 200
    assert preview["Content-Type"] == "image/jpeg"
    assert preview["Content-Disposition"].startswith("inline;")
    assert "fa%C3%A7ade.jpg" in preview["Content-Disposition"]
    assert preview["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(preview.content)) as picture:
        assert (picture.format, picture.size) == ("JPEG", (1600, 800))
    # Converted once: the copy is kept next to the original and served again.
    assert default_storage.exists(preview_name(document.file.name))
    assert again.content == preview.content
    assert download["Content-Type"] == "image/heic"
    assert download["Content-Disposition"].startswith("attachment;")
    assert consume(download) == original


def test_unreadable_heic_has_no_preview_but_downloads(client, agent, housing):
    (document,) = document_services.documents_upload(
        housing_ids=[housing.pk], files=[upload("abîmée.heic")], by=agent
    )
    client.force_login(agent)

    assert client.get(f"/logements/{housing.pk}/documents/{document.pk}/apercu").status_code == 404
    assert consume(client.get(f"/logements/{housing.pk}/documents/{document.pk}")) == SAMPLES["heic"]


def test_deleting_a_heic_photo_deletes_its_preview(
    client, agent, housing, django_capture_on_commit_callbacks
):
    (document,) = document_services.documents_upload(
        housing_ids=[housing.pk], files=[upload("photo.heic", heic_bytes())], by=agent
    )
    client.force_login(agent)
    client.get(f"/logements/{housing.pk}/documents/{document.pk}/apercu")
    names = (document.file.name, preview_name(document.file.name))
    assert all(default_storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/logements/{housing.pk}/documents/{document.pk}/supprimer")

    assert not any(default_storage.exists(name) for name in names)


def test_another_establishment_gets_404_even_on_the_same_dwelling(client, douai, housing, photo):
    neighbour = UserFactory(establishment=EstablishmentFactory(communes=[douai]))
    client.force_login(neighbour)

    assert client.get(f"/logements/{housing.pk}/documents/{photo.pk}").status_code == 404
    assert client.get(f"/logements/{housing.pk}/documents/{photo.pk}/apercu").status_code == 404
    assert photo.filename not in client.get(f"/logements/{housing.pk}").content.decode()


def test_a_dwelling_out_of_the_perimeter_gets_404(client, agent, establishment, photo):
    # The same establishment, through a dwelling it cannot see.
    other = HousingFactory(geo_code="59606")
    HousingDocument.objects.create(document=photo, housing=other)
    client.force_login(agent)

    assert client.get(f"/logements/{other.pk}/documents/{photo.pk}").status_code == 404


def test_a_member_who_switched_establishment_gets_404(client, agent, housing, photo):
    elsewhere = EstablishmentFactory(communes=[CommuneFactory(code="59606")])
    Membership.objects.create(user=agent, establishment=elsewhere)
    agent.active_establishment = elsewhere
    agent.save()
    client.force_login(agent)

    assert client.get(f"/logements/{housing.pk}/documents/{photo.pk}").status_code == 404


def test_anonymous_is_redirected_to_sign_in(client, housing, photo):
    response = client.get(f"/logements/{housing.pk}/documents/{photo.pk}")

    assert response.status_code == 302
    assert response["Location"].startswith("/connexion")


def test_deleted_document_is_gone(client, agent, housing, photo):
    document_services.document_remove(document=photo, by=agent)
    client.force_login(agent)

    assert client.get(f"/logements/{housing.pk}/documents/{photo.pk}").status_code == 404


def test_rename_with_htmx(client, agent, housing, photo):
    client.force_login(agent)

    form = client.get(
        f"/logements/{housing.pk}/documents/{photo.pk}/renommer", headers={"HX-Request": "true"}
    )
    response = client.post(
        f"/logements/{housing.pk}/documents/{photo.pk}/renommer",
        {"filename": "Façade sud"},
        headers={"HX-Request": "true"},
    )

    assert 'value="façade.png"' in form.content.decode()
    assert "Le document a été renommé « Façade sud.png »." in text_of(response)
    assert Event.objects.filter(kind="document:updated", document=photo).count() == 1


def test_rename_refuses_an_empty_name(client, agent, housing, photo):
    client.force_login(agent)

    response = client.post(f"/logements/{housing.pk}/documents/{photo.pk}/renommer", {"filename": ""})

    assert response.status_code == 422
    assert "Veuillez saisir le nom du document." in text_of(response)


def test_delete_asks_for_confirmation_then_deletes(client, agent, housing, photo):
    client.force_login(agent)

    confirmation = client.get(f"/logements/{housing.pk}/documents/{photo.pk}/supprimer")
    response = client.post(
        f"/logements/{housing.pk}/documents/{photo.pk}/supprimer", {"scope": "all"}, follow=True
    )

    assert "Voulez-vous vraiment supprimer « façade.png » ?" in text_of(confirmation)
    assert "Le document « façade.png » a été supprimé." in text_of(response)
    photo.refresh_from_db()
    assert photo.deleted_at is not None
    assert Event.objects.filter(kind="housing:document-removed", housing=housing).exists()


def test_delete_offers_to_detach_a_shared_document(client, agent, housing):
    other = HousingFactory(geo_code="59178")
    (document,) = document_services.documents_upload(
        housing_ids=[housing.pk, other.pk], files=[upload("a.pdf")], by=agent
    )
    client.force_login(agent)

    confirmation = client.get(f"/logements/{housing.pk}/documents/{document.pk}/supprimer")
    client.post(f"/logements/{housing.pk}/documents/{document.pk}/supprimer", {"scope": "housing"})

    assert "aussi rattaché à 1 autre logement" in text_of(confirmation)
    assert list(HousingDocument.objects.values_list("housing_id", flat=True)) == [other.pk]


def test_visitors_read_but_do_not_see_write_controls(client, establishment, housing, photo):
    visitor = UserFactory(establishment=establishment, establishment__role=Role.VISITOR)
    client.force_login(visitor)

    html = client.get(f"/logements/{housing.pk}").content.decode()
    download = client.get(f"/logements/{housing.pk}/documents/{photo.pk}")

    assert "Ajouter des documents" not in html
    assert "/renommer" not in html
    assert download.status_code == 200
    consume(download)
    assert client.post(f"/logements/{housing.pk}/documents", {"files": upload("a.pdf")}).status_code == 403


# ---- Bulk edit -------------------------------------------------------------------------------


def test_bulk_edit_page_offers_to_attach_a_document(client, agent, housing):
    client.force_login(agent)

    response = client.get(f"/parc-de-logements/edition-groupee?housingIds={housing.pk}")

    assert f'action="/parc-de-logements/edition-groupee/documents?housingIds={housing.pk}"' in (
        response.content.decode()
    )


def test_bulk_upload_attaches_the_document_to_each_selected_dwelling(client, agent, housing):
    others = [HousingFactory(geo_code="59178") for _ in range(2)]
    ids = [housing.pk, *(other.pk for other in others)]
    client.force_login(agent)

    response = client.post(
        "/parc-de-logements/edition-groupee/documents?housingIds=" + ",".join(str(pk) for pk in ids),
        {"files": upload("courrier.pdf")},
        follow=True,
    )

    assert "Le document « courrier.pdf » a bien été ajouté à 3 logements." in text_of(response)
    document = Document.objects.get()
    assert set(document.housing_links.values_list("housing_id", flat=True)) == set(ids)


def test_bulk_upload_refuses_a_disguised_file(client, agent, housing):
    client.force_login(agent)

    response = client.post(
        f"/parc-de-logements/edition-groupee/documents?housingIds={housing.pk}",
        {"files": upload("photo.png", b"<html></html>")},
    )

    assert response.status_code == 422
    assert "ne correspond pas à un fichier .png" in text_of(response)
    assert not Document.objects.exists()


def test_bulk_upload_of_a_dwelling_out_of_the_perimeter_is_404(client, agent):
    other = HousingFactory(geo_code="59606")
    client.force_login(agent)

    response = client.post(
        f"/parc-de-logements/edition-groupee/documents?housingIds={other.pk}", {"files": upload("a.pdf")}
    )

    assert response.status_code == 404
    assert not Document.objects.exists()

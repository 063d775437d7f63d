"""The participants pages: nothing typed is lost on a refusal, a stale save shows both versions (409),
the other site's children are not found, and the pages speak Chinese."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.participants import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def consented(team, site, docs):
    child = h.screen(team["coordinator"], site)
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    return child


def _vitals_post(**changes):
    values = {**h.eligible_values()["vitals"], **changes}
    return {f"vitals-{k}": v for k, v in values.items()}


def test_a_refused_value_is_shown_beside_its_field_and_kept(team, consented, client):
    client.force_login(team["coordinator"])
    url = reverse("participant_form_save", args=[consented.pk, "vitals"])
    response = client.post(url, _vitals_post(weight_kg="16.99", hr="fast"))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="16.99"' in html and 'value="fast"' in html
    # The capture room's messages name the field (the form records moved there): "Body weight: at most …".
    assert "Body weight: at most 1 decimal places." in html and "Heart rate: enter a whole number" in html


def test_a_stale_save_is_a_409_showing_both_versions(team, consented, client):
    client.force_login(team["coordinator"])
    url = reverse("participant_form_save", args=[consented.pk, "vitals"])
    assert client.post(url, {**_vitals_post(), "vitals-version": "0"}).status_code == 302
    assert client.post(url, {**_vitals_post(hr="91"), "vitals-version": "1", "vitals-reason": "recount"}).status_code == 302
    stale = client.post(url, {**_vitals_post(hr="99"), "vitals-version": "1", "vitals-reason": "old tab"})
    html = stale.content.decode()
    assert stale.status_code == 409 and "changed by someone else" in html
    assert "<td>91</td><td>99</td>" in html.replace(" ", "")
    assert 'value="99"' in html  # what was typed is still in the form


def test_entry_before_consent_is_refused_on_the_page(team, site, client):
    child = h.screen(team["coordinator"], site)
    client.force_login(team["coordinator"])
    page = client.get(reverse("participant_screening", args=[child.pk])).content.decode()
    assert "Data entry is refused until valid consent exists" in page
    response = client.post(reverse("participant_form_save", args=[child.pk, "vitals"]), _vitals_post())
    assert response.status_code == 400 and "valid consent" in response.content.decode()


def test_screening_a_child_keeps_what_was_typed_on_a_refusal(team, site, client):
    client.force_login(team["coordinator"])
    ident = h.identity()
    data = {**ident, "id_number": ident["id_number"][:-1] + ("1" if ident["id_number"][-1] != "1" else "2"),
            "site": site.code, "screened_on": str(timezone.localdate()), "consent_language": "zh-hans"}
    response = client.post(reverse("participant_screen"), data)
    html = response.content.decode()
    assert response.status_code == 400 and "check character does not match" in html
    assert h.PLANTED_NAME in html and data["id_number"] in html


def test_the_consent_form_names_its_missing_witness(team, site, docs, client):
    child = h.screen(team["coordinator"], site)
    client.force_login(team["investigator"])
    response = client.post(reverse("consent_record", args=[child.pk]), {f"consent-{k}": v for k, v in {
        "kind": "assent", "document": docs["assent"].pk, "obtained_at": timezone.now().strftime("%Y-%m-%dT%H:%M"),
        "method": "pictorial", "outcome": "given", "guardian_can_read": "on"}.items()})
    assert response.status_code == 400
    assert "A witness is required here" in response.content.decode()


def test_the_whole_path_on_the_pages(team, site, docs, client):
    client.force_login(team["investigator"])
    child = h.screen(team["coordinator"], site)
    when = timezone.now().strftime("%Y-%m-%dT%H:%M")
    for kind, extra in (("guardian", {"guardian_slot": "1"}), ("assent", {})):
        response = client.post(reverse("consent_record", args=[child.pk]), {f"consent-{k}": v for k, v in {
            "kind": kind, "document": docs[kind].pk, "obtained_at": when, "method": "written", "outcome": "given",
            "guardian_can_read": "on", "password": PASSWORD, **extra}.items()})
        assert response.status_code == 302, response.content.decode()[:2000]
    client.force_login(team["coordinator"])
    for form, values in h.eligible_values().items():
        data = {f"{form}-{k}": v for k, v in values.items()}
        assert client.post(reverse("participant_form_save", args=[child.pk, form]), data).status_code == 302
    client.force_login(team["investigator"])
    assert client.post(reverse("eligibility_sign", args=[child.pk]), {"password": PASSWORD}).status_code == 302
    client.force_login(team["coordinator"])
    assert client.post(reverse("participant_enrol", args=[child.pk]), {}).status_code == 302
    page = client.get(reverse("participant_detail", args=[child.pk])).content.decode()
    assert "ASD-01-0001-" in page and "Cohort 1" in page and 'id="visits"' in page


def test_other_sites_children_are_not_found(team, site, other_site, client, make_user):
    child = h.screen(team["coordinator"], site)
    client.force_login(make_user("crc-sh", "coordinator", at=other_site, pii=True))
    assert client.get(reverse("participant_detail", args=[child.pk])).status_code == 404
    assert child.screening_number not in client.get(reverse("participant_list")).content.decode()


@pytest.mark.parametrize("name", ["participant_list", "funnel", "visits_due", "consent_documents", "prescreening_log"])
def test_pages_speak_chinese(name, team, client):
    client.force_login(team["coordinator"])
    html = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-hans"' in html
    for english in ("Participants", "Visits due", "Screening funnel", "Consent documents"):
        assert f">{english}<" not in html


def test_the_funnel_figure_downloads(team, client):
    client.force_login(team["coordinator"])
    png = client.get(reverse("funnel_figure", args=["png"]))
    pdf = client.get(reverse("funnel_figure", args=["pdf"]))
    assert png.content.startswith(b"\x89PNG") and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("funnel_figure", args=["gif"])).status_code == 404
    assert "<svg" in client.get(reverse("funnel")).content.decode()


def test_an_enrolled_childs_page_opens_the_rest_of_the_casebook(protocol, client):
    """From the participant page, one click reaches the child's forms, labs, safety and queries (the rooms that
    hold the rest of the casebook), in both languages."""
    from django.urls import reverse

    from celltrial.accounts.models import User
    from celltrial.demo import load_demo
    from celltrial.participants.models import Participant

    load_demo(out=lambda line: None)
    child = Participant.objects.filter(dosed_on__isnull=False).order_by("dosed_on").first()
    client.force_login(User.objects.get(username="investigator"))
    html = client.get(reverse("participant_detail", kwargs={"pk": child.pk})).content.decode()
    for name, kwargs in (("capture_participant", {"pk": child.pk}), ("labs_participant", {"participant_id": child.pk}),
                         ("safety_participant", {"participant_id": child.pk}),
                         ("quality_participant", {"pk": child.pk})):
        url = reverse(name, kwargs=kwargs)
        assert f'href="{url}"' in html
        assert client.get(url).status_code == 200, name
    client.cookies["django_language"] = "zh-hans"
    assert "实验室检查与生命体征" in client.get(reverse("participant_detail", kwargs={"pk": child.pk})).content.decode()

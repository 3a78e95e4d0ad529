"""The organisation services: the rules, who may change what, the audit trail, and the list
query's filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from caseflow.audit.models import AuditEvent
from caseflow.organisations.choices import District, Sector
from caseflow.organisations.models import ContactPerson, Organisation
from caseflow.organisations.queries import (
    OrganisationFilters,
    list_organisations,
    name_matches,
    organisation_contact,
)
from caseflow.organisations.rules import normalise_website, website_problem
from caseflow.organisations.services import (
    ContactData,
    OrganisationData,
    OrganisationError,
    OrganisationNotPermitted,
    StaleForm,
    create_contact,
    fingerprint,
    may_edit_contact,
    update_contact,
    update_organisation,
)
from caseflow.staff.models import Role
from tests import factories

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def _data(**changes) -> OrganisationData:
    values = {
        "name": "Jugendamt Pankow",
        "sector": Sector.BUERGERDIENST,
        "subtype": "jugendamt",
        "district": District.PANKOW,
        "address": None,
        "website": None,
        "staff_size": None,
    }
    values.update(changes)
    return OrganisationData(**values)


def _change_behind_the_session(session, model, row_id: int, **values) -> None:
    """Change a row in the database without the session's objects noticing (as another
    transaction would)."""
    session.execute(
        update(model).where(model.id == row_id).values(**values),
        execution_options={"synchronize_session": False},
    )


def _events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- organisations --------------------------------------------------------------------------


def test_update_changes_the_columns_and_records_old_and_new_values(session, make_staff):
    lead = make_staff(Role.LEAD)
    organisation = factories.make_organisation(session, name="Jugendamt Test")
    changes = update_organisation(
        session,
        organisation,
        data=_data(website="jugendamt.example.org", staff_size=40),
        actor=lead,
        now=NOW,
    )
    assert organisation.website == "https://jugendamt.example.org"
    assert changes == {
        "name": ["Jugendamt Test", "Jugendamt Pankow"],
        "district": ["mitte", "pankow"],
        "website": [None, "https://jugendamt.example.org"],
        "staff_size": [None, 40],
    }
    [event] = _events(session, "organisation.updated")
    assert (event.object_type, event.object_id, event.actor_id) == (
        "organisation",
        organisation.id,
        lead.id,
    )
    assert event.changes == changes
    assert event.occurred_at == NOW


def test_update_without_changes_records_nothing(session, make_staff):
    organisation = factories.make_organisation(session, name="Jugendamt Pankow")
    data = _data(district=District.MITTE)
    assert (
        update_organisation(session, organisation, data=data, actor=make_staff(Role.ADMIN), now=NOW)
        == {}
    )
    assert _events(session, "organisation.updated") == []


def test_consultants_may_not_update(session, make_staff):
    organisation = factories.make_organisation(session, name="Jugendamt Test")
    with pytest.raises(OrganisationNotPermitted):
        update_organisation(
            session, organisation, data=_data(), actor=make_staff(Role.CONSULTANT), now=NOW
        )
    assert organisation.name == "Jugendamt Test"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": " \t "}, "name", "Bitte geben Sie den Namen der Organisation an."),
        ({"name": "n" * 201}, "name", "höchstens 200 Zeichen"),
        ({"subtype": "krankenhaus"}, "subtype", "passt nicht zum gewählten Bereich"),
        ({"sector": Sector.SONSTIGE}, "subtype", "„Sonstige“"),
        ({"website": "javascript:alert(1)"}, "website", "Web-Adresse"),
        ({"website": "amt.de/" + "a" * 293}, "website", "höchstens 300 Zeichen"),
        ({"address": "a" * 301}, "address", "höchstens 300 Zeichen"),
        ({"staff_size": 0}, "staff_size", "zwischen 1 und 1.000.000"),
        ({"staff_size": 1_000_001}, "staff_size", "zwischen 1 und 1.000.000"),
    ],
)
def test_update_refuses_what_breaks_a_rule(session, make_staff, changes, field, message):
    organisation = factories.make_organisation(session, name="Jugendamt Test")
    with pytest.raises(OrganisationError) as refused:
        update_organisation(
            session, organisation, data=_data(**changes), actor=make_staff(Role.LEAD), now=NOW
        )
    assert refused.value.field == field
    assert message in str(refused.value)
    session.expire_all()
    assert organisation.name == "Jugendamt Test"
    assert _events(session, "organisation.updated") == []


def test_names_are_unique_ignoring_case_also_of_umlauts(session, make_staff):
    factories.make_organisation(session, name="Ämter-Verbund Süd")
    organisation = factories.make_organisation(session, name="Jugendamt Test")
    with pytest.raises(OrganisationError, match="gibt es schon") as refused:
        update_organisation(
            session,
            organisation,
            data=_data(name="ÄMTER-VERBUND SÜD"),
            actor=make_staff(Role.LEAD),
            now=NOW,
        )
    assert refused.value.field == "name"
    # Its own name in another spelling is fine.
    update_organisation(
        session,
        organisation,
        data=_data(name="JUGENDAMT test"),
        actor=make_staff(Role.LEAD),
        now=NOW,
    )
    assert organisation.name == "JUGENDAMT test"


def test_organisations_that_already_share_a_name_stay_editable(session, make_staff):
    # Accepting applications can create two organisations of one name.
    factories.make_organisation(session, name="Bürgeramt Mitte")
    organisation = factories.make_organisation(session, name="Bürgeramt Mitte")
    lead = make_staff(Role.LEAD)
    changes = update_organisation(
        session,
        organisation,
        data=_data(name="Bürgeramt Mitte", staff_size=40),
        actor=lead,
        now=NOW,
        expected_fingerprint=fingerprint(organisation),
    )
    assert changes["staff_size"] == [None, 40]
    assert "name" not in changes
    # Its name in another spelling is still its name.
    update_organisation(
        session, organisation, data=_data(name="BÜRGERAMT MITTE"), actor=lead, now=NOW
    )
    assert organisation.name == "BÜRGERAMT MITTE"
    # A new name is checked, also one that leads back to the duplicate.
    update_organisation(
        session, organisation, data=_data(name="Bürgeramt Mitte 2"), actor=lead, now=NOW
    )
    with pytest.raises(OrganisationError, match="gibt es schon") as refused:
        update_organisation(
            session, organisation, data=_data(name="Bürgeramt Mitte"), actor=lead, now=NOW
        )
    assert refused.value.field == "name"
    session.expire_all()
    assert organisation.name == "Bürgeramt Mitte 2"


@pytest.mark.parametrize(
    "value",
    [
        "https://www.amt.de",
        "http://amt.de/pfad?x=1",
        "www.bürgeramt.de",
        "amt.de/seite",
        "HTTPS://AMT.DE",
    ],
)
def test_websites_that_are_accepted(value):
    assert website_problem(value) is None
    assert normalise_website(value).lower().startswith(("http://", "https://"))


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "ftp://amt.de",
        "https://",
        "https://amt",
        "amt",
        "www.amt .de",
        "https://amt.de:port",
        "mailto:info@amt.de",
        "data:text/html,hallo",
    ],
)
def test_websites_that_are_refused(value):
    assert website_problem(value) is not None


# --- contact persons ------------------------------------------------------------------------


def test_create_contact_makes_it_the_only_primary_and_records_field_names_only(session, make_staff):
    lead = make_staff(Role.LEAD)
    organisation = factories.make_organisation(session)
    first = factories.make_contact(session, organisation, is_primary=True)
    second = factories.make_contact(session, organisation, is_primary=True)  # old data
    contact = create_contact(
        session,
        organisation,
        data=ContactData(name="  Selin   Kaya ", email=" KAYA@amt.de ", is_primary=True),
        actor=lead,
        now=NOW,
    )
    assert contact.name == "Selin Kaya" and contact.email == "kaya@amt.de"
    assert contact.created_at == NOW
    assert [first.is_primary, second.is_primary, contact.is_primary] == [False, False, True]
    [event] = _events(session, "organisation.contact_created")
    assert (event.object_type, event.object_id) == ("organisation", organisation.id)
    assert event.changes == {
        "contact": contact.id,
        "fields": ["name", "email", "is_primary"],
        "primary_unset": sorted([first.id, second.id]),
    }


def test_a_contact_that_is_not_primary_leaves_the_primary_alone(session, make_staff):
    organisation = factories.make_organisation(session)
    primary = factories.make_contact(session, organisation, is_primary=True)
    contact = create_contact(
        session,
        organisation,
        data=ContactData(name="Zweite Person"),
        actor=make_staff(Role.LEAD),
        now=NOW,
    )
    assert primary.is_primary and not contact.is_primary


def test_consultants_may_not_add_contacts(session, make_staff):
    organisation = factories.make_organisation(session)
    with pytest.raises(OrganisationNotPermitted):
        create_contact(
            session,
            organisation,
            data=ContactData(name="Neu"),
            actor=make_staff(Role.CONSULTANT),
            now=NOW,
        )
    assert organisation.contacts == []


def test_the_same_email_twice_at_one_organisation_is_refused_but_not_across(session, make_staff):
    lead = make_staff(Role.LEAD)
    organisation = factories.make_organisation(session)
    other = factories.make_organisation(session)
    factories.make_contact(session, organisation, email="info@amt.de")
    with pytest.raises(OrganisationError) as refused:
        create_contact(
            session,
            organisation,
            data=ContactData(name="X", email="INFO@amt.de"),
            actor=lead,
            now=NOW,
        )
    assert refused.value.field == "email"
    create_contact(
        session, other, data=ContactData(name="X", email="info@amt.de"), actor=lead, now=NOW
    )


@pytest.mark.parametrize("email", ["jürgen@amt.de", "JÜRGEN@amt.de", "ça@amt.de"])
def test_emails_that_need_smtputf8_are_refused_like_on_the_application_form(
    session, make_staff, email
):
    lead = make_staff(Role.LEAD)
    organisation = factories.make_organisation(session)
    contact = factories.make_contact(session, organisation, is_primary=True)
    for change in (
        lambda: create_contact(
            session, organisation, data=ContactData(name="X", email=email), actor=lead, now=NOW
        ),
        lambda: update_contact(
            session,
            contact,
            data=ContactData(name=contact.name, email=email, is_primary=True),
            actor=lead,
            now=NOW,
        ),
    ):
        with pytest.raises(OrganisationError) as refused:
            change()
        assert refused.value.field == "email"
        assert str(refused.value).startswith(
            "An Adressen mit Umlauten oder anderen Sonderzeichen vor dem @ können wir leider "
            "keine E-Mails senden."
        )
    session.expire_all()
    assert [c.email for c in organisation.contacts] == [contact.email]
    assert _events(session, "organisation.contact_created") == []
    assert _events(session, "organisation.contact_updated") == []


def test_an_umlaut_domain_is_stored_in_its_ascii_form_like_on_the_application_form(
    session, make_staff
):
    lead = make_staff(Role.LEAD)
    organisation = factories.make_organisation(session)
    factories.make_contact(session, organisation, email="info@xn--brgeramt-65a.de")
    contact = create_contact(
        session,
        organisation,
        data=ContactData(name="X", email="Post@Bürgeramt.de"),
        actor=lead,
        now=NOW,
    )
    assert contact.email == "post@xn--brgeramt-65a.de"
    # The same address as the application form stored it is the same address.
    with pytest.raises(OrganisationError, match="schon eine Ansprechperson") as refused:
        create_contact(
            session,
            organisation,
            data=ContactData(name="Y", email="INFO@bürgeramt.de"),
            actor=lead,
            now=NOW,
        )
    assert refused.value.field == "email"


@pytest.mark.parametrize(
    ("role", "restricted", "anonymised", "allowed"),
    [
        (Role.CONSULTANT, False, False, False),
        (Role.LEAD, False, False, True),
        (Role.ADMIN, False, False, True),
        (Role.LEAD, True, False, False),
        (Role.ADMIN, True, False, True),
        (Role.ADMIN, False, True, False),
        (Role.ADMIN, True, True, False),
    ],
)
def test_who_may_edit_a_contact(session, make_staff, role, restricted, anonymised, allowed):
    organisation = factories.make_organisation(session)
    contact = factories.make_contact(
        session,
        organisation,
        name="Alt",
        is_restricted=restricted,
        anonymised_at=NOW if anonymised else None,
    )
    member = make_staff(role)
    assert may_edit_contact(contact, member) is allowed
    data = ContactData(name="Neu", email=contact.email)
    if allowed:
        assert update_contact(session, contact, data=data, actor=member, now=NOW) == ["name"]
    else:
        with pytest.raises(OrganisationNotPermitted):
            update_contact(session, contact, data=data, actor=member, now=NOW)
        assert contact.name == "Alt"


def test_update_contact_keeps_exactly_one_primary(session, make_staff):
    lead = make_staff(Role.LEAD)
    organisation = factories.make_organisation(session)
    primary = factories.make_contact(session, organisation, name="Eins", is_primary=True)
    contact = factories.make_contact(session, organisation, name="Zwei")
    with pytest.raises(OrganisationError, match="genau eine Hauptansprechperson") as refused:
        update_contact(
            session,
            primary,
            data=ContactData(name="Eins", email=primary.email, is_primary=False),
            actor=lead,
            now=NOW,
        )
    assert refused.value.field == "is_primary"
    changed = update_contact(
        session,
        contact,
        data=ContactData(name="Zwei", email=contact.email, is_primary=True),
        actor=lead,
        now=NOW,
    )
    assert changed == ["is_primary"]
    assert contact.is_primary and not primary.is_primary
    [event] = _events(session, "organisation.contact_updated")
    assert event.changes == {
        "contact": contact.id,
        "fields": ["is_primary"],
        "primary_unset": [primary.id],
    }
    # Nothing changed: nothing recorded.
    assert (
        update_contact(
            session,
            contact,
            data=ContactData(name="Zwei", email=contact.email, is_primary=True),
            actor=lead,
            now=NOW,
        )
        == []
    )
    assert len(_events(session, "organisation.contact_updated")) == 1


def test_update_contact_audit_never_holds_personal_values(session, make_staff):
    organisation = factories.make_organisation(session)
    contact = factories.make_contact(session, organisation, name="Selin Kaya", is_primary=True)
    update_contact(
        session,
        contact,
        data=ContactData(
            name="Selin Demir",
            role="Amtsleitung",
            email="demir@amt.de",
            phone="030 1234",
            is_primary=True,
        ),
        actor=make_staff(Role.LEAD),
        now=NOW,
    )
    [event] = _events(session, "organisation.contact_updated")
    assert event.changes == {"contact": contact.id, "fields": ["email", "name", "phone", "role"]}
    for value in ("Selin", "Demir", "Kaya", "Amtsleitung", "demir@", "1234"):
        assert value not in str(event.changes)


# --- the list query -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "search", "expected"),
    [
        ("Bürgeramt Spandau", "bürger", True),
        ("Bürgeramt Spandau", "BÜRGER", True),
        ("Bürgeramt Spandau", "Burger", True),
        ("BÜRGERAMT SPANDAU", "bürgeramt spandau", True),
        ("Familienzentrum Müllerstraße", "STRASSE", True),
        ("Familienzentrum Müllerstraße", "Straße", True),
        ("Bürgeramt Spandau", "amt  spandau", True),
        ("Bürgeramt Spandau", "Spandau Mitte", False),
        ("Klinikum Ost", "west", False),
    ],
)
def test_name_search_ignores_case_spacing_and_accents(name, search, expected):
    assert name_matches(name, search) is expected


def test_list_filters_combine(session):
    spandau = factories.make_organisation(
        session, name="Bürgeramt Spandau", district=District.SPANDAU, subtype="buergeramt"
    )
    factories.make_organisation(
        session, name="Bürgeramt Mitte", district=District.MITTE, subtype="buergeramt"
    )
    factories.make_organisation(
        session,
        name="Klinikum Spandau",
        sector=Sector.GESUNDHEIT,
        subtype="krankenhaus",
        district=District.SPANDAU,
    )
    rows = list_organisations(
        session,
        OrganisationFilters(search="ÄMT", sector=Sector.BUERGERDIENST, district=District.SPANDAU),
    )
    assert [row.organisation for row in rows] == [spandau]
    assert len(list_organisations(session)) == 3
    assert not OrganisationFilters().is_active
    assert OrganisationFilters(search="x", district=District.MITTE).args() == {
        "q": "x",
        "district": "mitte",
    }


def test_organisation_contact_is_none_for_a_contact_of_another_organisation(session):
    organisation = factories.make_organisation(session)
    other = factories.make_organisation(session)
    contact = factories.make_contact(session, other)
    assert organisation_contact(session, organisation.id, contact.id) is None
    assert organisation_contact(session, other.id, contact.id) is contact


def test_a_stale_fingerprint_is_refused_and_a_current_one_accepted(session, make_staff):
    lead = make_staff(Role.LEAD)
    organisation = factories.make_organisation(session, name="Jugendamt Test")
    contact = factories.make_contact(session, organisation, is_primary=True)
    shown = fingerprint(organisation)
    assert fingerprint(organisation) == shown  # stable
    # Someone else's change, committed after this request loaded the organisation: the
    # loaded object still shows the old state, the service reads the row again.
    _change_behind_the_session(session, Organisation, organisation.id, staff_size=9)
    assert fingerprint(organisation) == shown
    with pytest.raises(StaleForm):
        update_organisation(
            session, organisation, data=_data(), actor=lead, now=NOW, expected_fingerprint=shown
        )
    assert organisation.name == "Jugendamt Test"
    update_organisation(
        session,
        organisation,
        data=_data(staff_size=9),
        actor=lead,
        now=NOW,
        expected_fingerprint=fingerprint(organisation),
    )
    assert organisation.name == "Jugendamt Pankow"
    shown = fingerprint(contact)
    _change_behind_the_session(session, ContactPerson, contact.id, phone="030 1")
    assert fingerprint(contact) == shown
    with pytest.raises(StaleForm):
        update_contact(
            session,
            contact,
            data=ContactData(name="Neu", is_primary=True),
            actor=lead,
            now=NOW,
            expected_fingerprint=shown,
        )

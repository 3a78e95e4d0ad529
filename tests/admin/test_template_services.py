"""Phase template services: the rules of a template, replacing its phases, copying, the
default switch, the audit trail, and that engagements already planned never change."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseflow.audit.models import AuditEvent
from caseflow.engagements.models import MilestonePosition, PhaseTemplate
from caseflow.engagements.planning import MilestoneSpec, PhaseSpec, default_template, specs_of
from caseflow.engagements.services.templates import (
    Saved,
    StaleTemplate,
    TemplateNotPermitted,
    TemplateRefused,
    check_phases,
    copy_template,
    install_shipped_template,
    make_default,
    suggested_copy_name,
    template_version,
    update_template,
)
from caseflow.staff.models import Role
from tests import factories

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
START = MilestonePosition.START
MIDDLE = MilestonePosition.MIDDLE
END = MilestonePosition.END


def _phases(*shares: int) -> list[PhaseSpec]:
    return [
        PhaseSpec(f"Phase {number}", share, (MilestoneSpec(f"Meilenstein {number}", END),))
        for number, share in enumerate(shares, start=1)
    ]


TWO_PHASES = [
    PhaseSpec("Start", 40, (MilestoneSpec("Auftakt", START), MilestoneSpec("Vertrag", END, True))),
    PhaseSpec("Arbeit", 60, (MilestoneSpec("Bericht", MIDDLE),)),
]


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def template(session):
    return default_template(session, now=NOW)


def _events(session, template: PhaseTemplate, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "phase_template",
                AuditEvent.object_id == template.id,
                AuditEvent.action == action,
            )
            .order_by(AuditEvent.id)
        )
    )


def _update(session, template, admin, phases, *, name=None, version=None) -> Saved:
    return update_template(
        session,
        template,
        name=template.name if name is None else name,
        phases=phases,
        expected_version=version or template_version(template),
        actor=admin,
        now=NOW,
    )


# -- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shares", "total"), [((10, 25, 15, 35, 10), 95), ((50, 51), 101), ((99,), 99)]
)
def test_shares_must_add_up_to_exactly_100_percent(app, shares, total):
    with app.test_request_context(), pytest.raises(TemplateRefused) as refused:
        check_phases(_phases(*shares))
    assert str(refused.value) == (
        f"Die Anteile ergeben zusammen {total} %, sie müssen 100 % ergeben."
    )
    assert refused.value.phase_index is None


def test_shares_of_100_percent_pass_and_texts_are_stripped(app):
    with app.test_request_context():
        cleaned = check_phases(
            [PhaseSpec("  Eins ", 100, (MilestoneSpec(" Ende ", END, is_gate=True),))]
        )
    assert cleaned == [PhaseSpec("Eins", 100, (MilestoneSpec("Ende", END, True),))]


@pytest.mark.parametrize(
    ("phases", "message", "where"),
    [
        ([], "Die Vorlage braucht mindestens eine Phase.", (None, None, None)),
        (_phases(*([5] * 20)) + _phases(0), "höchstens 20 Phasen", (None, None, None)),
        ([PhaseSpec("  ", 100)], "Namen für die Phase", ("name", 0, None)),
        ([PhaseSpec("x" * 201, 100)], "höchstens 200 Zeichen", ("name", 0, None)),
        (
            [PhaseSpec("A", 0), PhaseSpec("B", 100)],
            "ganze Zahl von 1 bis 100",
            ("share_percent", 0, None),
        ),
        ([PhaseSpec("A", 101)], "ganze Zahl von 1 bis 100", ("share_percent", 0, None)),
        (
            [PhaseSpec("A", 100, tuple(MilestoneSpec(f"M{i}", END) for i in range(21)))],
            "höchstens 20 Meilensteine",
            ("milestones", 0, None),
        ),
        (
            [
                PhaseSpec("A", 50),
                PhaseSpec("B", 50, (MilestoneSpec("ok", END), MilestoneSpec("", END))),
            ],
            "Titel für den Meilenstein",
            ("title", 1, 1),
        ),
        (
            [PhaseSpec("A", 100, (MilestoneSpec("M", "irgendwann"),))],  # type: ignore[arg-type]
            "Anfang, Mitte oder Ende",
            ("position", 0, 0),
        ),
    ],
)
def test_each_rule_names_the_offending_input(app, phases, message, where):
    with app.test_request_context(), pytest.raises(TemplateRefused) as refused:
        check_phases(phases)
    assert message in str(refused.value)
    error = refused.value
    assert (error.field, error.phase_index, error.milestone_index) == where


# -- update ------------------------------------------------------------------------------------


def test_update_replaces_phases_and_milestones_and_writes_the_audit_trail(
    app, session, template, admin
):
    before_version = template_version(template)
    with app.test_request_context():
        assert _update(session, template, admin, TWO_PHASES, name="Kurzvorlage") is Saved.SAVED
    session.expire_all()
    stored = session.get(PhaseTemplate, template.id)
    assert stored.name == "Kurzvorlage"
    assert specs_of(stored) == TWO_PHASES
    assert [phase.position for phase in stored.phases] == [1, 2]
    assert [m.sort_order for m in stored.phases[0].milestones] == [0, 1]
    assert template_version(stored) != before_version
    [event] = _events(session, template, "phase_template.updated")
    assert event.actor_id == admin.id
    assert event.changes["name"] == ["DiFair Prozessbegleitung (Standard)", "Kurzvorlage"]
    assert event.changes["phases"][1] == ["Start (40 %)", "Arbeit (60 %)"]
    assert event.changes["milestones"] == [12, 3]


def test_an_update_without_changes_changes_nothing(app, session, template, admin):
    with app.test_request_context():
        assert _update(session, template, admin, specs_of(template)) is Saved.UNCHANGED
    assert _events(session, template, "phase_template.updated") == []


def test_the_same_update_sent_twice_is_saved_once(app, session, template, admin):
    shown = template_version(template)
    with app.test_request_context():
        assert _update(session, template, admin, TWO_PHASES, version=shown) is Saved.SAVED
        again = [PhaseSpec(f" {p.name} ", p.share_percent, p.milestones) for p in TWO_PHASES]
        assert _update(session, template, admin, again, version=shown) is Saved.ALREADY
    assert specs_of(template) == TWO_PHASES
    assert len(_events(session, template, "phase_template.updated")) == 1


def test_a_stale_version_is_refused_and_nothing_changes(app, session, template, admin):
    stale = template_version(template)
    with app.test_request_context():
        _update(session, template, admin, TWO_PHASES)
        with pytest.raises(StaleTemplate, match="gerade geändert") as refused:
            _update(session, template, admin, _phases(100), version=stale)
        # Invalid content sent with an old version is stale too (it was never stored).
        with pytest.raises(StaleTemplate, match="gerade geändert"):
            _update(session, template, admin, _phases(50), version=stale)
    assert "von jemand anderem oder durch einen doppelten Klick" in str(refused.value)
    assert specs_of(template) == TWO_PHASES
    assert len(_events(session, template, "phase_template.updated")) == 1


def test_only_admins_edit_templates(app, session, template, make_staff):
    lead = make_staff(Role.LEAD)
    with app.test_request_context():
        with pytest.raises(TemplateNotPermitted):
            _update(session, template, lead, TWO_PHASES)
        with pytest.raises(TemplateNotPermitted):
            copy_template(session, template, name="Kopie", actor=lead, now=NOW)
        with pytest.raises(TemplateNotPermitted):
            make_default(session, template, actor=lead, now=NOW)
    assert len(template.phases) == 5


def test_a_name_taken_by_another_template_is_refused(app, session, template, admin):
    with app.test_request_context():
        copy_template(session, template, name="Zweite", actor=admin, now=NOW)
        with pytest.raises(TemplateRefused, match="schon eine Vorlage") as refused:
            _update(session, template, admin, TWO_PHASES, name=" zweite ")
    assert refused.value.field == "name"
    assert len(template.phases) == 5


# -- copy and default --------------------------------------------------------------------------


def test_copy_has_the_same_content_under_a_new_name(app, session, template, admin):
    with app.test_request_context():
        assert (
            suggested_copy_name(session, template) == "DiFair Prozessbegleitung (Standard) (Kopie)"
        )
        copy = copy_template(session, template, name="  Kurz  ", actor=admin, now=NOW)
        assert (
            suggested_copy_name(session, template) == "DiFair Prozessbegleitung (Standard) (Kopie)"
        )
        copy_template(
            session, template, name=suggested_copy_name(session, template), actor=admin, now=NOW
        )
        assert (
            suggested_copy_name(session, template)
            == "DiFair Prozessbegleitung (Standard) (Kopie 2)"
        )
    session.expire_all()
    copy = session.get(PhaseTemplate, copy.id)
    assert copy.name == "Kurz"
    assert copy.is_default is False
    assert specs_of(copy) == specs_of(template)
    assert {phase.id for phase in copy.phases}.isdisjoint(phase.id for phase in template.phases)
    [event] = _events(session, copy, "phase_template.created")
    assert event.changes["copied_from"] == template.id
    assert event.changes["name"] == "Kurz"


@pytest.mark.parametrize("length", [190, 192, 193, 200])
def test_the_suggested_copy_name_fits_for_long_names(app, session, template, admin, length):
    name = ("Sehr lange Vorlage " * 11)[: length - 1] + "x"
    with app.test_request_context():
        source = copy_template(session, template, name=name, actor=admin, now=NOW)
        suggestions = []
        for _number in range(3):
            suggested = suggested_copy_name(session, source)
            assert len(suggested) <= 200
            copy_template(session, source, name=suggested, actor=admin, now=NOW)
            suggestions.append(suggested)
    assert [s.rsplit("(", 1)[1] for s in suggestions] == ["Kopie)", "Kopie 2)", "Kopie 3)"]
    for suggested in suggestions:
        stem = suggested.rsplit(" (", 1)[0]
        assert stem == name or (stem.endswith("…") and name.startswith(stem[:-1]))
    if length == 200:
        assert suggestions[0] == name[:191] + "… (Kopie)"


@pytest.mark.parametrize(("name", "message"), [("  ", "Namen"), ("x" * 201, "200 Zeichen")])
def test_copy_needs_a_name(app, session, template, admin, name, message):
    with app.test_request_context(), pytest.raises(TemplateRefused, match=message):
        copy_template(session, template, name=name, actor=admin, now=NOW)
    assert session.scalars(select(PhaseTemplate)).all() == [template]


def test_copy_refuses_a_taken_name(app, session, template, admin):
    with app.test_request_context(), pytest.raises(TemplateRefused, match="schon eine Vorlage"):
        copy_template(session, template, name=template.name.upper(), actor=admin, now=NOW)


def test_make_default_switches_the_default_and_records_both(app, session, template, admin):
    with app.test_request_context():
        copy = copy_template(session, template, name="Kurz", actor=admin, now=NOW)
        assert make_default(session, copy, actor=admin, now=NOW) is True
        assert make_default(session, copy, actor=admin, now=NOW) is False
    assert copy.is_default is True
    assert template.is_default is False
    assert default_template(session, now=NOW) is copy
    [former] = _events(session, template, "phase_template.updated")
    assert former.changes == {"is_default": [True, False]}
    [now_default] = _events(session, copy, "phase_template.updated")
    assert now_default.changes == {"is_default": [False, True]}


def test_install_shipped_template_once(app, session, admin):
    with app.test_request_context():
        first = install_shipped_template(session, actor=admin, now=NOW)
        again = install_shipped_template(session, actor=admin, now=NOW)
    assert first is again and first.is_default
    assert len(_events(session, first, "phase_template.created")) == 1


# -- engagements are never rewritten -----------------------------------------------------------


def _plan(engagement) -> list[tuple]:
    return [
        (phase.position, phase.name, phase.start_date, phase.end_date)
        + tuple((m.title, m.due_date, m.is_gate) for m in phase.milestones)
        for phase in engagement.phases
    ]


def test_editing_a_template_never_rewrites_planned_engagements(app, session, template, admin):
    lead = factories.make_staff_member(session)
    planned = factories.make_engagement(session, lead=lead)
    before = _plan(planned)
    milestone_ids = [m.id for m in factories.milestones_of(planned)]
    assert [phase.name for phase in planned.phases][0] == "Auftragsklärung"

    with app.test_request_context():
        _update(session, template, admin, TWO_PHASES)
    session.flush()
    session.expire_all()

    assert _plan(planned) == before
    assert [m.id for m in factories.milestones_of(planned)] == milestone_ids
    later = factories.make_engagement(
        session, lead=lead, start=date(2025, 1, 1), end=date(2025, 10, 31)
    )
    assert [phase.name for phase in later.phases] == ["Start", "Arbeit"]
    assert [m.title for m in factories.milestones_of(later)] == ["Auftakt", "Vertrag", "Bericht"]
    assert [m.is_gate for m in factories.milestones_of(later)] == [False, True, False]
    assert _plan(planned) == before


def test_a_new_default_plans_new_engagements_and_leaves_old_ones(app, session, template, admin):
    lead = factories.make_staff_member(session)
    planned = factories.make_engagement(session, lead=lead)
    before = _plan(planned)
    with app.test_request_context():
        copy = copy_template(session, template, name="Kurz", actor=admin, now=NOW)
        _update(session, copy, admin, TWO_PHASES)
        make_default(session, copy, actor=admin, now=NOW)
    later = factories.make_engagement(session, lead=lead)
    assert [phase.name for phase in later.phases] == ["Start", "Arbeit"]
    session.expire_all()
    assert _plan(planned) == before

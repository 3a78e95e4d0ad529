"""The status link: derived from a salt and the SECRET_KEY, only its hash stored."""

from __future__ import annotations

from sqlalchemy.orm import Session

from caseflow.intake.tokens import current_token, hash_token, is_well_formed, issue_token
from tests.factories import make_application


def test_an_issued_token_is_derived_again_and_only_its_hash_is_stored(session: Session) -> None:
    application = make_application(session)
    token = issue_token(application, "geheim")
    assert is_well_formed(token)
    assert application.status_token_hash == hash_token(token)
    assert token not in (application.status_token_hash, application.status_token_salt)
    assert current_token(application, "geheim") == token


def test_a_new_token_replaces_the_old_one(session: Session) -> None:
    application = make_application(session)
    first = issue_token(application, "geheim")
    second = issue_token(application, "geheim")
    assert first != second
    assert application.status_token_hash == hash_token(second)


def test_another_secret_key_cannot_derive_the_link(session: Session) -> None:
    application = make_application(session)
    issue_token(application, "alter-schluessel")
    assert current_token(application, "neuer-schluessel") is None


def test_without_a_salt_the_link_cannot_be_derived(session: Session) -> None:
    application = make_application(session)
    assert application.status_token_salt is None
    assert current_token(application, "geheim") is None


def test_malformed_tokens_are_recognised_before_any_lookup() -> None:
    assert not is_well_formed("")
    assert not is_well_formed("a" * 42)
    assert not is_well_formed("a" * 44)
    assert not is_well_formed("a" * 42 + "!")
    assert not is_well_formed("../" + "a" * 40)
    assert is_well_formed("A-_" + "b" * 40)

"""Who may see what: the login manager's loader and the role check every staff view uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from caseflow.staff.models import Role
from caseflow.translating import lazy_gettext as _l

F = TypeVar("F", bound=Callable[..., Any])

LOGIN_MESSAGE = _l("Bitte melden Sie sich an, um diese Seite zu sehen.")


def public(view: F) -> F:
    """Mark a view as reachable without login. Every view is either public or carries a role
    check (``role_required``); a test walks the URL map and enforces this."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def role_required(minimum: Role) -> Callable[[F], F]:
    """Only logged-in, active staff whose role reaches ``minimum`` get through; others see
    the login page (anonymous) or a 403 page (logged in, role too low)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(minimum):
                abort(403)
            return view(*args, **kwargs)

        protected = login_required(wrapper)
        protected.required_role = minimum  # type: ignore[attr-defined]
        return protected  # type: ignore[return-value]

    return decorate


staff_required = role_required(Role.CONSULTANT)
lead_required = role_required(Role.LEAD)
admin_required = role_required(Role.ADMIN)

"""Forms of the engagement pages, one module per concern. They check what a browser can get
wrong (an unknown choice, a missing or malformed version, too long a text) with German
messages; the services check the rules."""

from caseflow.engagements.forms.common import VERSION_MESSAGE, VersionedForm, max_length
from caseflow.engagements.forms.status import TARGET_MESSAGE, StatusForm

__all__ = ["TARGET_MESSAGE", "VERSION_MESSAGE", "StatusForm", "VersionedForm", "max_length"]

"""What the engagements feature tells the features above it (blinker signals).

- ``team_left``: sent by ``services.team.set_team`` when people left an engagement's team,
  after the change is flushed and before its ``engagement.team_changed`` audit event is
  written: ``team_left.send(engagement, session=…, removed=[StaffMember…], lead=StaffMember,
  now=datetime)``. A receiver hands what the leavers held on this engagement over (or ends
  it), only flushes, and returns a dict that is added to the audit event's changes (or
  None). Receivers run in the sender's transaction: an exception undoes the whole change.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
team_left = _signals.signal("team-left")

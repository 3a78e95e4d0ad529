"""Tests of the admins' programme settings (issue 7 point 2)."""

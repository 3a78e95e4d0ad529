"""What every page's layout needs: the demo banner, the programme window, the languages."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request

from caseflow import clock
from caseflow.web.outbox import outbox_enabled

LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


def _layout_context() -> dict[str, Any]:
    return {
        "demo_today": clock.demo_today(),
        "programme_start": current_app.config["PROGRAMME_START"],
        "programme_end": current_app.config["PROGRAMME_END"],
        "language_names": {
            code: LANGUAGE_NAMES.get(code, code) for code in current_app.config["LANGUAGES"]
        },
        "current_path": request.full_path.rstrip("?") if request else "/",
        "outbox_enabled": outbox_enabled(),
    }


def register_layout(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.context_processor(_layout_context)

"""What the browser tests share: where Chromium and the checkers are, screenshots, logging in,
axe-core, the Nu HTML Checker and the keyboard walk."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from caseflow.demo.staff import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(__file__).resolve().parent / "node_modules"
CHROMIUM = Path(os.environ.get("CASEFLOW_CHROMIUM", "/usr/bin/chromium"))
# As the issue and the machine's notes ask: headless, and no calls to Google's services,
# which this machine's closed network refuses.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots and the HTML of each page checked; .ci/run keeps them (README: "Browser-Tests").
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", ROOT / "artifacts" / "e2e"))
AXE_SCRIPT = TOOLS / "axe-core" / "axe.min.js"
VNU_JAR = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# CI sets this: a browser test that cannot run (no Chromium, no checker) fails instead of
# being skipped, as CASEFLOW_REQUIRE_POSTGRES does for the PostgreSQL run.
REQUIRE_E2E = os.environ.get("CASEFLOW_REQUIRE_E2E") == "1"


def missing(reason: str) -> None:
    """Skip the test for want of a tool, or fail it where CI requires the browser tests."""
    if REQUIRE_E2E:
        pytest.fail(f"{reason} (CASEFLOW_REQUIRE_E2E=1)")
    pytest.skip(reason)


# Reviewed exceptions to the axe rules, as (rule id, page name) → the reason. Empty: every
# page passes every rule of the four WCAG 2.1 A/AA tag sets.
AXE_ALLOWLIST: dict[tuple[str, str], str] = {}

_UNSAFE = re.compile(r"[^a-z0-9-]+")


def shot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """A PNG of what the browser shows now (the whole page, or the window), in ``ARTIFACTS``."""
    path = ARTIFACTS / f"{_UNSAFE.sub('-', name.lower())}.png"
    page.screenshot(path=path, full_page=full_page)
    return path


def log_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form (the demo stores no second-factor roles)."""
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    page.wait_for_url(re.compile(r"/dashboard$"))


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile(r"/login"))


# ----- axe-core -------------------------------------------------------------------------------


def axe_violations(page: Any, name: str) -> list[str]:
    """The axe-core violations of the WCAG 2.1 A/AA rules on the page as it is now, one line
    per rule and element, less the reviewed exceptions for ``name``.

    axe is evaluated through the DevTools protocol, so the page's Content-Security-Policy
    (no inline scripts) stays in force while it is checked.
    """
    if not AXE_SCRIPT.exists():
        missing(f"axe-core fehlt ({AXE_SCRIPT}); make e2e-tools")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "tags => axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']} – {violation['help']}"
        for violation in result["violations"]
        if (violation["id"], name) not in AXE_ALLOWLIST
        for node in violation["nodes"]
    ]


# ----- the Nu HTML Checker --------------------------------------------------------------------


def save_html(name: str, html: str) -> Path:
    """Keep the HTML the server sent for ``name``, for the validator and for reading later."""
    path = ARTIFACTS / "html" / f"{_UNSAFE.sub('-', name.lower())}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def validator_errors(paths: list[Path]) -> dict[str, list[str]]:
    """The Nu HTML Checker's errors per file (warnings are not errors), in one Java run."""
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        missing(f"Nu HTML Checker fehlt (java: {java}, {VNU_JAR}); make e2e-tools")
    run = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(run.stderr or run.stdout or '{"messages": []}')
    errors: dict[str, list[str]] = {}
    for message in report["messages"]:
        where = Path(message.get("url", "?").removeprefix("file:")).name
        line = message.get("lastLine", "?")
        errors.setdefault(where, []).append(f"{line}: {message['message']}")
    if run.returncode not in (0, 1) or (run.returncode == 1 and not errors):
        raise AssertionError(f"vnu failed ({run.returncode}):\n{run.stdout}{run.stderr}")
    return errors


# ----- keyboard -------------------------------------------------------------------------------

# Everything a keyboard user can reach with Tab, in the document's order.
_FOCUSABLE = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  return [...document.querySelectorAll(selector)]
    .filter(el => !el.disabled && el.getAttribute('tabindex') !== '-1'
                  && el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})
                  && !el.closest('[inert]'))
    .filter(el => {
      if (el.type !== 'radio') return true;
      const group = [...document.querySelectorAll(`input[type=radio][name="${el.name}"]`)];
      return el.checked || (!group.some(r => r.checked) && group[0] === el);
    })
    .map((el, i) => {
      el.dataset.walk = String(i);
      const label = el.getAttribute('aria-label') || el.textContent || el.name || '';
      return el.tagName.toLowerCase() + '#' + i + ' „' + label.trim().slice(0, 50) + '“';
    });
}"""

_ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const label = (el.getAttribute('aria-label') || el.innerText || el.textContent || el.value
                 || el.name || el.id || el.tagName).trim().slice(0, 60);
  return {walk: el.dataset.walk || null, tag: el.tagName.toLowerCase(), label: label,
          tabindex: el.tabIndex, visible: outline || style.boxShadow !== 'none'};
}"""


@dataclass
class FocusStop:
    walk: str | None
    tag: str
    label: str
    tabindex: int
    visible: bool


_BOX = """walk => {
  const el = document.querySelector(`[data-walk="${walk}"]`);
  el.scrollIntoView({block: 'center', inline: 'nearest', behavior: 'instant'});
  const r = el.getBoundingClientRect();
  const x = Math.max(0, r.x - 6), y = Math.max(0, r.y - 6);
  return {x: x, y: y, width: Math.min(r.right + 6, innerWidth) - x,
          height: Math.min(r.bottom + 6, innerHeight) - y};
}"""


def _looks_different_focused(page: Any, walk: str) -> bool:
    """Whether the element (and 6 px around it, where outlines go) looks different with the
    keyboard focus than without: a picture while focused, Shift+Tab, a picture, Tab back."""
    focused = page.screenshot(clip=page.evaluate(_BOX, walk))
    page.keyboard.press("Shift+Tab")
    unfocused = page.screenshot(clip=page.evaluate(_BOX, walk))
    page.keyboard.press("Tab")
    return focused != unfocused


def keyboard_walk(page: Any, limit: int = 400) -> tuple[list[str], list[FocusStop]]:
    """Press Tab from the top of the page until focus leaves the page or comes round again.

    Returns the page's focusable elements in document order (``tag#n „label“``, with the
    mark ``n`` set on each) and the stops Tab made, so a test can compare order and coverage.
    A stop's focus counts as visible when it has an outline or shadow of its own, or else
    (an SVG link whose ring is drawn on a shape inside it) when it looks different focused.
    """
    expected = page.evaluate(_FOCUSABLE)
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    stops: list[FocusStop] = []
    seen: set[str] = set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        active = page.evaluate(_ACTIVE)
        if active is None:
            break
        stop = FocusStop(**active)
        if stops and stop.walk is not None and stop.walk == stops[-1].walk:
            continue  # Tab moves between the day, month and year of a date field
        if stop.walk is not None and stop.walk in seen:
            break
        if stop.walk is not None:
            seen.add(stop.walk)
            if not stop.visible:
                stop.visible = _looks_different_focused(page, stop.walk)
        stops.append(stop)
    return expected, stops

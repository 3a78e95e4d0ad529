"""Audit the locked dependencies (requirements.lock) with pip-audit.

Exit status: 1 when pip-audit reports a known vulnerability (the list is printed); 0 when
none is known. Dependencies pip-audit could not look up (no vulnerability database reachable:
on the development machines of this project pypi.org answers only the project-level JSON, not
the per-version JSON that holds the advisories, and api.osv.dev does not resolve) are listed
as NOT AUDITED; with AUDIT_STRICT=1 that fails too (use it where the database is reachable).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def audit(report: dict, *, strict: bool) -> int:
    """Print the findings of one pip-audit JSON report and return the exit status."""
    vulnerable = [dep for dep in report["dependencies"] if dep.get("vulns")]
    skipped = [dep for dep in report["dependencies"] if dep.get("skip_reason")]
    audited = len(report["dependencies"]) - len(skipped)
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    if skipped:
        print(f"NOT AUDITED ({len(skipped)} of {len(report['dependencies'])}):")
        for dep in skipped:
            print(f"  {dep['name']}: {dep['skip_reason']}")
    print(
        f"pip-audit: {audited} dependencies audited, {len(vulnerable)} with known "
        f"vulnerabilities, {len(skipped)} not audited"
    )
    if vulnerable:
        return 1
    if skipped and strict:
        print("AUDIT_STRICT=1: dependencies that could not be audited count as a failure")
        return 2
    return 0


def main() -> int:
    lock = Path(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock")
    pip_audit = Path(sys.executable).with_name("pip-audit")
    result = subprocess.run(  # noqa: S603  (our own tool with our own arguments)
        [
            str(pip_audit),
            "--requirement",
            str(lock),
            "--no-deps",
            "--disable-pip",
            "--format",
            "json",
            "--progress-spinner",
            "off",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if not result.stdout.strip():
        print(result.stderr, file=sys.stderr)
        return result.returncode or 3
    return audit(json.loads(result.stdout), strict=os.environ.get("AUDIT_STRICT") == "1")


if __name__ == "__main__":
    sys.exit(main())

"""The report as PDF, printed by headless Chromium from the same HTML.

Chromium rather than WeasyPrint: the PDF then comes from the very engine that draws the HTML
(and its screenshots), so CSS grid, inline SVG patterns and ``@media print`` look the same in
both; it is one Debian package (``chromium``) instead of a Python dependency on Pango/cairo.
The browser runs with networking off and a throw-away profile; the HTML has no external
resources and a Content-Security-Policy that forbids fetching any.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from praesent.errors import PraesentError
from praesent.report.html import to_html
from praesent.report.model import Report

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_TIMEOUT_S = 120


class ReportRenderError(PraesentError):
    """The PDF could not be made (no browser, or the browser failed)."""

    code = "report_render_failed"


def find_chromium() -> str | None:
    """``PRAESENT_CHROMIUM`` if set, else the first Chromium on PATH."""
    configured = os.environ.get("PRAESENT_CHROMIUM")
    if configured:
        return configured if shutil.which(configured) else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str) -> bytes:
    browser = find_chromium()
    if browser is None:
        raise ReportRenderError(
            "PDF needs Chromium: install it (Debian: apt-get install chromium) "
            "or set PRAESENT_CHROMIUM"
        )
    with tempfile.TemporaryDirectory(prefix="praesent-report-") as folder:
        page = Path(folder) / "report.html"
        out = Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-extensions",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={out}",
            "--no-pdf-header-footer",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=_TIMEOUT_S, check=False, cwd=folder
            )
        except subprocess.TimeoutExpired as error:
            raise ReportRenderError(f"Chromium took over {_TIMEOUT_S} s to print") from error
        if not out.is_file() or out.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            raise ReportRenderError(
                f"Chromium did not print the report (exit {done.returncode}"
                + (f": {tail[0][:200]}" if tail else "")
                + ")"
            )
        return out.read_bytes()


def to_pdf(report: Report) -> bytes:
    return html_to_pdf(to_html(report))

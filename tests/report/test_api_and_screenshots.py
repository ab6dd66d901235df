"""GET /v1/sessions/{id}/report on the real app; the screenshots under docs/ (on request)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from praesent.api import reports
from praesent.api.app import create_app
from praesent.engines import Engines
from praesent.report import build_report, find_chromium, to_html, to_pdf
from praesent.settings import Settings
from tests.local_client import LocalClient
from tests.report.helpers import need
from tests.report.test_report import _stored_session
from tests.support import ROOT


@pytest.mark.slow
def test_session_report_endpoint(engines: Engines, tmp_path: Path) -> None:
    _first, second = _stored_session(tmp_path)
    app: FastAPI = create_app(Settings(data_dir=tmp_path), load=lambda _s: engines)
    app.include_router(reports.router)
    with LocalClient(app) as client:
        html = client.get(f"/v1/sessions/{second}/report")
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        body = client.get(f"/v1/sessions/{second}/report?format=json&lang=de").json()
        assert body["language"] == "de" and len(body["trend"]) == 2
        pdf = client.get(f"/v1/sessions/{second}/report?format=pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        missing = client.get("/v1/sessions/nope/report")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        bad = client.get(f"/v1/sessions/{second}/report?format=docx")
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_request"


@pytest.mark.slow
def test_screenshots(phonecall_analysis: dict[str, Any], tmp_path: Path) -> None:
    """Renders the report's screenshots; PRAESENT_UPDATE_SCREENSHOTS=1 writes them to docs/."""
    update = os.environ.get("PRAESENT_UPDATE_SCREENSHOTS") == "1"
    docs = ROOT / "docs" if update else tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    browser = find_chromium() or need("chromium")
    pdftoppm = need("pdftoppm")
    for lang in ("en", "de"):
        analysis = {**phonecall_analysis, "session": {"title": "Phone call (sample)"}}
        report = build_report(analysis, language=lang)  # type: ignore[arg-type]
        page = tmp_path / f"report-{lang}.html"
        page.write_text(to_html(report), encoding="utf-8")
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1600",
             f"--screenshot={docs / f'report-{lang}.png'}", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        pdf = tmp_path / f"report-{lang}.pdf"
        pdf.write_bytes(to_pdf(report))
        for old in docs.glob(f"report-pdf-{lang}-*.png"):
            old.unlink()
        subprocess.run(
            [pdftoppm, "-png", "-r", "60", str(pdf), str(docs / f"report-pdf-{lang}")], check=True
        )
        assert (docs / f"report-{lang}.png").stat().st_size > 10_000

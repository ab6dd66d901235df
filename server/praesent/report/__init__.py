"""The post-call coaching report: a pure builder (analysis -> :class:`Report`) and renderers to
JSON, one self-contained HTML file and PDF (headless Chromium)."""

from praesent.report.build import build_report
from praesent.report.html import to_html
from praesent.report.model import Lang, Report, ReportOptions
from praesent.report.pdf import ReportRenderError, find_chromium, to_pdf
from praesent.report.render import to_json

__all__ = [
    "Lang",
    "Report",
    "ReportOptions",
    "ReportRenderError",
    "build_report",
    "find_chromium",
    "to_html",
    "to_json",
    "to_pdf",
]

"""The report as JSON: the model itself, so every number in the HTML and PDF is in here too."""

from __future__ import annotations

import json

from praesent.report.model import Report


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"

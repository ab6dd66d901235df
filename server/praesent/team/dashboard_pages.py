# ruff: noqa: E501, RUF001  (HTML, SVG and CSS templates: long lines, typographic dashes)
"""The dashboards as self-contained HTML pages (inline CSS and SVG, no script) in the report's
style, German or English, and as CSV of exactly what a page shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from html import escape
from typing import Literal

from praesent.report.html import BACKCHANNEL, BAND, CUSTOMER, INK, INTERRUPTION, MUTED, SELLER
from praesent.team.dashboards import (
    BAND_HALFWIDTH_PCT,
    REFERENCE_SELLER_PCT,
    SUMMARY_COLUMNS,
    SellerTrend,
    Summary,
)

Lang = Literal["de", "en"]

_TEXT: dict[str, tuple[str, str]] = {
    # key: (en, de)
    "trends": ("My trends", "Meine Entwicklung"),
    "team": ("Team", "Team"),
    "week": ("Week", "Woche"),
    "seller": ("Seller", "Verkäufer:in"),
    "calls": ("Calls", "Gespräche"),
    "minutes": ("Minutes", "Minuten"),
    "seller_pct": ("Talk share %", "Redeanteil %"),
    "interruptions_per_10min": ("Interruptions / 10 min", "Unterbrechungen / 10 min"),
    "backchannels_per_10min": ("Backchannels / 10 min", "Hörersignale / 10 min"),
    "open_questions_per_call": ("Open questions / call", "Offene Fragen / Gespräch"),
    "closed_questions_per_call": ("Closed questions / call", "Geschlossene Fragen / Gespräch"),
    "monologue_longest_s": ("Longest monologue (s)", "Längster Monolog (s)"),
    "customer_story_longest_s": ("Longest customer story (s)", "Längste Kundenerzählung (s)"),
    "cues_shown": ("Cues shown", "Hinweise gezeigt"),
    "cues_acted_on": ("Cues acted on", "Hinweise umgesetzt"),
    "label": ("", ""),
    "band": ("reference band", "Referenzband"),
    "no_calls": ("No calls yet.", "Noch keine Gespräche."),
    "shared_calls": ("Shared calls", "Geteilte Gespräche"),
    "report": ("report", "Bericht"),
    "informed": ("customer informed", "Kunde informiert"),
    "not_informed": ("customer NOT informed", "Kunde NICHT informiert"),
    "csv": ("CSV", "CSV"),
    "only_shared": (
        "Built only from the calls the sellers share.",
        "Nur aus den Gesprächen, die die Verkäufer:innen teilen.",
    ),
    "side_by_side": ("Sellers side by side", "Verkäufer:innen im Vergleich"),
    "talk_trend": ("The team by week", "Das Team nach Woche"),
}


def t(key: str, lang: Lang) -> str:
    en, de = _TEXT[key]
    return de if lang == "de" else en


_CSS = f"""
*{{box-sizing:border-box}}
body{{margin:0;background:#f3f5f7;color:{INK};font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}}
main{{max-width:1100px;margin:0 auto;padding:24px 20px 40px}}
.brand{{font-weight:700;letter-spacing:.08em;text-transform:uppercase;font-size:12px;color:{SELLER}}}
h1{{margin:2px 0 8px;font-size:26px}} h2{{font-size:18px;margin:0 0 10px}}
.card{{background:white;border-radius:10px;padding:16px 20px;margin:14px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}}
.muted{{color:{MUTED};font-size:13.5px}}
.grid{{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:14px}}
.chart{{width:100%;height:auto;display:block}}
.chart text{{font:12px system-ui,"DejaVu Sans",sans-serif;fill:{INK}}}
.chart .axis{{font-size:11px;fill:{MUTED}}}
table{{border-collapse:collapse;width:100%;font-size:14px}}
th,td{{text-align:right;padding:4px 8px;border-bottom:1px solid #e2e6ea;white-space:nowrap}}
th:first-child,td:first-child{{text-align:left}}
a{{color:{SELLER}}}
.informed{{color:{BACKCHANNEL}}} .not-informed{{color:{INTERRUPTION};font-weight:600}}
.scroll{{overflow-x:auto}}
"""

_CHARTS: tuple[tuple[str, str], ...] = (
    ("seller_pct", SELLER),
    ("interruptions_per_10min", INTERRUPTION),
    ("backchannels_per_10min", BACKCHANNEL),
    ("open_questions_per_call", SELLER),
    ("closed_questions_per_call", CUSTOMER),
    ("monologue_longest_s", SELLER),
    ("customer_story_longest_s", CUSTOMER),
    ("cues_acted_on", BACKCHANNEL),
)


def _number(value: float | int | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}".rstrip("0").rstrip(".")


def _line_chart(key: str, colour: str, weeks: Sequence[Summary], lang: Lang) -> str:
    """A small chart of one figure by week; talk share with the reference band."""
    width, height, left, right, top, bottom = 320, 150, 34, 10, 22, 26
    values = [getattr(w, key) for w in weeks]
    known = [float(v) for v in values if v is not None]
    high = max([*known, 1.0])
    low = 0.0
    if key == "seller_pct":
        high = 100.0
    span = high - low or 1.0
    inner_w = width - left - right
    inner_h = height - top - bottom

    def x(i: int) -> float:
        return left + (inner_w * (i + 0.5) / max(len(weeks), 1))

    def y(v: float) -> float:
        return top + inner_h * (1 - (v - low) / span)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(t(key, lang))}">',
        f'<text x="{left}" y="14">{escape(t(key, lang))}</text>',
    ]
    if key == "seller_pct":
        band_top = y(REFERENCE_SELLER_PCT + BAND_HALFWIDTH_PCT)
        band_bottom = y(REFERENCE_SELLER_PCT - BAND_HALFWIDTH_PCT)
        parts.append(
            f'<rect x="{left}" y="{band_top:.1f}" width="{inner_w}" height="{band_bottom - band_top:.1f}" fill="{BAND}" opacity=".25"><title>{escape(t("band", lang))} {REFERENCE_SELLER_PCT - BAND_HALFWIDTH_PCT}–{REFERENCE_SELLER_PCT + BAND_HALFWIDTH_PCT} %</title></rect>'
        )
    parts.append(
        f'<line x1="{left}" y1="{y(low):.1f}" x2="{width - right}" y2="{y(low):.1f}" stroke="#c9d0d6"/>'
        f'<text class="axis" x="{left - 4}" y="{y(high) + 4:.1f}" text-anchor="end">{_number(high)}</text>'
        f'<text class="axis" x="{left - 4}" y="{y(low) + 4:.1f}" text-anchor="end">0</text>'
    )
    points = [(x(i), y(float(v))) for i, v in enumerate(values) if v is not None]
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    for i, v in enumerate(values):
        if v is None:
            continue
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(float(v)):.1f}" r="3.5" fill="{colour}"><title>{escape(weeks[i].label)}: {_number(v)}</title></circle>'
        )
    step = max(1, len(weeks) // 4)
    for i in range(0, len(weeks), step):
        parts.append(
            f'<text class="axis" x="{x(i):.1f}" y="{height - 8}" text-anchor="middle">{escape(weeks[i].label[-3:])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: Sequence[Summary], first: str, lang: Lang) -> str:
    columns = SUMMARY_COLUMNS[1:]
    head = "".join(f"<th>{escape(t(c, lang))}</th>" for c in columns)
    body = "".join(
        "<tr><td>"
        + escape(row.label)
        + "</td>"
        + "".join(f"<td>{_number(getattr(row, c))}</td>" for c in columns)
        + "</tr>"
        for row in rows
    )
    return f'<div class="scroll"><table><thead><tr><th>{escape(t(first, lang))}</th>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _page(title: str, lang: Lang, body: str, csv_href: str) -> str:
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)} · praesent</title><style>{_CSS}</style></head><body><main>"
        f"<div class='brand'>praesent</div><h1>{escape(title)}</h1>"
        f"<p class='muted'><a href='{escape(csv_href)}'>{t('csv', lang)}</a> · "
        f"<a href='?format=html&amp;lang={'en' if lang == 'de' else 'de'}'>{'English' if lang == 'de' else 'Deutsch'}</a></p>"
        f"{body}</main></body></html>\n"
    )


def trends_html(trend: SellerTrend, lang: Lang, csv_href: str) -> str:
    if not trend.weeks:
        body = f"<section class='card'><p>{t('no_calls', lang)}</p></section>"
    else:
        charts = "".join(_line_chart(key, colour, trend.weeks, lang) for key, colour in _CHARTS)
        body = (
            f"<section class='card'><div class='grid'>{charts}</div></section>"
            f"<section class='card'>{_table(trend.weeks, 'week', lang)}</section>"
        )
    return _page(f"{t('trends', lang)}: {trend.email}", lang, body, csv_href)


def team_html(
    team_name: str,
    sellers: Sequence[SellerTrend],
    weeks: Sequence[Summary],
    lang: Lang,
    csv_href: str,
    report_href: str,
) -> str:
    """The coach's team view: sellers side by side, the team's trend, shared calls to open."""
    charts = (
        "".join(_line_chart(key, colour, weeks, lang) for key, colour in _CHARTS[:4])
        if weeks
        else f"<p>{t('no_calls', lang)}</p>"
    )
    rows = []
    for seller in sellers:
        for call in reversed(seller.calls):
            informed = (
                f"<span class='informed'>{t('informed', lang)}</span>"
                if call.customer_informed
                else f"<span class='not-informed'>{t('not_informed', lang)}</span>"
            )
            href = report_href.format(session_id=call.session_id, lang=lang)
            named = " · ".join(p for p in (call.title or call.session_id, call.company) if p)
            rows.append(
                f"<tr><td>{escape(seller.email)}</td><td>{escape(call.started_at.date().isoformat())}</td>"
                f"<td style='text-align:left'><a href='{escape(href)}'>{escape(named)}</a></td>"
                f"<td>{_number(call.seller_pct)}</td><td style='text-align:left'>{informed}</td></tr>"
            )
    calls = (
        f"<div class='scroll'><table><thead><tr><th>{t('seller', lang)}</th><th></th><th style='text-align:left'>{t('report', lang)}</th>"
        f"<th>{t('seller_pct', lang)}</th><th></th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
    body = (
        f"<p class='muted'>{t('only_shared', lang)}</p>"
        f"<section class='card'><h2>{t('side_by_side', lang)}</h2>{_table([s.overall for s in sellers], 'seller', lang)}</section>"
        f"<section class='card'><h2>{t('talk_trend', lang)}</h2><div class='grid'>{charts}</div></section>"
        f"<section class='card'><h2>{t('shared_calls', lang)}</h2>{calls}</section>"
    )
    return _page(f"{t('team', lang)} {team_name}", lang, body, csv_href)


def summaries_csv(rows: Sequence[Summary], first: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([first, *SUMMARY_COLUMNS[1:]])
    for row in rows:
        writer.writerow(
            [getattr(row, c) if getattr(row, c) is not None else "" for c in SUMMARY_COLUMNS]
        )
    return out.getvalue()

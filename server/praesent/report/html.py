# ruff: noqa: E501, RUF001  (HTML, SVG and CSS templates: long lines, typographic dashes)
"""The report as one self-contained HTML file: inline CSS, inline SVG, no script, no network.

Every number is printed through :func:`_n` and friends, which wrap it as
``<span class="n" data-v="VALUE">shown</span>`` with the model's value; free text from the call
(quotes, titles, dates) sits in ``class="q"``. Tests use both to check that what is shown equals
the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from html import escape

from praesent.report.model import (
    Lang,
    Moment,
    Report,
    RoleName,
    Timeline,
    TimelineRow,
    Tip,
)
from praesent.report.texts import t

SELLER = "#0072B2"  # Okabe-Ito blue
CUSTOMER = "#E69F00"  # Okabe-Ito orange
INTERRUPTION = "#D55E00"  # vermillion
BACKCHANNEL = "#009E73"  # bluish green
BAND = "#56B4E9"  # sky blue
INK = "#1d2329"
MUTED = "#5b6670"
_LIST_VISIBLE = 12
_W = 940  # width of the charts' drawing area (viewBox units)
_LEFT = 84  # room for lane labels

# -- numbers ---------------------------------------------------------------------------------


def _value(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _span(v: float, shown: str, tag: str = "span") -> str:
    return f'<{tag} class="n" data-v="{_value(v)}">{shown}</{tag}>'


def _decimal(v: float, lang: Lang, digits: int = 1) -> str:
    text = f"{v:.{digits}f}".replace("-", "−")
    return text.replace(".", ",") if lang == "de" else text


def _clock(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _n(v: int, tag: str = "span") -> str:
    """A count or whole number."""
    return _span(v, str(v), tag)


def _at(seconds: int, tag: str = "span") -> str:
    """A moment in the call, as m:ss or h:mm:ss."""
    return _span(seconds, _clock(seconds), tag)


def _dur(seconds: float, lang: Lang, tag: str = "span") -> str:
    """A duration: ``12.3 s`` below a minute, ``2:05 min`` or ``1:02:05 h`` above."""
    if abs(seconds) < 60:
        return _span(seconds, _decimal(seconds, lang), tag) + " s"
    unit = " h" if seconds >= 3600 else " min"
    return _span(seconds, _clock(round(seconds)), tag) + unit


def _pct(v: int, tag: str = "span") -> str:
    return _span(v, str(v), tag) + " %"


def _q(text: str, tag: str = "span") -> str:
    return f'<{tag} class="q">{escape(text)}</{tag}>'


def _fill(template: str, **values: str) -> str:
    """An escaped template with ``{name}`` fields replaced by (already safe) HTML."""
    return escape(template, quote=False).format(**values)


# -- pieces ----------------------------------------------------------------------------------


def _role_name(role: RoleName | None, lang: Lang) -> str:
    return t(role, lang) if role is not None else "?"


def _said_by(role: RoleName | None, what: str, lang: Lang) -> str:
    """ "You were saying", "The customer came in with": the phrase of the role, whole."""
    return t(f"{what}_{role}", lang) if role is not None else "?"


def _section(title: str, body: str, cls: str = "") -> str:
    return f'<section class="card {cls}"><h2>{escape(title)}</h2>{body}</section>'


def _listing(items: list[str], lang: Lang, tag: str = "ul") -> str:
    """A list that shows the first few items and folds the rest away."""
    head = "".join(items[:_LIST_VISIBLE])
    rest = items[_LIST_VISIBLE:]
    html = f"<{tag} class='items'>{head}</{tag}>"
    if rest:
        more = "Alle zeigen" if lang == "de" else "Show all"
        html += (
            f"<details class='more'><summary>{more}</summary>"
            f"<{tag} class='items'>{''.join(rest)}</{tag}></details>"
        )
    return html


def _figure(label: str, value: str, hint: str = "") -> str:
    hint_html = f"<div class='hint'>{hint}</div>" if hint else ""
    return (
        f"<div class='figure'><div class='label'>{escape(label)}</div>"
        f"<div class='value'>{value}</div>{hint_html}</div>"
    )


def _key_figures(r: Report) -> str:
    lang = r.language
    c = r.counts
    share = _pct(r.talk.seller_pct) if r.talk.seller_pct is not None else t("not_measured", lang)
    patience = (
        _dur(r.patience.median_s, lang)
        if r.patience.median_s is not None
        else t("not_measured", lang)
    )
    figures = [
        _figure(
            t("talk_share", lang),
            share,
            escape(t("reference", lang)) + " " + _pct(r.talk.reference_seller_pct),
        ),
        _figure(
            t("interruptions_you", lang),
            _n(c.interruptions_by_seller),
            escape(t("by_customer", lang)) + ": " + _n(c.interruptions_by_customer),
        ),
        _figure(t("longest_monologue", lang), _dur(r.monologue.duration_s, lang)),
        _figure(t("longest_story", lang), _dur(r.customer_story.duration_s, lang)),
        _figure(t("patience", lang), patience, escape(t("patience_hint", lang))),
        _figure(
            t("questions", lang),
            _n(r.questions.total),
            f"{escape(t('open', lang))} {_n(r.questions.open)} · "
            f"{escape(t('closed', lang))} {_n(r.questions.closed)}",
        ),
        _figure(
            t("backchannels_you", lang),
            _n(c.backchannels_by_seller),
            escape(t("by_customer", lang)) + ": " + _n(c.backchannels_by_customer),
        ),
    ]
    return _section(t("key_figures", lang), f"<div class='figures'>{''.join(figures)}</div>")


def _tip_reason(tip: Tip, lang: Lang) -> str:
    e = tip.evidence
    if tip.kind == "let_finish" and not e.get("interruptions"):
        return _fill(
            t("tip_let_finish_why_early", lang), early_starts=_n(int(e.get("early_starts", 0)))
        )
    fields: dict[str, str] = {}
    for key, value in e.items():
        if key == "first_at_s":
            fields["first_at"] = _at(int(value))
        elif key == "long_s":
            fields[key] = _dur(float(value), lang)
        else:
            fields[key] = _n(int(value))
    return _fill(t(f"tip_{tip.kind}_why", lang), **fields)


def _tips(r: Report) -> str:
    lang = r.language
    if not r.tips:
        return _section(
            t("tips_few", lang), f"<p class='muted'>{escape(t('no_tips', lang))}</p>", "tips"
        )
    items = "".join(
        f"<li><h3>{escape(t(f'tip_{tip.kind}', lang))}</h3>"
        f"<p><strong>{escape(t('why', lang))}:</strong> {_tip_reason(tip, lang)}</p></li>"
        for tip in r.tips
    )
    title = t("tips", lang) if len(r.tips) == 3 else t("tips_few", lang)
    return _section(title, f"<ul class='tips'>{items}</ul>", "tips")


def _talk_chart(r: Report) -> str:
    lang = r.language
    talk = r.talk
    verdict = f"<p class='verdict'>{escape(t('verdict_' + talk.verdict, lang))}</p>"
    if talk.seller_pct is None or talk.customer_pct is None:
        return _section(t("talk_ratio", lang), verdict)
    w, x0 = 860.0, 40.0
    sx = x0 + w * talk.seller_pct / 100
    lo = x0 + w * talk.band_low_pct / 100
    hi = x0 + w * talk.band_high_pct / 100
    ref = x0 + w * talk.reference_seller_pct / 100
    seller_label = (
        f"<text x='{x0 + 8}' y='62' class='bar-label'>{escape(t('seller', lang))} "
        f"{_span(talk.seller_pct, str(talk.seller_pct), 'tspan')} %</text>"
        if talk.seller_pct >= 12
        else ""
    )
    customer_label = (
        f"<text x='{x0 + w - 8}' y='62' class='bar-label' text-anchor='end'>"
        f"{escape(t('customer', lang))} {_span(talk.customer_pct, str(talk.customer_pct), 'tspan')}"
        " %</text>"
        if talk.customer_pct >= 12
        else ""
    )
    svg = f"""<svg class="chart" viewBox="0 0 940 110" role="img" aria-label="{escape(t("talk_ratio", lang))}">
<rect x="{lo:.1f}" y="30" width="{hi - lo:.1f}" height="50" fill="url(#band)" stroke="{BAND}" stroke-width="1.5"/>
<rect x="{x0}" y="40" width="{sx - x0:.1f}" height="30" fill="{SELLER}"/>
<rect x="{sx:.1f}" y="40" width="{x0 + w - sx:.1f}" height="30" fill="{CUSTOMER}"/>
{seller_label}{customer_label}
<line x1="{ref:.1f}" x2="{ref:.1f}" y1="24" y2="86" stroke="{INK}" stroke-width="2" stroke-dasharray="5 3"/>
<text x="{ref:.1f}" y="18" text-anchor="middle" class="axis">{escape(t("reference", lang))} {_span(talk.reference_seller_pct, str(talk.reference_seller_pct), "tspan")} : {_span(talk.reference_customer_pct, str(talk.reference_customer_pct), "tspan")}</text>
<text x="{(lo + hi) / 2:.1f}" y="102" text-anchor="middle" class="axis">{escape(t("band", lang))} {_span(talk.band_low_pct, str(talk.band_low_pct), "tspan")}–{_span(talk.band_high_pct, str(talk.band_high_pct), "tspan")} %</text>
</svg>"""
    numbers = (
        f"<p>{escape(t('seller_long', lang))}: {_dur(talk.seller_s, lang)} · "
        f"{escape(t('customer_long', lang))}: {_dur(talk.customer_s, lang)} · "
        f"{escape(t('overlap', lang))}: {_dur(talk.overlap_s, lang)}</p>"
    )
    note = _fill(
        t("talk_reference_note", lang),
        ref_seller=_n(talk.reference_seller_pct),
        ref_customer=_n(talk.reference_customer_pct),
    )
    return _section(t("talk_ratio", lang), verdict + svg + numbers + f"<p class='muted'>{note}</p>")


def _x(at: float, row: TimelineRow) -> float:
    span = max(1, row.end_s - row.start_s)
    return _LEFT + (_W - _LEFT - 26) * (at - row.start_s) / span


def _row_width(row: TimelineRow, full: int) -> float:
    """Rows shorter than the full row length are drawn to scale (a last, short row)."""
    return (row.end_s - row.start_s) / max(1, full)


def _axis(row: TimelineRow, y: float) -> str:
    ticks = "".join(
        f"<line x1='{_x(s, row):.1f}' x2='{_x(s, row):.1f}' y1='{y}' y2='{y + 5}' stroke='{MUTED}'/>"
        f"<text x='{_x(s, row):.1f}' y='{y + 17}' text-anchor='middle' class='axis'>"
        f"{_at(s, 'tspan')}</text>"
        for s in row.ticks_s
    )
    return (
        f"<line x1='{_LEFT}' x2='{_x(row.end_s, row):.1f}' y1='{y}' y2='{y}' stroke='{MUTED}'/>"
        + ticks
    )


def _lane_labels(lang: Lang, y_seller: float, y_customer: float) -> str:
    return (
        f"<text x='{_LEFT - 8}' y='{y_seller}' text-anchor='end' class='lane'>{escape(t('seller', lang))}</text>"
        f"<text x='{_LEFT - 8}' y='{y_customer}' text-anchor='end' class='lane'>{escape(t('customer', lang))}</text>"
    )


def _triangle(x: float, y: float) -> str:
    return f"<path d='M{x - 5:.1f} {y - 7:.1f} L{x + 5:.1f} {y - 7:.1f} L{x:.1f} {y:.1f} Z' class='mi'/>"


def _dot(x: float, y: float) -> str:
    return f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3.2' class='mb'/>"


def _timeline_rows(tl: Timeline, lang: Lang) -> str:
    svgs = []
    lane = {"seller": (16.0, 22.0), "customer": (42.0, 22.0)}
    for row in tl.rows:
        parts = [_lane_labels(lang, 31, 57)]
        for span in tl.spans:
            if span.end_s <= row.start_s or span.start_s >= row.end_s:
                continue
            a, b = _x(max(span.start_s, row.start_s), row), _x(min(span.end_s, row.end_s), row)
            y, h = lane[span.role]
            color = SELLER if span.role == "seller" else CUSTOMER
            parts.append(
                f"<rect x='{a:.1f}' y='{y}' width='{max(b - a, 0.8):.1f}' height='{h}' fill='{color}'/>"
            )
        for mark in tl.marks:
            if not row.start_s <= mark.at_s < row.end_s or (
                mark.at_s == row.end_s == tl.duration_s
            ):
                continue
            x = _x(mark.at_s, row)
            if mark.kind == "interruption":
                parts.append(_triangle(x, 14 if mark.by == "seller" else 40))
            else:
                parts.append(_dot(x, 70 if mark.by == "customer" else 12))
        parts.append(_axis(row, 78))
        svgs.append(
            f"<svg class='chart timeline' viewBox='0 0 {_W} 100' role='img'>{''.join(parts)}</svg>"
        )
    return "".join(svgs)


def _timeline_bins(tl: Timeline, lang: Lang) -> str:
    row = tl.rows[0]
    mid, half = 60.0, 40.0
    parts = [_lane_labels(lang, mid - 16, mid + 24)]
    for b in tl.bins:
        a, z = _x(b.start_s, row), _x(b.end_s, row)
        width = max(z - a - 0.6, 0.6)
        if b.seller_frac > 0:
            h = half * b.seller_frac
            parts.append(
                f"<rect x='{a:.1f}' y='{mid - h:.1f}' width='{width:.1f}' height='{h:.1f}' fill='{SELLER}'/>"
            )
        if b.customer_frac > 0:
            h = half * b.customer_frac
            parts.append(
                f"<rect x='{a:.1f}' y='{mid:.1f}' width='{width:.1f}' height='{h:.1f}' fill='{CUSTOMER}'/>"
            )
        if b.interruptions:
            parts.append(_triangle((a + z) / 2, mid - half - 3))
        if b.backchannels:
            parts.append(_dot((a + z) / 2, mid + half + 6))
    parts.append(
        f"<line x1='{_LEFT}' x2='{_W - 26}' y1='{mid}' y2='{mid}' stroke='white' stroke-width='1'/>"
    )
    parts.append(_axis(row, mid + half + 14))
    note = _fill(t("timeline_binned", lang), bin=_dur(float(tl.bin_s or 0), lang))
    svg = f"<svg class='chart timeline' viewBox='0 0 {_W} 140' role='img'>{''.join(parts)}</svg>"
    return f"<p class='muted'>{note}</p>{svg}"


def _legend(lang: Lang) -> str:
    return (
        "<p class='legend'>"
        f"<span class='sw' style='background:{SELLER}'></span>{escape(t('seller', lang))} "
        f"<span class='sw' style='background:{CUSTOMER}'></span>{escape(t('customer', lang))} "
        f"<svg width='14' height='10' viewBox='0 0 14 10'><path d='M2 1 L12 1 L7 9 Z' class='mi'/></svg>"
        f"{escape(t('legend_interruption', lang))} "
        f"<svg width='10' height='10' viewBox='0 0 10 10'><circle cx='5' cy='5' r='3.5' class='mb'/></svg>"
        f"{escape(t('legend_backchannel', lang))}</p>"
    )


def _timeline(r: Report) -> str:
    lang = r.language
    tl = r.timeline
    if r.status != "ok" or (not tl.spans and not tl.bins):
        body = f"<p class='muted'>{escape(t('timeline_empty', lang))}</p>"
    elif tl.binned:
        body = _timeline_bins(tl, lang) + _legend(lang)
    else:
        body = _timeline_rows(tl, lang) + _legend(lang)
    return _section(t("timeline", lang), body)


def _moment(m: Moment, title: str, note: str, lang: Lang) -> str:
    if m.start_s is None or m.end_s is None:
        return f"<div class='moment'><h3>{escape(title)}</h3><p class='muted'>{escape(t('no_turn', lang))}</p></div>"
    when = _fill(t("from_to", lang), start=_at(m.start_s), end=_at(m.end_s))
    quote = f"<blockquote>{_q(m.excerpt)}</blockquote>" if m.excerpt else ""
    return (
        f"<div class='moment'><h3>{escape(title)}: {_dur(m.duration_s, lang)}</h3>"
        f"<p>{when}</p>{quote}<p class='muted'>{note}</p></div>"
    )


def _moments(r: Report) -> str:
    lang = r.language
    stories = r.counts.customer_stories_over_goal
    count_key = {0: "stories_none", 1: "stories_one"}.get(stories, "stories_many")
    story_note = (
        escape(t("story_note", lang))
        + " "
        + _fill(
            t(count_key, lang), goal=_dur(float(r.options.story_goal_s), lang), count=_n(stories)
        )
    )
    body = (
        "<div class='two'>"
        + _moment(
            r.monologue, t("longest_monologue", lang), escape(t("monologue_note", lang)), lang
        )
        + _moment(r.customer_story, t("longest_story", lang), story_note, lang)
        + "</div>"
    )
    p = r.patience
    if p.median_s is None:
        patience = escape(t("patience_none", lang))
    else:
        hint = t("patience_negative", lang) if p.median_s < 0 else t("patience_ok", lang)
        patience = f"{_dur(p.median_s, lang)}. {escape(hint)}"
    body += (
        f"<h3>{escape(t('patience', lang))}</h3><p>{escape(t('patience_hint', lang))}: {patience}</p>"
        f"<p class='muted'>{_fill(t('early_starts_note', lang), count=_n(p.early_starts_by_seller))}</p>"
    )
    return _section(t("moments", lang), body)


def _interruptions(r: Report) -> str:
    lang = r.language
    if not r.interruptions:
        return _section(
            t("interruptions_in_context", lang), f"<p>{escape(t('no_interruptions', lang))}</p>"
        )
    items = []
    for row in r.interruptions:
        said = (
            f"<div>{escape(_said_by(row.of, 'interrupted', lang))}: "
            f"{_q(row.interrupted_text, 'q')}</div>"
            if row.interrupted_text
            else ""
        )
        came = (
            f"<div>{escape(_said_by(row.by, 'interrupting', lang))}: "
            f"{_q(row.interrupting_text, 'q')}</div>"
            if row.interrupting_text
            else ""
        )
        recovered = (
            ""
            if row.recovered is None
            else escape(t("recovered" if row.recovered else "not_recovered", lang))
        )
        items.append(
            f"<li><div class='meta'>{_at(row.at_s)} · "
            f"<span class='who {row.by}'>{escape(_role_name(row.by, lang))}</span> → "
            f"{escape(_role_name(row.of, lang))} · "
            f"{_fill(t('overlap_for', lang), overlap=_dur(row.overlap_s, lang))}"
            f"{' · ' + escape(_role_name(row.of, lang)) + ' ' + recovered if recovered else ''}"
            f"</div>{said}{came}</li>"
        )
    return _section(t("interruptions_in_context", lang), _listing(items, lang))


def _questions(r: Report) -> str:
    lang = r.language
    q = r.questions
    head = (
        f"<p>{escape(t('open', lang)).capitalize()}: {_n(q.open)} · "
        f"{escape(t('closed', lang))}: {_n(q.closed)}</p>"
    )
    if q.total:
        w = 600.0
        ow = w * q.open / q.total
        head += (
            f"<svg class='chart small' viewBox='0 0 {w:.0f} 22' role='img'>"
            f"<rect x='0' y='2' width='{ow:.1f}' height='18' fill='{SELLER}'/>"
            f"<rect x='{ow:.1f}' y='2' width='{w - ow:.1f}' height='18' fill='url(#hatch)' stroke='{SELLER}'/>"
            "</svg>"
        )
    note = _fill(t("questions_reference", lang), low=_n(q.reference_low), high=_n(q.reference_high))
    if not q.items:
        body = head + f"<p>{escape(t('no_questions', lang))}</p>"
    else:
        items = [
            f"<li>{_at(item.at_s)} <span class='tag {'open' if item.open else 'closed'}'>"
            f"{escape(t('open' if item.open else 'closed', lang))}</span> {_q(item.text, 'q')}</li>"
            for item in q.items
        ]
        body = head + _listing(items, lang)
    return _section(t("questions_asked", lang), body + f"<p class='muted'>{note}</p>")


def _topics(r: Report) -> str:
    lang = r.language
    if not r.topics:
        return _section(t("topics", lang), f"<p class='muted'>{escape(t('no_topics', lang))}</p>")
    items = []
    for topic in r.topics:
        lines = "".join(f"<li>{_q(line)}</li>" for line in topic.summary)
        phrases = (
            f"<p class='muted'>{escape(t('key_phrases', lang))}: {_q(', '.join(topic.key_phrases))}</p>"
            if topic.key_phrases
            else ""
        )
        items.append(
            f"<li><h3>{_q(topic.title or '…')}</h3><div class='meta'>{_at(topic.start_s)}–"
            f"{_at(topic.end_s)}</div><ul>{lines}</ul>{phrases}</li>"
        )
    return _section(t("topics", lang), _listing(items, lang))


def _cue_label(kind: str, lang: Lang) -> str:
    key = f"cue_{kind}"
    try:
        return t(key, lang)
    except KeyError:
        return kind


def _cues(r: Report) -> str:
    lang = r.language
    c = r.cues
    if not c.items:
        return _section(t("cues", lang), f"<p class='muted'>{escape(t('no_cues', lang))}</p>")
    items = []
    for cue in c.items:
        state = (
            "unknown" if cue.acted_on is None else "acted_on" if cue.acted_on else "not_acted_on"
        )
        mark = {"acted_on": "✓", "not_acted_on": "✗", "unknown": "–"}[state]
        items.append(
            f"<li>{_at(cue.at_s)} <strong>{escape(_cue_label(cue.kind, lang))}</strong> "
            f"<span class='state {state}'>{mark} {escape(t(state, lang))}</span></li>"
        )
    head = f"<p>{_fill(t('cues_summary', lang), shown=_n(c.shown), acted=_n(c.acted_on))}</p>"
    return _section(t("cues", lang), head + _listing(items, lang, "ul"))


def _trend(r: Report) -> str:
    lang = r.language
    if not r.trend:
        return ""
    n = len(r.trend)
    step = (_W - 60) / max(n, 1)
    low = r.talk.band_low_pct
    high = r.talk.band_high_pct

    def y(pct: float) -> float:
        return 110 - pct

    parts = [
        f"<rect x='40' y='{y(high):.1f}' width='{_W - 60}' height='{high - low}' fill='url(#band)' stroke='{BAND}'/>"
    ]
    for i, p in enumerate(r.trend):
        x = 40 + i * step + step * 0.2
        if p.seller_pct is not None:
            color = SELLER if p.current else "#8fb9d6"
            parts.append(
                f"<rect x='{x:.1f}' y='{y(p.seller_pct):.1f}' width='{step * 0.6:.1f}' "
                f"height='{p.seller_pct}' fill='{color}'/>"
            )
    svg = f"<svg class='chart' viewBox='0 0 {_W} 115' role='img'>{''.join(parts)}</svg>"
    rows = "".join(
        f"<tr class='{'current' if p.current else ''}'><td>"
        f"{escape(t('this_call', lang)) if p.current else _q(p.label)}</td>"
        f"<td>{_pct(p.seller_pct) if p.seller_pct is not None else '–'}</td>"
        f"<td>{_n(p.interruptions)}</td><td>{_n(p.open_questions)} / {_n(p.questions)}</td></tr>"
        for p in r.trend
    )
    table = (
        f"<table><thead><tr><th>{escape(t('date', lang))}</th><th>{escape(t('talk_share', lang))}</th>"
        f"<th>{escape(t('interruptions', lang))}</th>"
        f"<th>{escape(t('questions', lang))} ({escape(t('open', lang))})</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    return _section(t("trend", lang), svg + table)


def _transcript(r: Report) -> str:
    lang = r.language
    tr = r.transcript
    if not tr.lines:
        return _section(
            t("transcript", lang), f"<p class='muted'>{escape(t('no_transcript', lang))}</p>"
        )
    lines = "".join(
        f"<li class='{line.role or ''}'>{_at(line.at_s)} <b>{escape(_role_name(line.role, lang))}</b> "
        f"{_q(line.text)}</li>"
        for line in tr.lines
    )
    count = _fill(t("transcript_count", lang), shown=_n(tr.shown), total=_n(tr.total))
    cut = (
        f"<p class='muted'>{_fill(t('transcript_cut', lang), shown=_n(tr.shown), total=_n(tr.total))}</p>"
        if tr.shown < tr.total
        else ""
    )
    body = (
        f"<details class='transcript'><summary>{escape(t('transcript', lang))} ({count})</summary>"
        f"{cut}<ul>{lines}</ul></details>"
        f"<p class='print-only muted'>{escape(t('transcript_print', lang))}</p>"
    )
    return f"<section class='card'>{body}</section>"


def _notes(r: Report) -> str:
    lang = r.language
    notes = []
    if r.status == "no_speech":
        notes.append(t("no_speech", lang))
    elif r.status == "no_roles":
        notes.append(t("no_roles", lang))
    for role in r.silent:
        notes.append(t(f"silent_{role}", lang))
    if r.status == "ok" and not r.has_transcript:
        notes.append(t("no_transcript", lang))
    html = [f"<div class='note'>{escape(note)}</div>" for note in notes]
    for gap in r.unheard:
        text = escape(t("unheard", lang)).format(
            duration=_dur(gap.duration_s, lang), start=_at(gap.start_s), end=_at(gap.end_s)
        )
        html.append(f"<div class='note unheard'>{text}</div>")
    for span in r.warned:
        text = escape(t(f"warned_{span.kind}", lang)).format(
            duration=_dur(span.duration_s, lang), start=_at(span.start_s), end=_at(span.end_s)
        )
        html.append(f"<div class='note warned'>{text}</div>")
    return "".join(html)


def _language_changes(r: Report) -> str:
    """One line per change of the call's language, in call order."""
    lang = r.language
    lines = []
    for change in r.language_changes:
        if change.source not in ("detected", "corrected", "pinned", "auto"):
            continue
        text = escape(t(f"language_{change.source}", lang)).format(
            language=_language_name(change.language, lang),
            previous=_language_name(change.previous, lang),
            at=_at(change.at_s),
            speech=_dur(change.speech_s, lang),
        )
        lines.append(f"<li>{text}</li>")
    if not lines:
        return ""
    title = escape(t("language_changes", lang))
    return f"<div class='language-changes'>{title}:<ul>{''.join(lines)}</ul></div>"


def _language_name(code: str | None, lang: Lang) -> str:
    if code in ("de", "en"):
        return escape(t(f"lang_{code}", lang))
    return _q(code or "?")


def _with_whom(r: Report) -> str:
    """ "with Ada Lovelace, ACME": the customer's name (else e-mail) and company, as known."""
    c = r.customer
    if c is None:
        return ""
    parts = [_q(part, "span") for part in (c.name or c.email, c.company) if part]
    return f"<p class='customer'>{escape(t('with_customer', r.language))} {', '.join(parts)}</p>"


def _header(r: Report) -> str:
    lang = r.language
    title = _q(r.title, "span") if r.title else escape(t("recording", lang))
    meta = [f"{escape(t('duration', lang))} {_dur(r.duration_s, lang)}"]
    if r.started_at:
        meta.append(f"{escape(t('started', lang))} {_q(r.started_at[:16].replace('T', ' '))}")
    meta.append(f"{escape(t('call_language', lang))} {_language_name(r.call_language, lang)}")
    if r.customer_informed is not None:
        key = "customer_informed" if r.customer_informed else "customer_not_informed"
        meta.append(
            f"<span class='informed-{str(r.customer_informed).lower()}'>{escape(t(key, lang))}</span>"
        )
    if r.sent_to:
        places = ", ".join(
            f"{escape(place.host)} ({escape(t(f'sent_{place.status}', lang))})"
            for place in r.sent_to
        )
        meta.append(f"<span class='sent-to'>{escape(t('sent_to', lang))} {places}</span>")
    return (
        f"<header><div class='brand'>praesent</div><h1>{escape(t('doc_title', lang))}</h1>"
        f"<p class='title'>{title}</p>{_with_whom(r)}<p class='meta'>{' · '.join(meta)}</p>"
        f"<p class='muted'>{escape(t('subtitle', lang))}</p></header>"
    )


_DEFS = f"""<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>
<pattern id="band" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
<rect width="6" height="6" fill="#e8f4fc"/><line x1="0" y1="0" x2="0" y2="6" stroke="{BAND}" stroke-width="1.2"/></pattern>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
<rect width="6" height="6" fill="white"/><line x1="0" y1="0" x2="0" y2="6" stroke="{SELLER}" stroke-width="1.5"/></pattern>
</defs></svg>"""

_CSS = f"""
*{{box-sizing:border-box}}
html{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
body{{margin:0;background:#f3f5f7;color:{INK};font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans","Liberation Sans",sans-serif}}
main{{max-width:1000px;margin:0 auto;padding:24px 20px 40px}}
header{{padding:8px 4px 12px}}
.brand{{font-weight:700;letter-spacing:.08em;text-transform:uppercase;font-size:12px;color:{SELLER}}}
h1{{margin:2px 0 2px;font-size:28px}}
h2{{font-size:18px;margin:0 0 10px}}
h3{{font-size:15px;margin:10px 0 4px}}
.title{{font-size:18px;margin:0}}
.meta{{color:{MUTED};margin:2px 0}}
.muted{{color:{MUTED};font-size:13.5px}}
.card{{background:white;border-radius:10px;padding:16px 20px;margin:14px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}}
.language-changes{{color:{MUTED};margin:6px 0}}
.language-changes ul{{margin:2px 0 0 18px;padding:0}}
.note{{background:#fff4e0;border-left:5px solid {CUSTOMER};padding:10px 14px;margin:10px 0;border-radius:6px}}
.figures{{display:grid;grid-template-columns:repeat(auto-fill,minmax(165px,1fr));gap:10px}}
.figure{{border:1px solid #e2e6ea;border-radius:8px;padding:10px 12px}}
.figure .label{{font-size:12.5px;color:{MUTED};text-transform:uppercase;letter-spacing:.03em}}
.figure .value{{font-size:24px;font-weight:650}}
.figure .hint{{font-size:12.5px;color:{MUTED}}}
.tips ul.tips{{padding-left:18px;list-style:'→  '}}
.tips li{{margin:6px 0 10px}}
.tips h3{{margin:0;font-size:16px;color:{SELLER}}}
.tips p{{margin:2px 0}}
section.tips{{border-left:6px solid {SELLER}}}
.verdict{{font-weight:600;margin:0 0 4px}}
.chart{{width:100%;height:auto;display:block}}
.chart.small{{max-width:600px;margin:4px 0}}
.chart text{{font:13px system-ui,"DejaVu Sans",sans-serif;fill:{INK}}}
.chart .axis{{font-size:11.5px;fill:{MUTED}}}
.chart .lane{{font-size:12.5px;font-weight:600}}
.chart .bar-label{{fill:white;font-weight:700}}
.mi{{fill:{INTERRUPTION};stroke:white;stroke-width:.8}}
.mb{{fill:{BACKCHANNEL};stroke:white;stroke-width:.8}}
.legend{{font-size:13px;color:{MUTED};display:flex;gap:6px;align-items:center;flex-wrap:wrap}}
.sw{{display:inline-block;width:14px;height:10px;border-radius:2px;margin-left:6px}}
.two{{display:grid;grid-template-columns:1fr 1fr;gap:18px}}
blockquote{{margin:6px 0;padding:4px 10px;border-left:3px solid #d0d6dc;color:#333;font-style:italic}}
ol.items,ul.items{{padding-left:20px;margin:6px 0}}
ol.items li,ul.items li{{margin:4px 0}}
.meta .who.seller{{color:{SELLER};font-weight:600}}
.meta .who.customer{{color:#a86f00;font-weight:600}}
.tag{{font-size:11.5px;border-radius:4px;padding:0 6px;border:1px solid {SELLER}}}
.tag.open{{background:{SELLER};color:white}}
.tag.closed{{color:{SELLER}}}
.state.acted_on{{color:{BACKCHANNEL};font-weight:600}}
.state.not_acted_on{{color:{INTERRUPTION};font-weight:600}}
table{{border-collapse:collapse;width:100%;font-size:14px;margin-top:8px}}
th,td{{text-align:left;padding:4px 8px;border-bottom:1px solid #e2e6ea}}
tr.current td{{font-weight:650}}
details summary{{cursor:pointer;font-weight:600}}
details.transcript summary{{font-size:18px}}
details.transcript ul{{list-style:none;padding:0;font-size:14px}}
details.transcript li{{padding:2px 0 2px 10px;border-left:4px solid transparent}}
details.transcript li.seller{{border-color:{SELLER}}}
details.transcript li.customer{{border-color:{CUSTOMER}}}
.print-only{{display:none}}
footer{{color:{MUTED};font-size:12.5px;text-align:center;margin-top:20px}}
@media (max-width:700px){{.two{{grid-template-columns:1fr}}}}
@media print{{
  @page{{size:A4;margin:14mm 12mm}}
  body{{background:white;font-size:12.5px}}
  main{{max-width:none;padding:0}}
  .card{{box-shadow:none;border:1px solid #dde2e7;padding:10px 14px;margin:8px 0;break-inside:avoid}}
  .card.long{{break-inside:auto}}
  details.transcript,details.more{{display:none}}
  .print-only{{display:block}}
  .figure .value{{font-size:20px}}
  .figures{{grid-template-columns:repeat(4,1fr)}}
  h1{{font-size:24px}}
}}
"""


def _page(r: Report, body: Iterable[str]) -> str:
    title = f"{t('doc_title', r.language)} · praesent"
    return (
        f"<!DOCTYPE html><html lang='{r.language}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>{_DEFS}<main>"
        + "".join(body)
        + f"<footer>{escape(t('footer', r.language))}</footer></main></body></html>\n"
    )


_SECTIONS: tuple[Callable[[Report], str], ...] = (
    _key_figures,
    _tips,
    _talk_chart,
    _timeline,
    _moments,
    _interruptions,
    _questions,
    _topics,
    _cues,
    _trend,
    _transcript,
)


def to_html(report: Report) -> str:
    """The whole report as one HTML document (a string)."""
    parts = [_header(report), _language_changes(report), _notes(report)]
    if report.status == "ok":
        parts += [section(report) for section in _SECTIONS]
    else:
        parts += [_tips(report), _timeline(report), _transcript(report)]
    return _page(report, parts)


def numbers_shown(html: str) -> Mapping[str, int]:  # pragma: no cover - convenience for debugging
    import re

    return {m: 1 for m in re.findall(r'data-v="([^"]+)"', html)}

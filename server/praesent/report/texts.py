"""The report's words in German and English. No digits here: every number comes from the model.

Templates take ``{name}`` fields that the renderer fills with numbers from the model."""

from __future__ import annotations

from praesent.report.model import Lang

TEXTS: dict[str, dict[Lang, str]] = {
    "doc_title": {"en": "Coaching report", "de": "Coaching-Bericht"},
    "subtitle": {
        "en": "What this call's figures say, and what to try next time.",
        "de": "Was die Zahlen dieses Gesprächs sagen und was du beim nächsten Mal probieren "
        "kannst.",
    },
    "call": {"en": "Call", "de": "Gespräch"},
    "recording": {"en": "Recorded call", "de": "Aufgezeichnetes Gespräch"},
    "duration": {"en": "Duration", "de": "Dauer"},
    "started": {"en": "Started", "de": "Beginn"},
    "with_customer": {"en": "with", "de": "mit"},
    "call_language": {"en": "Language", "de": "Sprache"},
    "customer_informed": {"en": "Customer informed", "de": "Kunde informiert"},
    "customer_not_informed": {"en": "Customer NOT informed", "de": "Kunde NICHT informiert"},
    "sent_to": {"en": "Results sent to", "de": "Ergebnisse gesendet an"},
    "sent_delivered": {"en": "delivered", "de": "zugestellt"},
    "sent_pending": {"en": "on its way", "de": "unterwegs"},
    "sent_failed": {"en": "failed", "de": "fehlgeschlagen"},
    "seller": {"en": "You", "de": "Du"},
    "customer": {"en": "Customer", "de": "Kunde"},
    "seller_long": {"en": "You (seller)", "de": "Du (Verkauf)"},
    "customer_long": {"en": "Customer", "de": "Kunde"},
    # status notes
    "no_speech": {
        "en": "No speech was detected in this call, so there is nothing to measure: no talk "
        "ratio, no turns, no tips. Check that both microphones were on and the right channels "
        "were chosen.",
        "de": "In diesem Gespräch wurde keine Sprache erkannt, daher gibt es nichts zu messen: "
        "kein Redeanteil, keine Redebeiträge, keine Tipps. Prüfe, ob beide Mikrofone an waren "
        "und die richtigen Kanäle gewählt wurden.",
    },
    "language_changes": {"en": "The call's language", "de": "Sprache des Gesprächs"},
    "language_detected": {
        "en": "{language} detected at {at} from {speech} of speech",
        "de": "{language} erkannt bei {at} aus {speech} Sprache",
    },
    "language_corrected": {
        "en": "corrected to {language} at {at} by later speech (was {previous}; what was "
        "transcribed before stays as it was)",
        "de": "bei {at} von späterer Sprache auf {language} korrigiert (vorher {previous}; was "
        "davor transkribiert wurde, bleibt)",
    },
    "language_pinned": {
        "en": "set to {language} by the seller at {at}",
        "de": "bei {at} vom Verkäufer auf {language} gestellt",
    },
    "language_auto": {
        "en": "handed back to detection at {at}",
        "de": "bei {at} wieder der Erkennung überlassen",
    },
    "lang_de": {"en": "German", "de": "Deutsch"},
    "lang_en": {"en": "English", "de": "Englisch"},
    "unheard": {
        "en": "{duration} of the call from {start} to {end} were not heard (the connection was "
        "lost); the figures leave them out.",
        "de": "{duration} des Gesprächs von {start} bis {end} wurden nicht gehört (die "
        "Verbindung war weg); die Zahlen lassen sie aus.",
    },
    "warned_voices": {
        "en": "From {start} to {end} ({duration}) your microphone heard people talking around "
        "you: your talk time reads high there. A headset microphone close to your mouth, or a "
        "quieter room, helps.",
        "de": "Von {start} bis {end} ({duration}) hörte dein Mikrofon Leute um dich herum "
        "sprechen: dein Redeanteil erscheint dort zu hoch. Ein Headset-Mikrofon nah am Mund oder "
        "ein ruhigerer Raum hilft.",
    },
    "warned_echo": {
        "en": "From {start} to {end} ({duration}) your microphone heard the call from the "
        "speakers (echo); praesent removed it. A headset avoids it.",
        "de": "Von {start} bis {end} ({duration}) hörte dein Mikrofon das Gespräch aus den "
        "Lautsprechern (Echo); praesent hat es entfernt. Ein Headset vermeidet es.",
    },
    "no_roles": {
        "en": "Both voices are on one channel and no speaker attribution was applied, so the "
        "report cannot tell you from the customer. Record the call with two channels.",
        "de": "Beide Stimmen liegen auf einem Kanal und wurden keinem Sprecher zugeordnet; der "
        "Bericht kann dich nicht vom Kunden unterscheiden. Nimm das Gespräch zweikanalig auf.",
    },
    "silent_seller": {
        "en": "Your channel stayed silent for the whole call: only the customer was heard. "
        "Was your microphone muted or on the wrong channel?",
        "de": "Dein Kanal blieb das ganze Gespräch über stumm: nur der Kunde war zu hören. "
        "War dein Mikrofon stumm geschaltet oder auf dem falschen Kanal?",
    },
    "silent_customer": {
        "en": "The customer's channel stayed silent for the whole call: only you were heard. "
        "Was the call audio captured?",
        "de": "Der Kanal des Kunden blieb das ganze Gespräch über stumm: nur du warst zu hören. "
        "Wurde der Ton des Gesprächs mit aufgenommen?",
    },
    "no_transcript": {
        "en": "No transcript: questions, topics and quotes need speech-to-text.",
        "de": "Kein Transkript: Fragen, Themen und Zitate brauchen die Spracherkennung.",
    },
    # key figures
    "key_figures": {"en": "At a glance", "de": "Auf einen Blick"},
    "talk_share": {"en": "Your talk share", "de": "Dein Redeanteil"},
    "interruptions": {"en": "Interruptions", "de": "Unterbrechungen"},
    "by_you": {"en": "by you", "de": "durch dich"},
    "interruptions_you": {"en": "Your interruptions", "de": "Deine Unterbrechungen"},
    "backchannels_you": {"en": "Your backchannels", "de": "Deine Hörersignale"},
    "by_customer": {"en": "by the customer", "de": "durch den Kunden"},
    "longest_monologue": {"en": "Longest monologue", "de": "Längster Monolog"},
    "longest_story": {"en": "Longest customer story", "de": "Längste Kundenerzählung"},
    "patience": {"en": "Patience", "de": "Geduld"},
    "patience_hint": {
        "en": "median pause before you answer",
        "de": "mittlere Pause, bevor du antwortest",
    },
    "questions": {"en": "Questions", "de": "Fragen"},
    "open": {"en": "open", "de": "offen"},
    "closed": {"en": "closed", "de": "geschlossen"},
    "backchannels": {"en": "Backchannels", "de": "Hörersignale"},
    "none": {"en": "none", "de": "keine"},
    "not_measured": {"en": "not measured", "de": "nicht gemessen"},
    # talk ratio
    "talk_ratio": {"en": "Talk ratio", "de": "Redeanteile"},
    "reference": {"en": "reference", "de": "Richtwert"},
    "band": {"en": "balanced band", "de": "ausgewogener Bereich"},
    "talk_reference_note": {
        "en": "Top performers talk about {ref_seller} % and let the customer talk "
        "{ref_customer} % (Gong Labs, business sales calls). Average reps talk far more.",
        "de": "Top-Verkäufer reden etwa {ref_seller} % und lassen den Kunden "
        "{ref_customer} % reden (Gong Labs, Vertriebsgespräche). Durchschnittliche Verkäufer reden "
        "deutlich mehr.",
    },
    "verdict_in_band": {
        "en": "Well balanced: you let the customer do most of the talking.",
        "de": "Gut ausgewogen: der Kunde hat den größeren Teil geredet.",
    },
    "verdict_edge_high": {
        "en": "At the top of the balanced band, within the measurement's error: about balanced. "
        "Let the customer talk a little more.",
        "de": "Am oberen Rand des ausgewogenen Bereichs, innerhalb der Messgenauigkeit: etwa "
        "ausgewogen. Lass den Kunden etwas mehr reden.",
    },
    "verdict_edge_low": {
        "en": "At the bottom of the balanced band, within the measurement's error: about "
        "balanced; make sure you still lead the call.",
        "de": "Am unteren Rand des ausgewogenen Bereichs, innerhalb der Messgenauigkeit: etwa "
        "ausgewogen; achte darauf, das Gespräch trotzdem zu führen.",
    },
    "verdict_seller_high": {
        "en": "You talked more than the balanced band. Ask more, tell less.",
        "de": "Du hast mehr geredet als im ausgewogenen Bereich. Frag mehr, erzähl weniger.",
    },
    "verdict_seller_low": {
        "en": "You talked less than the balanced band; make sure you still lead the call.",
        "de": "Du hast weniger geredet als im ausgewogenen Bereich; achte darauf, das Gespräch "
        "trotzdem zu führen.",
    },
    "verdict_one_side": {
        "en": "Only one side was heard, so the ratio says nothing about balance.",
        "de": "Nur eine Seite war zu hören; das Verhältnis sagt nichts über die Balance.",
    },
    "verdict_no_speech": {"en": "No speech, no ratio.", "de": "Keine Sprache, kein Verhältnis."},
    "overlap": {"en": "both at once", "de": "gleichzeitig"},
    # timeline
    "timeline": {"en": "Who spoke when", "de": "Wer wann sprach"},
    "timeline_binned": {
        "en": "Long call: each bar shows how much of {bin} each side spoke.",
        "de": "Langes Gespräch: jeder Balken zeigt, wie viel von {bin} jede Seite gesprochen hat.",
    },
    "timeline_empty": {
        "en": "Nothing to draw: nobody spoke.",
        "de": "Nichts zu zeichnen: niemand hat gesprochen.",
    },
    "legend_interruption": {"en": "interruption", "de": "Unterbrechung"},
    "legend_backchannel": {"en": "backchannel", "de": "Hörersignal"},
    # moments
    "moments": {"en": "Long stretches", "de": "Lange Redebeiträge"},
    "from_to": {"en": "from {start} to {end}", "de": "von {start} bis {end}"},
    "monologue_note": {
        "en": "A long monologue loses the customer: pause and bring them in.",
        "de": "Ein langer Monolog verliert den Kunden: mach eine Pause und hol ihn ins Gespräch.",
    },
    "story_note": {
        "en": "Long customer stories go with won deals: the longer the customer talks "
        "uninterrupted, the better.",
        "de": "Lange Kundenerzählungen gehen mit gewonnenen Abschlüssen einher: je länger der "
        "Kunde ungestört erzählt, desto besser.",
    },
    # How many customer stories reached the goal, as a sentence (not "... of at least X: 0.").
    "stories_none": {
        "en": "No customer story in this call lasted {goal} or longer.",
        "de": "Keine Kundenerzählung in diesem Gespräch dauerte {goal} oder länger.",
    },
    "stories_one": {
        "en": "One customer story in this call lasted {goal} or longer.",
        "de": "Eine Kundenerzählung in diesem Gespräch dauerte {goal} oder länger.",
    },
    "stories_many": {
        "en": "{count} customer stories in this call lasted {goal} or longer.",
        "de": "{count} Kundenerzählungen in diesem Gespräch dauerten {goal} oder länger.",
    },
    "no_turn": {"en": "no such turn", "de": "kein solcher Redebeitrag"},
    # interruptions
    "interruptions_in_context": {
        "en": "Interruptions in context",
        "de": "Unterbrechungen im Kontext",
    },
    "no_interruptions": {
        "en": "No interruptions. Well done.",
        "de": "Keine Unterbrechungen. Gut gemacht.",
    },
    # Whole phrases per role: "You" takes "were", "Du" takes its own verb form.
    "interrupted_seller": {"en": "You were saying", "de": "Du sagtest gerade"},
    "interrupted_customer": {"en": "The customer was saying", "de": "Der Kunde sagte gerade"},
    "interrupting_seller": {"en": "You came in with", "de": "Du kamst dazwischen mit"},
    "interrupting_customer": {
        "en": "The customer came in with",
        "de": "Der Kunde kam dazwischen mit",
    },
    "overlap_for": {"en": "overlap {overlap}", "de": "Überlappung {overlap}"},
    "recovered": {"en": "got the floor back", "de": "kam wieder zu Wort"},
    "not_recovered": {"en": "did not get the floor back", "de": "kam nicht wieder zu Wort"},
    "early_starts_note": {
        "en": "Early starts (you began while the customer was just finishing): {count}.",
        "de": "Frühe Einsätze (du hast begonnen, als der Kunde gerade zu Ende sprach): {count}.",
    },
    "patience_negative": {
        "en": "Negative: you often started before the customer had finished.",
        "de": "Negativ: du hast oft begonnen, bevor der Kunde fertig war.",
    },
    "patience_ok": {
        "en": "A short pause before answering shows the customer they were heard.",
        "de": "Eine kurze Pause vor der Antwort zeigt dem Kunden, dass er gehört wurde.",
    },
    "patience_none": {
        "en": "No change from customer to you was measured.",
        "de": "Kein Wechsel vom Kunden zu dir wurde gemessen.",
    },
    # questions
    "questions_asked": {"en": "Questions you asked", "de": "Deine Fragen"},
    "questions_reference": {
        "en": "The best discovery calls have {low} to {high} questions, mostly open ones "
        "(what, how, why, tell me).",
        "de": "Die besten Bedarfsanalysen haben {low} bis {high} Fragen, meist offene "
        "(was, wie, warum, welche).",
    },
    "no_questions": {"en": "You asked no questions.", "de": "Du hast keine Fragen gestellt."},
    "kind": {"en": "kind", "de": "Art"},
    "at": {"en": "at", "de": "bei"},
    # topics
    "topics": {"en": "Topics", "de": "Themen"},
    "no_topics": {"en": "No topics detected.", "de": "Keine Themen erkannt."},
    "key_phrases": {"en": "Key phrases", "de": "Schlüsselbegriffe"},
    # cues
    "cues": {"en": "Cues shown during the call", "de": "Hinweise während des Gesprächs"},
    "no_cues": {"en": "No cues were shown.", "de": "Es wurden keine Hinweise angezeigt."},
    "cues_summary": {
        "en": "Cues shown: {shown}, acted on: {acted}.",
        "de": "Angezeigte Hinweise: {shown}, befolgt: {acted}.",
    },
    "acted_on": {"en": "acted on", "de": "befolgt"},
    "not_acted_on": {"en": "not acted on", "de": "nicht befolgt"},
    "unknown": {"en": "not judged", "de": "nicht bewertet"},
    "cue_listen": {"en": "Show you are listening", "de": "Zeig, dass du zuhörst"},
    "cue_deepen": {"en": "Go deeper", "de": "Vertiefen"},
    "cue_let_finish": {"en": "Let the customer finish", "de": "Lass den Kunden ausreden"},
    "cue_balance": {"en": "You are talking a lot", "de": "Du redest viel"},
    "cue_monologue": {"en": "Pause, bring the customer in", "de": "Pause: hol den Kunden rein"},
    "cue_summarise": {"en": "Summarise and check", "de": "Zusammenfassen und prüfen"},
    "cue_short_answers": {"en": "Short answers", "de": "Kurze Antworten"},
    "cue_clarify": {"en": "Clear it up by voice", "de": "Missverständnis klären"},
    "cue_stay_present": {"en": "Stay present", "de": "Bleib präsent"},
    # tips
    "tips": {"en": "Three things to try next time", "de": "Drei Dinge für das nächste Gespräch"},
    "tips_few": {"en": "What to try next time", "de": "Was du als Nächstes probieren kannst"},
    "no_tips": {
        "en": "No tips: there was not enough conversation to judge.",
        "de": "Keine Tipps: es gab nicht genug Gespräch, um etwas zu beurteilen.",
    },
    "why": {"en": "Why", "de": "Warum"},
    "tip_let_finish": {"en": "Let the customer finish", "de": "Lass den Kunden ausreden"},
    "tip_let_finish_why": {
        "en": "You interrupted the customer: {interruptions} (first at {first_at}); early "
        "starts: {early_starts}. Interrupting tells the customer they are not heard.",
        "de": "Du hast den Kunden unterbrochen: {interruptions} (zuerst bei {first_at}); frühe "
        "Einsätze: {early_starts}. Unterbrechen signalisiert dem Kunden, dass er nicht gehört "
        "wird.",
    },
    "tip_let_finish_why_early": {
        "en": "No interruptions, but early starts: {early_starts}. Wait a breath after the "
        "customer stops.",
        "de": "Keine Unterbrechungen, aber frühe Einsätze: {early_starts}. Warte nach dem "
        "Kunden einen Atemzug.",
    },
    "tip_backchannel": {
        "en": "Backchannel during long customer turns",
        "de": "Gib Hörersignale, wenn der Kunde länger spricht",
    },
    "tip_backchannel_why": {
        "en": "Your backchannels in this call: {backchannels}. Customer turns of at least "
        "{long_s}: {long_turns}; with a backchannel from you: "
        "{with_backchannel}. A short 'I see' or 'mhm' shows you are listening without "
        "taking the floor.",
        "de": "Deine Hörersignale in diesem Gespräch: {backchannels}. Redebeiträge des Kunden "
        "von mindestens {long_s}: {long_turns}; davon mit "
        "Hörersignal von dir: {with_backchannel}. Ein kurzes „Aha“ oder „Mhm“ zeigt, dass du "
        "zuhörst, ohne das Wort zu übernehmen.",
    },
    "tip_summarise": {
        "en": "Summarise at the end of each topic",
        "de": "Fasse am Ende jedes Themas zusammen",
    },
    "tip_summarise_why": {
        "en": "Topics in this call: {topics}. Summing up what the customer said and asking "
        "'Did I get that right?' proves you listened and catches mistakes early.",
        "de": "Themen in diesem Gespräch: {topics}. Das Gesagte zusammenzufassen und zu fragen "
        "„Habe ich das richtig verstanden?“ zeigt, dass du zugehört hast, und deckt Fehler "
        "früh auf.",
    },
    "tip_open_questions": {"en": "Ask open questions", "de": "Stell offene Fragen"},
    "tip_open_questions_why": {
        "en": "Open questions: {open}, closed: {closed}; your talk share: {seller_pct} %. "
        "Open questions (what, how, why) get the customer talking; follow up with "
        "'Interesting point, can you tell me more?'",
        "de": "Offene Fragen: {open}, geschlossene: {closed}; dein Redeanteil: {seller_pct} %. "
        "Offene Fragen (was, wie, warum) bringen den Kunden zum Reden; vertiefe mit "
        "„Interessanter Punkt, kannst du das näher erläutern?“",
    },
    "tip_clarify": {
        "en": "Clear misunderstandings by voice",
        "de": "Kläre Missverständnisse im Gespräch",
    },
    "tip_clarify_why": {
        "en": "The customer signalled a misunderstanding: {misunderstandings}. Clear it up "
        "right away in the call; misunderstandings grow in writing.",
        "de": "Der Kunde hat ein Missverständnis signalisiert: {misunderstandings}. Kläre es "
        "sofort im Gespräch; schriftlich wachsen Missverständnisse.",
    },
    # trend
    "trend": {"en": "Your trend over earlier calls", "de": "Dein Verlauf über frühere Gespräche"},
    "this_call": {"en": "this call", "de": "dieses Gespräch"},
    "date": {"en": "Call", "de": "Gespräch"},
    # transcript
    "transcript": {"en": "Transcript", "de": "Transkript"},
    "transcript_count": {
        "en": "utterances: {shown} of {total}",
        "de": "Äußerungen: {shown} von {total}",
    },
    "transcript_cut": {
        "en": "Long call: the transcript is cut after {shown} of {total} utterances.",
        "de": "Langes Gespräch: das Transkript endet nach {shown} von {total} Äußerungen.",
    },
    "transcript_print": {
        "en": "The transcript is in the HTML report (collapsed).",
        "de": "Das Transkript steht im HTML-Bericht (eingeklappt).",
    },
    "footer": {
        "en": "Made by praesent on your own machine. No audio was stored for this report.",
        "de": "Erstellt von praesent auf deinem eigenen Rechner. Für diesen Bericht wurde kein "
        "Ton gespeichert.",
    },
}


def t(key: str, lang: Lang) -> str:
    return TEXTS[key][lang]

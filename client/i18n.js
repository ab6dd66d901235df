// The overlay's strings in English and German: the seller's language, chosen on the page. The
// server sends each cue as its kind and parameters; the page says it in the seller's language and
// quotes the customer's own words as they were said, whatever the call's language.
export const STRINGS = {
  en: {
    "status.idle": "Not connected",
    "status.checking": "Sound check",
    "status.connecting": "Connecting…",
    "status.live": "Live",
    "status.reconnecting": "Reconnecting…",
    "status.ended": "Call ended",
    "status.lost": "Connection lost",
    "status.finishing": "Finishing the transcript…",
    "finishing.left": "The call has ended. Still to transcribe: {n} utterances ({s} s of speech).",
    "finishing.done": "The call has ended. Storing the analysis…",
    "popout": "Pop out (always on top)",
    "language": "Language",
    "callLanguage": "Call language",
    "callLanguage.hint": "The language of the call: detected, or pinned for what follows",
    "callLanguage.auto": "Auto",
    "callLanguage.heard": "Auto · {l}",
    "callLanguage.de": "German",
    "callLanguage.en": "English",
    "join.informed": "The customer knows the call is analysed",
    "join.start": "Join call",
    "join.demo": "Try it",
    "join.start.help": "Join call: checks your microphone and the call's tab, then shows your talk balance and quiet cues while you talk.",
    "join.demo.help": "Try it: plays a recorded phone call through the live analysis, with no call and no microphone needed.",
    "links": "More",
    "links.calls": "Past calls",
    "links.help": "Help",
    "links.report": "Last report",
    "links.helpHref": "help/",
    "join.pickTab": "Now pick the call's tab and tick “Share tab audio”.",
    "check.title": "Sound check",
    "check.seller": "You (microphone)",
    "check.customer": "The call (shared tab)",
    "check.seller.waiting": "Say something…",
    "check.seller.ok": "We hear you",
    "check.seller.silent": "We don't hear you: pick the right microphone (the camera icon in the address bar), unmute it, or plug in your headset.",
    "check.seller.missing": "No microphone: allow microphone access for this page, or plug in a headset.",
    "check.customer.waiting": "Waiting for sound from the call…",
    "check.customer.ok": "We hear the call",
    "check.customer.silent": "We don't hear the call: share the call's tab again and tick “Share tab audio”, and check that the call is not muted.",
    "check.customer.missing": "No call audio: share the call's tab with “Share tab audio” ticked, or run `praesent capture` on your computer.",
    "check.processed": "Browser's echo cancellation (without a headset; may clip your first words)",
    "check.begin": "Start",
    "check.retry": "Share again",
    "check.cancel": "Cancel",
    "balance": "Talk balance",
    "balance.window": "5 min",
    "balance.call": "Call",
    "role.seller": "You",
    "role.customer": "Customer",
    "count.interruptions": "Interruptions",
    "count.backchannels": "Backchannels",
    "now.none": "Nobody is speaking",
    "now.seller": "You are speaking · {t}",
    "now.customer": "Customer is speaking · {t}",
    "cue.dismiss": "Dismiss (Esc)",
    "cue.listen": "Show you are listening: 'I see', a nod",
    "cue.deepen": "Go deeper: 'Interesting point, can you tell me more?'",
    "cue.deepen.quote": "Go deeper: ask more about “{q}”",
    "cue.let_finish": "Let the customer finish",
    "cue.balance": "You are talking a lot: ask an open question",
    "cue.monologue": "Pause and bring the customer in",
    "cue.summarise": "Summarise and check: did I get that right?",
    "cue.short_answers": "Short answers: check interest, ask what matters to them",
    "cue.clarify": "Clear it up now, by voice",
    "cue.stay_present": "The customer is speaking: stay present",
    "topic.said": "The customer said",
    "transcript": "Transcript",
    "transcript.provisional": "language not settled yet",
    "transcript.revised": "heard in another language",
    "warn.echo": "Your microphone hears the call (echo): use a headset.",
    "warn.voices": "Your microphone hears people talking around you: your talk time may read high. A headset microphone close to your mouth, or a quieter room, helps.",
    "warn.lag": "Transcript {s} s behind: the computer running praesent is busy. Close other programs on it, or use the smaller speech model (see Help). Balance and cues stay live.",
    "warn.gap": "{s} s not heard (connection lost)",
    "stop": "End call",
    "report": "Open the report",
    "share": "{p} % you",
    "noMic": "No microphone: allow microphone access, or plug in a headset. Only the customer is measured now.",
    "noTab": "No call audio: share the call's browser tab with “Share tab audio” ticked (or the whole screen with system audio), or run `praesent capture` on your computer. Only you are measured now.",
    "noAudio": "No audio source is available. Allow the microphone, share the call tab with audio, or use the desktop client `praesent capture`.",
    "error": "Error: {m}",
  },
  de: {
    "status.idle": "Nicht verbunden",
    "status.checking": "Tonprüfung",
    "status.connecting": "Verbinde…",
    "status.live": "Live",
    "status.reconnecting": "Verbinde neu…",
    "status.ended": "Gespräch beendet",
    "status.lost": "Verbindung verloren",
    "status.finishing": "Mitschrift wird fertig…",
    "finishing.left": "Das Gespräch ist zu Ende. Noch zu transkribieren: {n} Äußerungen ({s} s Sprache).",
    "finishing.done": "Das Gespräch ist zu Ende. Die Auswertung wird gespeichert…",
    "popout": "Herauslösen (immer im Vordergrund)",
    "language": "Sprache",
    "callLanguage": "Gesprächssprache",
    "callLanguage.hint": "Die Sprache des Gesprächs: erkannt oder für das Folgende festgelegt",
    "callLanguage.auto": "Automatisch",
    "callLanguage.heard": "Automatisch · {l}",
    "callLanguage.de": "Deutsch",
    "callLanguage.en": "Englisch",
    "join.informed": "Der Kunde weiß, dass das Gespräch ausgewertet wird",
    "join.start": "Gespräch beitreten",
    "join.demo": "Ausprobieren",
    "join.start.help": "Gespräch beitreten: prüft dein Mikrofon und den Tab des Gesprächs und zeigt dann beim Sprechen deine Redeanteile und leise Hinweise.",
    "join.demo.help": "Ausprobieren: spielt ein aufgezeichnetes Telefongespräch durch die Live-Auswertung, ganz ohne Gespräch und Mikrofon.",
    "links": "Mehr",
    "links.calls": "Frühere Gespräche",
    "links.help": "Hilfe",
    "links.report": "Letzter Bericht",
    "links.helpHref": "help/de/",
    "join.pickTab": "Jetzt den Tab des Gesprächs wählen und „Tab-Audio teilen“ anhaken.",
    "check.title": "Tonprüfung",
    "check.seller": "Du (Mikrofon)",
    "check.customer": "Das Gespräch (geteilter Tab)",
    "check.seller.waiting": "Sag etwas…",
    "check.seller.ok": "Wir hören dich",
    "check.seller.silent": "Wir hören dich nicht: das richtige Mikrofon wählen (Kamerasymbol in der Adressleiste), die Stummschaltung aufheben oder das Headset anschließen.",
    "check.seller.missing": "Kein Mikrofon: Mikrofonzugriff für diese Seite erlauben oder ein Headset anschließen.",
    "check.customer.waiting": "Warte auf Ton aus dem Gespräch…",
    "check.customer.ok": "Wir hören das Gespräch",
    "check.customer.silent": "Wir hören das Gespräch nicht: den Tab des Gesprächs erneut teilen und „Tab-Audio teilen“ anhaken; prüfen, dass das Gespräch nicht stummgeschaltet ist.",
    "check.customer.missing": "Kein Gesprächston: den Tab des Gesprächs mit „Tab-Audio teilen“ freigeben oder `praesent capture` auf dem Rechner starten.",
    "check.processed": "Echounterdrückung des Browsers (ohne Headset; kann deine ersten Worte abschneiden)",
    "check.begin": "Starten",
    "check.retry": "Erneut teilen",
    "check.cancel": "Abbrechen",
    "balance": "Redeanteile",
    "balance.window": "5 Min",
    "balance.call": "Gespräch",
    "role.seller": "Du",
    "role.customer": "Kunde",
    "count.interruptions": "Unterbrechungen",
    "count.backchannels": "Rückmeldungen",
    "now.none": "Niemand spricht",
    "now.seller": "Du sprichst · {t}",
    "now.customer": "Kunde spricht · {t}",
    "cue.dismiss": "Schließen (Esc)",
    "cue.listen": "Zeig, dass du zuhörst: ‚Aha‘, nicken",
    "cue.deepen": "Vertiefen: ‚Interessanter Punkt, kannst du das näher erläutern?‘",
    "cue.deepen.quote": "Vertiefen: frag nach „{q}“",
    "cue.let_finish": "Lass den Kunden ausreden",
    "cue.balance": "Du redest viel: stell eine offene Frage",
    "cue.monologue": "Pause: hol den Kunden ins Gespräch",
    "cue.summarise": "Fasse zusammen und prüfe das Verständnis",
    "cue.short_answers": "Kurze Antworten: Interesse prüfen, fragen, was wichtig ist",
    "cue.clarify": "Missverständnis jetzt klären",
    "cue.stay_present": "Der Kunde spricht: bleib präsent",
    "topic.said": "Der Kunde sagte",
    "transcript": "Mitschrift",
    "transcript.provisional": "Sprache noch nicht sicher",
    "transcript.revised": "in einer anderen Sprache gehört",
    "warn.echo": "Dein Mikrofon hört das Gespräch mit (Echo): nimm ein Headset.",
    "warn.voices": "Dein Mikrofon hört Leute um dich herum sprechen: dein Redeanteil kann zu hoch erscheinen. Ein Headset-Mikrofon nah am Mund oder ein ruhigerer Raum hilft.",
    "warn.lag": "Mitschrift {s} s im Rückstand: der Rechner, auf dem praesent läuft, ist ausgelastet. Schließe dort andere Programme oder nimm das kleinere Sprachmodell (siehe Hilfe). Redeanteile und Hinweise bleiben aktuell.",
    "warn.gap": "{s} s nicht gehört (Verbindung unterbrochen)",
    "stop": "Gespräch beenden",
    "report": "Bericht öffnen",
    "share": "{p} % du",
    "noMic": "Kein Mikrofon: Mikrofonzugriff erlauben oder ein Headset anschließen. Gemessen wird jetzt nur der Kunde.",
    "noTab": "Kein Gesprächston: den Browser-Tab des Gesprächs mit „Tab-Audio teilen“ freigeben (oder den ganzen Bildschirm mit Systemton) oder `praesent capture` auf dem Rechner starten. Gemessen wirst jetzt nur du.",
    "noAudio": "Keine Audioquelle verfügbar. Mikrofon erlauben, den Gesprächs-Tab mit Ton teilen oder den Desktop-Client `praesent capture` nutzen.",
    "error": "Fehler: {m}",
  },
};

export const CUE_KINDS = [
  "listen", "deepen", "let_finish", "balance", "monologue", "summarise", "short_answers", "clarify", "stay_present",
];

export function pickLanguage(stored, browserLanguages) {
  if (stored === "de" || stored === "en") return stored;
  for (const tag of browserLanguages || []) {
    const base = String(tag).toLowerCase().slice(0, 2);
    if (base === "de" || base === "en") return base;
  }
  return "en";
}

export function t(lang, key, values = {}) {
  const text = (STRINGS[lang] || STRINGS.en)[key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

// A cue event in the seller's language: its kind decides the words, a quote is the customer's.
export function cueText(lang, cue) {
  if (cue.kind === "deepen" && cue.quote) return t(lang, "cue.deepen.quote", { q: cue.quote });
  return STRINGS.en[`cue.${cue.kind}`] ? t(lang, `cue.${cue.kind}`) : String(cue.text || cue.kind);
}

// Apply the strings to every element marked with data-i18n / data-i18n-title / data-i18n-label.
export function translate(root, lang) {
  root.documentElement?.setAttribute("lang", lang);
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(lang, el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) {
    el.title = t(lang, el.dataset.i18nTitle);
    el.setAttribute("aria-label", el.title);
  }
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(lang, el.dataset.i18nLabel));
}

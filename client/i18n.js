// The overlay's strings in English and German. Cue texts come from the server, already in the
// session's language; these are the page's own labels.
export const STRINGS = {
  en: {
    "status.idle": "Not connected",
    "status.connecting": "Connecting…",
    "status.live": "Live",
    "status.ended": "Call ended",
    "status.lost": "Connection lost",
    "popout": "Pop out (always on top)",
    "join.informed": "The customer knows the call is analysed",
    "join.start": "Join call",
    "join.demo": "Try it",
    "join.pickTab": "Now pick the call's tab and tick “Share tab audio”.",
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
    "transcript": "Transcript",
    "stop": "End call",
    "report": "Report",
    "lag": "Transcript +{s} s",
    "share": "{p} % you",
    "noMic": "No microphone: allow microphone access, or plug in a headset. Only the customer is measured now.",
    "noTab": "No call audio: share the call's browser tab with “Share tab audio” ticked (or the whole screen with system audio), or run `praesent capture` on your computer. Only you are measured now.",
    "noAudio": "No audio source is available. Allow the microphone, share the call tab with audio, or use the desktop client `praesent capture`.",
    "observing": "Showing session {id}",
    "error": "Error: {m}",
  },
  de: {
    "status.idle": "Nicht verbunden",
    "status.connecting": "Verbinde…",
    "status.live": "Live",
    "status.ended": "Gespräch beendet",
    "status.lost": "Verbindung verloren",
    "popout": "Herauslösen (immer im Vordergrund)",
    "join.informed": "Der Kunde weiß, dass das Gespräch ausgewertet wird",
    "join.start": "Gespräch beitreten",
    "join.demo": "Ausprobieren",
    "join.pickTab": "Jetzt den Tab des Gesprächs wählen und „Tab-Audio teilen“ anhaken.",
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
    "transcript": "Mitschrift",
    "stop": "Gespräch beenden",
    "report": "Bericht",
    "lag": "Mitschrift +{s} s",
    "share": "{p} % du",
    "noMic": "Kein Mikrofon: Mikrofonzugriff erlauben oder ein Headset anschließen. Gemessen wird jetzt nur der Kunde.",
    "noTab": "Kein Gesprächston: den Browser-Tab des Gesprächs mit „Tab-Audio teilen“ freigeben (oder den ganzen Bildschirm mit Systemton) oder `praesent capture` auf dem Rechner starten. Gemessen wirst jetzt nur du.",
    "noAudio": "Keine Audioquelle verfügbar. Mikrofon erlauben, den Gesprächs-Tab mit Ton teilen oder den Desktop-Client `praesent capture` nutzen.",
    "observing": "Zeige Sitzung {id}",
    "error": "Fehler: {m}",
  },
};

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

// Apply the strings to every element marked with data-i18n / data-i18n-title under root.
export function translate(root, lang) {
  root.documentElement?.setAttribute("lang", lang);
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(lang, el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) {
    el.title = t(lang, el.dataset.i18nTitle);
    el.setAttribute("aria-label", el.title);
  }
}

// The praesent overlay: checks and captures the call (microphone = seller, the shared call tab =
// customer), streams it on the live socket, resumes after a dropped connection, and shows what the
// server says in the seller's language. Plain ES module, no build step.
import { cueText, pickLanguage, t, translate } from "./i18n.js";
import { retryDelayMs } from "./retry.js";

const params = new URLSearchParams(location.search);
const token = params.get("token");
const root = document.getElementById("overlay");
// The overlay may move into the pop-out window: look elements up in whichever document holds it.
const $ = (id) => root.ownerDocument.getElementById(id);

const FRAME_S = 0.04; // the worklet's frame length
const DEMO_RATE = 16000; // the demo recording's sample rate
// How far ahead the demo's start is scheduled. A start that reaches the audio thread after its
// time plays at once, off the VAD framing: a busy machine can take more than 100 ms to pass it on.
const DEMO_LEAD_S = 0.5;
// Voice activity decides per 512 samples from the stream's start (Silero's frame): the demo starts
// on such a boundary, as the file does. Moved by a few ms, one call's events came out otherwise.
const VAD_FRAME = 512;
const BUFFER_FRAMES = 750; // 30 s of audio kept for a resume
const CHECK_SILENT_MS = 6000; // a source without sound this long is named, with its fix
const HEARD_MS = 300; // this much sound above the threshold counts as heard
const HEARD_LEVEL = 0.01; // RMS, about -40 dBFS
const RETRY_GIVE_UP_MS = 180_000;
const PROTOCOL_CLOSES = new Set([1003, 1007, 1008, 1009]);

const view = {
  lang: pickLanguage(params.get("lang") || localStorage.getItem("praesent.lang"), navigator.languages),
  status: "status.idle",
  speaking: { seller: null, customer: null }, // audio second the role started speaking, or null
  audioAt: 0, // latest audio time the server reported
  audioAtWall: 0, // performance.now() when it did
  contributions: new Map(), // contribution_id -> latest contribution event
  lastSeq: 0,
  lastBalance: null,
  transcript: [], // the latest final transcript events
  revised: new Set(), // seqs of provisional transcripts a language decision overruled
  partial: null,
  cue: null, // the cue on show
  shownCues: new Set(),
  topic: null,
  gapS: 0,
  reportUrl: null,
  cueTimer: 0,
  finishing: null, // the audio has ended: null, or the server's latest "finishing" event ({} before it)
};

const live = {
  ws: null, ctx: null, streams: [], source: null, merger: null, nodes: {}, roles: [],
  sessionId: null, focused: true, ended: false, demo: false,
  streaming: false, // frames go to the server (after the check)
  ready: false, // the server accepted this socket's start message
  frames: [], // the latest frames, sent or not
  firstFrame: 0, // the number of frames[0] since the session began
  nextFrame: 0, // the first frame not yet handed to this socket
  producedFrames: 0, // frames produced since the session began
  retries: 0, lostSince: 0, retryTimer: 0,
};

const CALL_LANGUAGES = new Set(["auto", "de", "en"]);
// The call's language: "auto" or pinned; chosen = the seller picked it on this page (or the URL),
// else the start message names none and the server takes the seller's setting.
const callLang = {
  setting: CALL_LANGUAGES.has(params.get("language")) ? params.get("language") : "auto",
  chosen: CALL_LANGUAGES.has(params.get("language")),
  heard: null, // the language the server decided, while "auto"
};

// started: when each source was (re)opened; its silence counts from there.
const check = { active: false, started: { seller: 0, customer: 0 }, heardMs: { seller: 0, customer: 0 }, timer: 0 };
let pip = null; // the Document Picture-in-Picture window, when open
let popup = null; // the pop-out window where Document Picture-in-Picture is missing

function wsUrl(path, query = {}) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if (token) url.searchParams.set("token", token);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
  return url.href;
}

function setStatus(key, values) {
  view.status = key;
  $("status").textContent = t(view.lang, key, values);
  root.dataset.state = key.split(".")[1] || "idle";
}

function notice(key, values) {
  const el = $("notice");
  if (!key) { el.hidden = true; el.textContent = ""; delete el.dataset.key; return; }
  el.dataset.key = key;
  el.dataset.values = JSON.stringify(values || {});
  el.textContent = t(view.lang, key, values);
  el.hidden = false;
}

function applyLanguage(lang) {
  view.lang = lang;
  localStorage.setItem("praesent.lang", lang);
  $("lang").value = lang;
  for (const doc of new Set([document, root.ownerDocument])) translate(doc, lang);
  setStatus(view.status);
  const el = $("notice");
  if (el.dataset.key && !el.hidden) notice(el.dataset.key, JSON.parse(el.dataset.values || "{}"));
  if (view.lastBalance) renderBalance(view.lastBalance);
  renderNow();
  renderTranscript();
  renderCue();
  renderGap();
  renderFinishing();
  renderReport();
  renderCallLang();
  renderLinks();
  if (check.active) renderCheck();
}

function renderCallLang() {
  $("call-lang").value = callLang.setting;
  const auto = $("call-lang").querySelector("option[value=auto]");
  auto.textContent = callLang.heard
    ? t(view.lang, "callLanguage.heard", { l: t(view.lang, `callLanguage.${callLang.heard}`) })
    : t(view.lang, "callLanguage.auto");
}

// Before joining: the start message's choice. During the call: pinned for what follows.
function chooseCallLang(setting) {
  callLang.setting = setting;
  callLang.chosen = true;
  if (setting !== "auto") callLang.heard = null;
  renderCallLang();
  if (live.ready && live.ws?.readyState === WebSocket.OPEN && !live.ended) {
    live.ws.send(JSON.stringify({ type: "language", language: setting }));
  }
}

// The seller's saved setting, shown before joining (the server applies it either way).
async function loadCallLangSetting() {
  if (callLang.chosen) return;
  try {
    const response = await fetch("/v1/me", { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (!response.ok) return;
    const saved = (await response.json())?.user?.call_language;
    if (!callLang.chosen && CALL_LANGUAGES.has(saved)) { callLang.setting = saved; renderCallLang(); }
  } catch (error) {
    console.warn("settings", error);
  }
}

function onLanguageEvent(event) {
  if (event.source === "pinned") { callLang.setting = event.language; callLang.heard = null; }
  else {
    callLang.setting = "auto";
    callLang.heard = CALL_LANGUAGES.has(event.language) ? event.language : null;
  }
  root.dataset.callLanguage = event.language || "";
  renderCallLang();
}

// --- audio ------------------------------------------------------------------------------------

// The microphone as it is: the browser's echo cancellation, noise suppression and gain control
// clip the seller's onsets and drop short words (in Chromium 0.5-1 s per turn, most where the
// seller speaks over the customer), which are what interruptions and backchannels are made of.
// The server removes echo itself and warns when the microphone hears the call.
// The sound check's "browser's echo cancellation" setting (or ?mic=processed) turns it on.
let processMic = params.get("mic") === "processed" || localStorage.getItem("praesent.mic") === "processed";

async function openMicrophone() {
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: processMic, noiseSuppression: processMic, autoGainControl: processMic },
    });
  } catch (error) {
    console.warn("microphone", error);
    return null;
  }
}

async function openCallTab() {
  if (!navigator.mediaDevices.getDisplayMedia) return null;
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({
      video: true,
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      systemAudio: "include",
      selfBrowserSurface: "exclude",
      surfaceSwitching: "include",
    });
    if (stream.getAudioTracks().length === 0) {
      stream.getTracks().forEach((track) => track.stop());
      return null;
    }
    return stream;
  } catch (error) {
    console.warn("display capture", error);
    return null;
  }
}

async function loadDemo(ctx) {
  const response = await fetch(token ? `demo/phonecall-2ch.wav?token=${encodeURIComponent(token)}` : "demo/phonecall-2ch.wav");
  if (!response.ok) throw new Error(`demo recording: HTTP ${response.status}`);
  const buffer = await ctx.decodeAudioData(await response.arrayBuffer());
  const source = ctx.createBufferSource();
  source.buffer = buffer;
  return source;
}

// The graph: one input of a merger per role (seller 0, customer 1) -> worklet -> frames. Both
// inputs always exist, so a source can be shared again without rebuilding the graph.
async function buildGraph(ctx) {
  await ctx.audioWorklet.addModule("pcm-worklet.js");
  const merger = ctx.createChannelMerger(2);
  const worklet = new AudioWorkletNode(ctx, "pcm-16k", {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    channelCount: 2,
    channelCountMode: "explicit",
    channelInterpretation: "discrete",
    processorOptions: { channels: 2, frameMs: FRAME_S * 1000 },
  });
  merger.connect(worklet);
  const sink = ctx.createGain();
  sink.gain.value = 0; // keeps the worklet pulled without playing anything
  worklet.connect(sink).connect(ctx.destination);
  worklet.port.onmessage = (message) => onFrame(message.data);
  live.merger = merger;
}

function attach(role, node) {
  live.nodes[role]?.disconnect();
  live.nodes[role] = node;
  if (node) node.connect(live.merger, 0, role === "seller" ? 0 : 1);
}

// Frames carry both merger channels; the server gets only the roles that have a source.
function pickChannels(pcm) {
  if (live.roles.length === 2) return pcm;
  const both = new Int16Array(pcm);
  const index = live.roles[0] === "seller" ? 0 : 1;
  const one = new Int16Array(both.length / 2);
  for (let i = 0; i < one.length; i++) one[i] = both[2 * i + index];
  return one.buffer;
}

function onFrame({ pcm, levels, at }) {
  if (check.active) {
    for (const [index, role] of ["seller", "customer"].entries()) {
      if (!live.nodes[role]) continue;
      if (levels[index] >= HEARD_LEVEL) check.heardMs[role] += FRAME_S * 1000;
      const meter = $(`level-${role}`);
      // The meter shows loudness in dB: -60 dBFS empty, 0 dBFS full.
      meter.value = Math.max(0, Math.min(1, (20 * Math.log10(levels[index] + 1e-9) + 60) / 60));
    }
  }
  if (!live.streaming || live.ended) return;
  if (live.producedFrames === 0 && live.demo) startDemoSource(at);
  live.producedFrames += 1;
  sendFrame(pickChannels(pcm));
}

// The last 30 s of frames stay at hand, sent or not: after a drop the page cannot know which
// frames reached the server, so it resends them all and the server skips what it heard.
function sendFrame(frame) {
  live.frames.push(frame);
  if (live.frames.length > BUFFER_FRAMES) { live.frames.shift(); live.firstFrame += 1; }
  flushFrames();
}

function flushFrames() {
  if (!live.ready || live.ws?.readyState !== WebSocket.OPEN) return;
  for (let index = Math.max(live.nextFrame, live.firstFrame); index < live.producedFrames; index++) {
    live.ws.send(live.frames[index - live.firstFrame]);
  }
  live.nextFrame = live.producedFrames;
}

// --- joining: the sound check, then the session ----------------------------------------------

async function join() {
  notice(null);
  live.ctx = new AudioContext({ latencyHint: "interactive" });
  try {
    await buildGraph(live.ctx);
    const mic = await openMicrophone();
    if (mic) { live.streams.push(mic); attach("seller", live.ctx.createMediaStreamSource(mic)); }
    notice("join.pickTab");
    await shareTab();
    notice(null);
  } catch (error) {
    notice("error", { m: error.message });
    await live.ctx.close();
    return;
  }
  if (live.ctx.state === "suspended") await live.ctx.resume();
  $("join").hidden = true;
  $("check").hidden = false;
  setStatus("status.checking");
  check.active = true;
  check.started = { seller: performance.now(), customer: performance.now() };
  check.heardMs = { seller: 0, customer: 0 };
  renderCheck();
  check.timer = setInterval(renderCheck, 250);
  $("begin").focus();
}

async function shareTab() {
  const tab = await openCallTab();
  if (tab) {
    live.streams.push(tab);
    attach("customer", live.ctx.createMediaStreamSource(tab));
  }
}

async function shareAgain() {
  const old = live.nodes.customer;
  attach("customer", null);
  old?.mediaStream?.getTracks().forEach((track) => track.stop());
  await shareTab();
  check.started.customer = performance.now();
  check.heardMs.customer = 0;
  renderCheck();
}

// The microphone again, with or without the browser's processing; the check hears it afresh.
async function setMicProcessing(on) {
  processMic = on;
  localStorage.setItem("praesent.mic", on ? "processed" : "raw");
  if (!check.active) return;
  const old = live.nodes.seller;
  const mic = await openMicrophone();
  attach("seller", mic ? live.ctx.createMediaStreamSource(mic) : null);
  old?.mediaStream?.getTracks().forEach((track) => track.stop());
  live.streams = live.streams.filter((stream) => stream !== old?.mediaStream);
  if (mic) live.streams.push(mic);
  check.started.seller = performance.now();
  check.heardMs.seller = 0;
  renderCheck();
}

function verdict(role) {
  if (!live.nodes[role]) return "missing";
  if (check.heardMs[role] >= HEARD_MS) return "ok";
  return performance.now() - check.started[role] >= CHECK_SILENT_MS ? "silent" : "waiting";
}

function renderCheck() {
  for (const role of ["seller", "customer"]) {
    const state = verdict(role);
    const row = $(`verdict-${role}`).parentElement;
    // Only a change is written: the verdict is a live region.
    if (row.dataset.state !== state || row.dataset.lang !== view.lang) {
      row.dataset.state = state;
      row.dataset.lang = view.lang;
      $(`verdict-${role}`).textContent = (state === "ok" ? "✓ " : state === "waiting" ? "" : "✗ ")
        + t(view.lang, `check.${role}.${state}`);
    }
  }
  $("begin").disabled = !live.nodes.seller && !live.nodes.customer;
}

function endCheck() {
  check.active = false;
  clearInterval(check.timer);
  $("check").hidden = true;
}

function cancel() {
  endCheck();
  releaseAudio();
  live.nodes = {};
  live.streams = [];
  $("join").hidden = false;
  setStatus("status.idle");
}

function begin() {
  endCheck();
  live.roles = ["seller", "customer"].filter((role) => live.nodes[role]);
  notice(!live.nodes.seller ? "noMic" : !live.nodes.customer ? "noTab" : null);
  live.streaming = true;
  openLive();
  showLive();
}

async function demo() {
  notice(null);
  live.demo = true;
  // The recording is 16 kHz: a context at its rate hands the server the file's own samples, so
  // the demo's figures are those of `praesent analyze` on the same file. At the device's rate
  // (48 kHz) it was resampled up and down again, which moved speech edges (49 % vs 48 %).
  live.ctx = new AudioContext({ latencyHint: "interactive", sampleRate: DEMO_RATE });
  try {
    await buildGraph(live.ctx);
    // "Try it": the shipped two-channel recording, seller left, customer right, played aloud.
    const source = await loadDemo(live.ctx);
    const split = live.ctx.createChannelSplitter(2);
    source.connect(split);
    source.connect(live.ctx.destination);
    for (const [index, role] of ["seller", "customer"].entries()) {
      const gain = live.ctx.createGain();
      split.connect(gain, index, 0);
      attach(role, gain);
    }
    live.source = source;
  } catch (error) {
    notice("error", { m: error.message });
    await live.ctx.close();
    return;
  }
  live.roles = ["seller", "customer"];
  live.streaming = true;
  openLive();
  showLive();
  // The recording starts with the first frame sent (onFrame).
  if (live.ctx.state === "suspended") await live.ctx.resume();
}

// Each demo its own title in the list of calls: "Demo · 2026-12-06 23:59:07" (local time).
function demoTitle(now = new Date()) {
  const two = (n) => String(n).padStart(2, "0");
  const day = `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`;
  return `Demo · ${day} ${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
}

// `streamStart`: the context's sample frame where the stream to the server begins. The recording
// starts a whole number of VAD frames later, so the server hears the file's own samples framed
// as `praesent analyze` frames them (after DEMO_LEAD_S or more of silence, time to schedule it).
function startDemoSource(streamStart) {
  const soonest = Math.ceil(live.ctx.currentTime * DEMO_RATE) + DEMO_LEAD_S * DEMO_RATE;
  const frames = Math.max(0, Math.ceil((soonest - streamStart) / VAD_FRAME));
  live.source.onended = () => setTimeout(stop, 1500);
  live.source.start((streamStart + frames * VAD_FRAME) / DEMO_RATE);
}

function releaseAudio() {
  live.streams.forEach((stream) => stream.getTracks().forEach((track) => track.stop()));
  try { live.source?.stop(); } catch { /* already stopped */ }
  live.ctx?.close();
}

function stop() {
  if (live.ended) return;
  live.ended = true;
  live.streaming = false;
  clearTimeout(live.retryTimer);
  if (live.ready && live.ws?.readyState === WebSocket.OPEN) {
    flushFrames();
    live.ws.send(JSON.stringify({ type: "stop" }));
    // The audio has ended; the transcript may still be coming (a busy server): say so.
    if (view.status !== "status.ended") startFinishing({});
  }
  releaseAudio();
}

// --- the socket, resumed after a drop ---------------------------------------------------------

function openLive() {
  const resuming = live.sessionId !== null;
  setStatus(resuming ? "status.reconnecting" : "status.connecting");
  const ws = new WebSocket(wsUrl("/v1/live"));
  ws.binaryType = "arraybuffer";
  live.ws = ws;
  live.ready = false;
  ws.onopen = () => {
    const start = {
      type: "start",
      sample_rate: 16000,
      sample_format: "s16le",
      channels: live.roles,
      // Left out unless chosen: the server takes the seller's setting.
      language: callLang.chosen ? callLang.setting : undefined,
      title: live.demo ? demoTitle() : (params.get("title") || ""),
      // The box as ticked, the demo included: nothing claims consent nobody gave.
      customer_informed: $("informed").checked,
      transcribe: params.get("transcribe") !== "0",
    };
    if (resuming) {
      // Events after the last one seen; audio again from the oldest frame still at hand.
      live.nextFrame = live.firstFrame;
      start.resume = { session_id: live.sessionId, after_seq: view.lastSeq, audio_s: +(live.firstFrame * FRAME_S).toFixed(3) };
    }
    ws.send(JSON.stringify(start));
  };
  ws.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "ready" && ws === live.ws) {
      live.ready = true;
      live.sessionId = event.session_id;
      followInPopup();
      live.retries = 0;
      live.lostSince = 0;
      setStatus("status.live");
      flushFrames();
    }
    onEvent(event);
  };
  ws.onclose = (close) => {
    if (ws !== live.ws) return;
    live.ready = false;
    if (live.ended || view.status === "status.ended") return;
    if (PROTOCOL_CLOSES.has(close.code) || live.sessionId === null && live.retries > 3) {
      setStatus("status.lost");
      stop();
      return;
    }
    reconnect();
  };
}

function reconnect() {
  setStatus("status.reconnecting");
  if (!live.lostSince) live.lostSince = performance.now();
  if (performance.now() - live.lostSince > RETRY_GIVE_UP_MS) {
    setStatus("status.lost");
    stop();
    return;
  }
  const delay = retryDelayMs(live.retries, 0.8 + 0.4 * Math.random());
  live.retries += 1;
  live.retryTimer = setTimeout(openLive, delay);
}

function observe(sessionId) {
  showLive();
  $("call-lang").disabled = true; // the call's own page chooses it
  $("stop").hidden = true;
  live.sessionId = sessionId;
  setStatus(view.lastSeq ? "status.reconnecting" : "status.connecting");
  const ws = new WebSocket(wsUrl(`/v1/sessions/${encodeURIComponent(sessionId)}/events`, { after: view.lastSeq }));
  live.ws = ws;
  ws.onmessage = (message) => onEvent(JSON.parse(message.data));
  ws.onopen = () => {
    live.retries = 0;
    if (view.status !== "status.ended" && !view.finishing) setStatus("status.live");
  };
  ws.onclose = () => {
    // Resume after the last event seen, until the session has ended.
    if (view.status === "status.ended") return;
    setStatus("status.reconnecting");
    const delay = retryDelayMs(live.retries);
    live.retries += 1;
    setTimeout(() => observe(sessionId), delay);
  };
}

function sendFocus(focused) {
  if (focused === live.focused) return;
  live.focused = focused;
  if (live.ready && live.ws?.readyState === WebSocket.OPEN && !live.ended) {
    live.ws.send(JSON.stringify({ type: "focus", focused }));
  }
}

// --- events -> view ---------------------------------------------------------------------------

function onEvent(event) {
  if (typeof event.seq === "number") {
    if (event.seq <= view.lastSeq) return; // seen before the connection dropped
    view.lastSeq = event.seq;
  }
  if (typeof event.at_s === "number" && event.at_s >= view.audioAt) {
    view.audioAt = event.at_s;
    view.audioAtWall = performance.now();
  }
  switch (event.type) {
    case "ready":
      live.sessionId = event.session_id || live.sessionId;
      setStatus("status.live");
      if (event.language_setting) {
        onLanguageEvent({ language: event.language, source: event.language_setting === "auto" ? "auto" : "pinned" });
      }
      break;
    case "language":
      onLanguageEvent(event);
      if (Array.isArray(event.revises) && event.revises.length) {
        for (const seq of event.revises) view.revised.add(seq);
        renderTranscript();
      }
      break;
    case "activity":
      view.speaking[event.role] = event.speaking ? event.at_s : null;
      renderNow();
      break;
    case "balance":
      renderBalance(event);
      break;
    case "interruption":
    case "backchannel":
    case "early_start":
    case "overlap":
      view.contributions.set(event.contribution_id, event);
      renderCounts();
      break;
    case "transcript":
      // A settled line means the language check is over: earlier lines it did not overrule
      // are settled too.
      if (!event.provisional) for (const line of view.transcript) line.provisional = false;
      view.transcript.push(event);
      if (view.transcript.length > 50) view.transcript.shift();
      view.partial = null;
      renderTranscript();
      break;
    case "transcript_partial":
      view.partial = event;
      renderTranscript();
      break;
    case "cue":
      showCue(event);
      break;
    case "topic":
      view.topic = event;
      renderTopic();
      break;
    case "gap":
      view.gapS += Number(event.gap_s) || 0;
      renderGap();
      break;
    case "warning":
      // The server hears the call in the seller's microphone (echo), or people talking around
      // the seller (voices); it says when that ends.
      if (event.kind === "echo") $("warn-echo").hidden = !event.active;
      if (event.kind === "voices") $("warn-voices").hidden = !event.active;
      break;
    case "error":
      notice("error", { m: event.message });
      break;
    case "finishing":
      if (view.status !== "status.ended") startFinishing(event);
      break;
    case "final":
      view.finishing = null;
      renderFinishing();
      setStatus("status.ended");
      view.reportUrl = event.report_url || event.analysis_url || null;
      renderReport();
      $("stop").hidden = true;
      stop();
      break;
    default:
      break;
  }
}

function roleName(role) {
  return t(view.lang, role === "seller" ? "role.seller" : "role.customer");
}

function percent(share) {
  return share == null ? "–" : `${Math.round(share * 100)}`;
}

function renderGauge(id, share) {
  const gauge = $(id);
  gauge.querySelector(".fill").style.width = share == null ? "0" : `${Math.round(share * 100)}%`;
  gauge.dataset.high = share != null && share > 0.65 ? "1" : "0";
  gauge.dataset.empty = share == null ? "1" : "0"; // nobody has spoken yet: a neutral bar
  gauge.setAttribute("aria-label", share == null ? "–" : t(view.lang, "share", { p: percent(share) }));
}

function renderBalance(event) {
  view.lastBalance = event;
  renderGauge("gauge-window", event.window_seller_share);
  renderGauge("gauge-call", event.seller_share);
  $("share-window").textContent = event.window_seller_share == null ? "–" : `${percent(event.window_seller_share)}:${100 - percent(event.window_seller_share)}`;
  $("share-call").textContent = event.seller_share == null ? "–" : `${percent(event.seller_share)}:${100 - percent(event.seller_share)}`;
  const lag = event.asr_lag_s;
  const el = $("warn-lag");
  if (typeof lag === "number" && lag >= 3 && !view.finishing) {
    el.textContent = t(view.lang, "warn.lag", { s: Math.round(lag) });
    el.hidden = false;
  } else {
    el.hidden = true;
  }
}

// After the audio: "Finishing the transcript…" with what is left, instead of "Live" and "End call".
function startFinishing(event) {
  view.finishing = event;
  setStatus("status.finishing");
  $("stop").hidden = true;
  $("warn-lag").hidden = true;
  renderFinishing();
}

function renderFinishing() {
  const el = $("finishing");
  const left = view.finishing?.utterances_left;
  // Before the server's first count the status line says enough.
  el.textContent = typeof left !== "number"
    ? ""
    : left > 0
      ? t(view.lang, "finishing.left", { n: left, s: Math.round(view.finishing.speech_left_s || 0) })
      : t(view.lang, "finishing.done");
  el.hidden = !el.textContent;
}

function renderGap() {
  const el = $("warn-gap");
  el.hidden = view.gapS < 0.5;
  el.textContent = el.hidden ? "" : t(view.lang, "warn.gap", { s: Math.round(view.gapS) });
}

function renderCounts() {
  let interruptions = 0;
  let backchannels = 0;
  for (const event of view.contributions.values()) {
    if (event.by !== "seller") continue;
    if (event.type === "interruption") interruptions += 1;
    if (event.type === "backchannel") backchannels += 1;
  }
  $("n-interruptions").textContent = String(interruptions);
  $("n-backchannels").textContent = String(backchannels);
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function renderNow() {
  // Audio time now: the last reported audio time plus the wall time since, while live.
  const live_ = view.status === "status.live";
  const now = view.audioAt + (live_ ? (performance.now() - view.audioAtWall) / 1000 : 0);
  const { seller, customer } = view.speaking;
  let role = "none";
  if (seller != null && (customer == null || seller >= customer)) role = "seller";
  else if (customer != null) role = "customer";
  $("now").dataset.role = role;
  $("now-text").textContent = role === "none"
    ? t(view.lang, "now.none")
    : t(view.lang, `now.${role}`, { t: clock(now - view.speaking[role]) });
}

function renderTranscript() {
  const list = $("transcript-lines");
  // Follow the newest line unless the seller scrolled up to read.
  const atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 2;
  list.replaceChildren(...view.transcript.map((event) => {
    const item = root.ownerDocument.createElement("li");
    item.dataset.role = event.role;
    item.textContent = `${roleName(event.role)}: ${event.text}`;
    // Words sent before the call's language was settled: shown at once, marked as such.
    const state = view.revised.has(event.seq) ? "revised" : event.provisional ? "provisional" : "";
    if (state) {
      item.dataset.state = state;
      const note = root.ownerDocument.createElement("span");
      note.className = "transcript-note";
      note.textContent = ` (${t(view.lang, `transcript.${state}`)})`;
      item.append(note);
    }
    return item;
  }));
  const last = view.partial
    ? `${roleName(view.partial.role)}: ${view.partial.text} …`
    : view.transcript.length ? list.lastElementChild.textContent : "";
  $("transcript-last").textContent = last;
  if (atEnd) list.scrollTop = list.scrollHeight;
}

function showCue(event) {
  if (view.shownCues.has(event.cue_id)) return; // a cue is shown once
  view.shownCues.add(event.cue_id);
  view.cue = event;
  const box = $("cue");
  renderCue();
  box.dataset.kind = event.kind;
  box.hidden = false;
  box.classList.remove("fading");
  clearTimeout(view.cueTimer);
  // The cue fades after a while; Esc or × dismisses it at once.
  view.cueTimer = setTimeout(() => box.classList.add("fading"), 12000);
  box.onanimationend = () => { box.hidden = true; box.classList.remove("fading"); };
}

function renderCue() {
  if (view.cue) $("cue-text").textContent = cueText(view.lang, view.cue);
}

function dismissCue() {
  clearTimeout(view.cueTimer);
  $("cue").hidden = true;
}

function renderTopic() {
  const event = view.topic;
  $("topic-title").textContent = event.title || "";
  // The customer's own words, as they were said.
  const lines = Array.isArray(event.summary) ? event.summary : String(event.summary || "").split("\n").filter(Boolean);
  $("topic-lines").replaceChildren(...lines.map((line) => {
    const item = root.ownerDocument.createElement("li");
    item.textContent = line;
    if (event.language) item.lang = event.language;
    return item;
  }));
  if (event.language) $("topic-title").lang = event.language;
  $("topic").hidden = false;
}

function renderReport() {
  const link = $("report");
  if (!view.reportUrl) { link.hidden = true; return; }
  const url = new URL(view.reportUrl, location.href);
  url.searchParams.set("lang", view.lang);
  // HTTP routes take no ?token= (only sockets do, as browsers cannot set their headers): with a
  // token the report is fetched with it as a bearer and opened from memory in a new tab.
  link.href = url.href;
  link.target = "_blank";
  link.onclick = token ? (event) => { event.preventDefault(); openWithToken(url.href); } : null;
  link.hidden = false;
}

// --- the start page's links: past calls, the manual, the last report ----------------------------

// The newest ended session (finished or interrupted) of whoever uses this page (laptop mode, a
// signed-in browser, or ?token=); without access the link stays hidden.
let lastReport = null;

function renderLinks() {
  $("link-help").href = t(view.lang, "links.helpHref");
  const link = $("link-report");
  if (!lastReport) { link.hidden = true; return; }
  const url = new URL(`v1/sessions/${encodeURIComponent(lastReport.id)}/report`, location.href);
  url.searchParams.set("lang", view.lang);
  link.href = url.href;
  // As the live report link: with a token, fetched with it as a bearer (HTTP takes no ?token=).
  link.onclick = token ? (event) => { event.preventDefault(); openWithToken(url.href); } : null;
  link.title = lastReport.title || "";
  link.hidden = false;
}

async function loadLastReport() {
  try {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const answer = await fetch(new URL("v1/sessions", location.href), { headers, credentials: "same-origin" });
    if (!answer.ok) return;
    const sessions = await answer.json();
    lastReport = Array.isArray(sessions) ? sessions.find((s) => s.status !== "live") || null : null;
  } catch {
    lastReport = null;
  }
  renderLinks();
}

async function openWithToken(href) {
  // Opened at the click, before the fetch: a window opened later counts as a pop-up.
  const tab = window.open("", "_blank");
  try {
    const response = await fetch(href, { headers: { Authorization: `Bearer ${token}` } });
    const page = URL.createObjectURL(await response.blob());
    if (tab) tab.location.href = page; else location.href = page;
  } catch (error) {
    tab?.close();
    notice("error", { m: String(error) });
  }
}

function showLive() {
  $("join").hidden = true;
  $("live").hidden = false;
  renderNow();
}

// --- pop-out and focus ------------------------------------------------------------------------

async function popOut() {
  if ("documentPictureInPicture" in window) {
    if (pip) return;
    pip = await window.documentPictureInPicture.requestWindow({ width: 340, height: 240 });
    for (const link of document.querySelectorAll("link[rel=stylesheet]")) {
      const copy = pip.document.createElement("link");
      copy.rel = "stylesheet";
      copy.href = link.href;
      pip.document.head.append(copy);
    }
    pip.document.title = document.title;
    pip.document.documentElement.lang = view.lang;
    pip.document.body.append(root);
    watchFocus(pip);
    pip.addEventListener("pagehide", () => {
      document.body.append(root);
      pip = null;
      checkFocus();
    });
    return;
  }
  // No Document Picture-in-Picture: a small window that observes this session.
  popup = window.open(observerUrl(), "praesent-overlay", "popup,width=340,height=240");
}

function observerUrl() {
  const url = new URL(location.href);
  if (live.sessionId) url.searchParams.set("session", live.sessionId);
  url.searchParams.set("lang", view.lang);
  return url.href;
}

// The call went on in a new session (the server had lost the old one): the pop-out window
// observes that one from now on.
function followInPopup() {
  if (!popup || popup.closed) return;
  const now = new URL(popup.location.href).searchParams.get("session");
  if (live.sessionId && now !== live.sessionId) popup.location.replace(observerUrl());
}

let focusTimer = 0;
function checkFocus() {
  clearTimeout(focusTimer);
  // Moving between the page and its pop-out blurs one before the other gains focus: wait a moment.
  focusTimer = setTimeout(() => {
    const pageHere = !document.hidden && document.hasFocus();
    const pipHere = pip ? pip.document.hasFocus() : false;
    sendFocus(pageHere || pipHere);
  }, 300);
}

function watchFocus(win) {
  win.addEventListener("blur", checkFocus);
  win.addEventListener("focus", checkFocus);
  win.document.addEventListener("visibilitychange", checkFocus);
  win.document.addEventListener("keydown", onKey);
}

function onKey(event) {
  if (event.key === "Escape") dismissCue();
}

// --- wiring -----------------------------------------------------------------------------------

function init() {
  $("lang").addEventListener("change", (event) => applyLanguage(event.target.value));
  $("call-lang").addEventListener("change", (event) => chooseCallLang(event.target.value));
  $("start").addEventListener("click", join);
  $("demo").addEventListener("click", demo);
  $("begin").addEventListener("click", begin);
  $("retry").addEventListener("click", shareAgain);
  $("cancel").addEventListener("click", cancel);
  $("mic-processed").checked = processMic;
  $("mic-processed").addEventListener("change", (event) => setMicProcessing(event.target.checked));
  $("stop").addEventListener("click", stop);
  $("cue-close").addEventListener("click", dismissCue);
  // Opened, the transcript shows its newest line.
  $("transcript").addEventListener("toggle", () => {
    const list = $("transcript-lines");
    list.scrollTop = list.scrollHeight;
  });
  $("popout").addEventListener("click", popOut);
  watchFocus(window);
  applyLanguage(view.lang);
  setInterval(renderNow, 500);
  const session = params.get("session");
  if (session) observe(session);
  else {
    loadCallLangSetting();
    loadLastReport();
  }
}

init();

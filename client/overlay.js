// The praesent overlay: captures the call (microphone = seller, call tab = customer), streams it on
// the live socket, and shows what the server says. Plain ES module, no build step.
import { pickLanguage, t, translate } from "./i18n.js";

const params = new URLSearchParams(location.search);
const token = params.get("token");
const $ = (id) => document.getElementById(id);

const view = {
  lang: pickLanguage(params.get("lang") || localStorage.getItem("praesent.lang"), navigator.languages),
  status: "status.idle",
  speaking: { seller: null, customer: null }, // audio second the role started speaking, or null
  audioAt: 0, // latest audio time the server reported
  audioAtWall: 0, // performance.now() when it did
  contributions: new Map(), // contribution_id -> latest contribution event
  lastSeq: 0,
  cueTimer: 0,
};

const live = { ws: null, ctx: null, streams: [], source: null, sessionId: null, focused: true, ended: false };
let pip = null; // the Document Picture-in-Picture window, when open

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
  $("overlay").dataset.state = key.split(".")[1] || "idle";
}

function notice(key, values) {
  const el = $("notice");
  if (!key) { el.hidden = true; el.textContent = ""; return; }
  el.dataset.key = key;
  el.textContent = t(view.lang, key, values);
  el.hidden = false;
}

function applyLanguage(lang) {
  view.lang = lang;
  localStorage.setItem("praesent.lang", lang);
  $("lang").value = lang;
  for (const doc of [document, pip?.document].filter(Boolean)) translate(doc, lang);
  setStatus(view.status);
  if ($("notice").dataset.key && !$("notice").hidden) notice($("notice").dataset.key);
  if (view.lastBalance) renderBalance(view.lastBalance);
  renderNow();
}

// --- audio ------------------------------------------------------------------------------------

async function openMicrophone() {
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
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

// Build the graph: one node per role -> merger -> worklet -> frames on the socket.
async function startAudio(ctx, nodes) {
  await ctx.audioWorklet.addModule("pcm-worklet.js");
  const roles = Object.keys(nodes);
  const merger = ctx.createChannelMerger(roles.length);
  roles.forEach((role, index) => nodes[role].connect(merger, 0, index));
  const worklet = new AudioWorkletNode(ctx, "pcm-16k", {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    channelCount: roles.length,
    channelCountMode: "explicit",
    channelInterpretation: "discrete",
    processorOptions: { channels: roles.length, frameMs: 40 },
  });
  merger.connect(worklet);
  const sink = ctx.createGain();
  sink.gain.value = 0; // keeps the worklet pulled without playing anything
  worklet.connect(sink).connect(ctx.destination);
  worklet.port.onmessage = (message) => {
    if (live.ws && live.ws.readyState === WebSocket.OPEN && !live.ended) live.ws.send(message.data);
  };
  return roles;
}

async function join({ demo = false } = {}) {
  notice(null);
  const ctx = new AudioContext({ latencyHint: "interactive" });
  live.ctx = ctx;
  const nodes = {};
  const customerMode = params.get("customer");
  try {
    if (demo) {
      // "Try it": the shipped two-channel recording, seller left, customer right, played aloud.
      const source = await loadDemo(ctx);
      const split = ctx.createChannelSplitter(2);
      source.connect(split);
      source.connect(ctx.destination);
      nodes.seller = gainOf(ctx, split, 0);
      nodes.customer = gainOf(ctx, split, 1);
      live.source = source;
    } else {
      const mic = await openMicrophone();
      if (mic) { live.streams.push(mic); nodes.seller = ctx.createMediaStreamSource(mic); }
      if (customerMode === "demo") {
        // Test mode: the customer is the right channel of the demo recording (not played aloud),
        // standing in for the call tab that a headless browser cannot share.
        const source = await loadDemo(ctx);
        const split = ctx.createChannelSplitter(2);
        source.connect(split);
        nodes.customer = gainOf(ctx, split, 1);
        live.source = source;
      } else {
        notice("join.pickTab");
        const tab = await openCallTab();
        if (tab) { live.streams.push(tab); nodes.customer = ctx.createMediaStreamSource(tab); }
      }
      if (!nodes.seller && !nodes.customer) { notice("noAudio"); await ctx.close(); return; }
      notice(!nodes.seller ? "noMic" : !nodes.customer ? "noTab" : null);
    }
  } catch (error) {
    notice("error", { m: error.message });
    await ctx.close();
    return;
  }
  const roles = await startAudio(ctx, nodes);
  openLive(roles, demo);
  if (live.source) {
    live.source.onended = () => setTimeout(stop, 1500);
    live.source.start();
  }
  if (ctx.state === "suspended") await ctx.resume();
}

function gainOf(ctx, splitter, output) {
  const gain = ctx.createGain();
  splitter.connect(gain, output, 0);
  return gain;
}

function stop() {
  if (live.ended) return;
  live.ended = true;
  if (live.ws && live.ws.readyState === WebSocket.OPEN) live.ws.send(JSON.stringify({ type: "stop" }));
  live.streams.forEach((stream) => stream.getTracks().forEach((track) => track.stop()));
  try { live.source?.stop(); } catch { /* already stopped */ }
  live.ctx?.close();
}

// --- the socket -------------------------------------------------------------------------------

function openLive(roles, demo) {
  setStatus("status.connecting");
  const ws = new WebSocket(wsUrl("/v1/live"));
  live.ws = ws;
  ws.onopen = () => {
    ws.send(JSON.stringify({
      type: "start",
      sample_rate: 16000,
      sample_format: "s16le",
      channels: roles,
      language: params.get("language") || "auto",
      title: demo ? "Demo" : (params.get("title") || ""),
      customer_informed: demo || $("informed").checked,
      transcribe: params.get("transcribe") !== "0",
    }));
    showLive();
  };
  ws.onmessage = (message) => onEvent(JSON.parse(message.data));
  ws.onclose = () => {
    if (!live.ended) { live.ended = true; setStatus("status.lost"); stop(); }
  };
}

function observe(sessionId) {
  showLive();
  $("stop").hidden = true;
  live.sessionId = sessionId;
  setStatus("status.connecting");
  const ws = new WebSocket(wsUrl(`/v1/sessions/${encodeURIComponent(sessionId)}/events`, { after: view.lastSeq }));
  live.ws = ws;
  ws.onmessage = (message) => onEvent(JSON.parse(message.data));
  ws.onopen = () => setStatus("status.live");
  ws.onclose = () => {
    // Resume after the last event seen, until the session has ended.
    if (view.status !== "status.ended") setTimeout(() => observe(sessionId), 2000);
  };
}

function sendFocus(focused) {
  if (focused === live.focused) return;
  live.focused = focused;
  if (live.ws && live.ws.readyState === WebSocket.OPEN && !live.ended && !live.sessionId) {
    live.ws.send(JSON.stringify({ type: "focus", focused }));
  }
}

// --- events -> view ---------------------------------------------------------------------------

function onEvent(event) {
  if (typeof event.seq === "number") view.lastSeq = Math.max(view.lastSeq, event.seq);
  if (typeof event.at_s === "number" && event.at_s >= view.audioAt) {
    view.audioAt = event.at_s;
    view.audioAtWall = performance.now();
  }
  switch (event.type) {
    case "ready":
      live.sessionId = live.sessionId || event.session_id;
      setStatus("status.live");
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
      addTranscript(event);
      break;
    case "transcript_partial":
      $("transcript-last").textContent = `${roleName(event.role)}: ${event.text} …`;
      break;
    case "cue":
      showCue(event);
      break;
    case "topic":
      showTopic(event);
      break;
    case "error":
      notice("error", { m: event.message });
      break;
    case "final":
      setStatus("status.ended");
      if (event.report_url || event.analysis_url) {
        const link = $("report");
        link.href = event.report_url || event.analysis_url;
        link.hidden = false;
      }
      live.ended = true;
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
  gauge.setAttribute("aria-label", share == null ? "–" : t(view.lang, "share", { p: percent(share) }));
}

function renderBalance(event) {
  view.lastBalance = event;
  renderGauge("gauge-window", event.window_seller_share);
  renderGauge("gauge-call", event.seller_share);
  $("share-window").textContent = event.window_seller_share == null ? "–" : `${percent(event.window_seller_share)}:${100 - percent(event.window_seller_share)}`;
  $("share-call").textContent = event.seller_share == null ? "–" : `${percent(event.seller_share)}:${100 - percent(event.seller_share)}`;
  const lag = event.asr_lag_s;
  const lagEl = $("lag");
  if (typeof lag === "number" && lag >= 3) {
    lagEl.textContent = t(view.lang, "lag", { s: Math.round(lag) });
    lagEl.hidden = false;
  } else {
    lagEl.hidden = true;
  }
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
  const now = view.audioAt + (view.audioAtWall && !live.ended ? Math.min(2, (performance.now() - view.audioAtWall) / 1000) : 0);
  const { seller, customer } = view.speaking;
  let role = "none";
  if (seller != null && (customer == null || seller >= customer)) role = "seller";
  else if (customer != null) role = "customer";
  const el = $("now");
  el.dataset.role = role;
  $("now-text").textContent = role === "none"
    ? t(view.lang, "now.none")
    : t(view.lang, `now.${role}`, { t: clock(now - view.speaking[role]) });
}

function addTranscript(event) {
  const item = document.createElement("li");
  item.dataset.role = event.role;
  item.textContent = `${roleName(event.role)}: ${event.text}`;
  const list = $("transcript-lines");
  list.append(item);
  while (list.children.length > 50) list.firstElementChild.remove();
  $("transcript-last").textContent = item.textContent;
}

function showCue(event) {
  const box = $("cue");
  $("cue-text").textContent = event.text;
  box.dataset.kind = event.kind;
  box.hidden = false;
  box.classList.remove("fading");
  clearTimeout(view.cueTimer);
  // The cue fades after a while; Esc or × dismisses it at once.
  view.cueTimer = setTimeout(() => box.classList.add("fading"), 12000);
  box.onanimationend = () => { box.hidden = true; box.classList.remove("fading"); };
}

function dismissCue() {
  clearTimeout(view.cueTimer);
  $("cue").hidden = true;
}

function showTopic(event) {
  const card = $("topic");
  $("topic-title").textContent = event.title || "";
  const lines = Array.isArray(event.summary) ? event.summary
    : Array.isArray(event.lines) ? event.lines
    : String(event.summary || "").split("\n").filter(Boolean);
  $("topic-lines").replaceChildren(...lines.map((line) => {
    const item = document.createElement("li");
    item.textContent = line;
    return item;
  }));
  card.hidden = false;
}

function showLive() {
  $("join").hidden = true;
  $("live").hidden = false;
  renderNow();
}

// --- pop-out and focus ------------------------------------------------------------------------

async function popOut() {
  const root = $("overlay");
  if ("documentPictureInPicture" in window) {
    if (pip) return;
    pip = await window.documentPictureInPicture.requestWindow({ width: 340, height: 240 });
    for (const link of document.querySelectorAll("link[rel=stylesheet]")) {
      const copy = pip.document.createElement("link");
      copy.rel = "stylesheet";
      copy.href = link.href;
      pip.document.head.append(copy);
    }
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
  const url = new URL(location.href);
  if (live.sessionId) url.searchParams.set("session", live.sessionId);
  window.open(url.href, "praesent-overlay", "popup,width=340,height=240");
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
  $("start").addEventListener("click", () => join());
  $("demo").addEventListener("click", () => join({ demo: true }));
  $("stop").addEventListener("click", stop);
  $("cue-close").addEventListener("click", dismissCue);
  $("popout").addEventListener("click", popOut);
  watchFocus(window);
  applyLanguage(view.lang);
  setInterval(renderNow, 500);
  const session = params.get("session");
  if (session) observe(session);
}

init();

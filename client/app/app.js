// praesent's web app for a team server: sign-in, my calls, dashboards, tokens, audit, admin.
// Plain script over the JSON API; no build step. The dashboards are the server's own pages.
"use strict";

const TEXT = {
  en: {},
  de: {
    calls: "Meine Gespräche", trends: "Entwicklung", tokens: "Tokens", audit: "Zugriffsprotokoll",
    admin: "Verwaltung", overlay: "Gesprächs-Overlay", sign_out: "Abmelden", sign_in: "Anmelden",
    email: "E-Mail", password: "Passwort", welcome: "Willkommen",
    choose_password: "Wähle ein Passwort (mindestens 10 Zeichen)", create_account: "Konto anlegen",
    search_title: "Titel", from: "von", to: "bis", search: "Suchen",
    share_default: "Neue Gespräche mit meinen Coaches teilen", date: "Datum", title: "Titel",
    shared: "Geteilt", export: "Alle meine Daten herunterladen (ZIP)",
    shared_with_me: "Mit mir geteilt", tokens_hint: "Für praesent capture, praesent stream (--token oder PRAESENT_TOKEN) und die API. Ein Token wird nur einmal angezeigt.",
    token_name: "Name", create: "Anlegen", audit_hint: "Jedes Mal, wenn jemand anderes eines deiner Gespräche gelesen hat.",
    reader: "Leser:in", call: "Gespräch", what: "Was", invite: "Einladen", users: "Personen",
    teams: "Teams", team_name: "Teamname", team: "Team", retention: "Aufbewahrung (Tage)",
    transcripts: "Transkripte behalten", report: "Bericht", share: "Teilen", unshare: "Nicht mehr teilen",
    delete: "Löschen", revoke: "Widerrufen", expires: "gültig bis", never_expires: "läuft nie ab", save: "Speichern", confirm_delete: "Dieses Gespräch endgültig löschen?",
    team_view: "Team", yes: "ja", no: "nein", invite_link: "Einladungslink (einmal gültig):",
    new_token: "Dein neues Token (nur jetzt sichtbar):", wrong: "Anmeldung fehlgeschlagen",
    company_sign_in: "Mit dem Firmenkonto anmelden",
    webhooks: "Team-Webhooks", last_delivery: "Letzte Zustellung", send_again: "Erneut senden",
    delivered: "zugestellt", pending: "wartet", failed: "fehlgeschlagen", attempts: "Versuche",
    new_secret: "Signaturschlüssel (nur jetzt sichtbar):",
  },
};
const EN = {
  share: "Share", unshare: "Unshare", delete: "Delete", revoke: "Revoke", expires: "expires", never_expires: "never expires", save: "Save",
  report: "report", confirm_delete: "Delete this call for good?", team_view: "Team", yes: "yes",
  no: "no", invite_link: "Invitation link (works once):", new_token: "Your new token (shown only now):",
  wrong: "Sign-in failed", send_again: "Send again", delivered: "delivered", pending: "waiting",
  failed: "failed", attempts: "attempts", new_secret: "Signing secret (shown only now):",
};
let lang = (localStorage.getItem("praesent-lang") || navigator.language || "en").startsWith("de") ? "de" : "en";
let csrf = null;
let me = null;

const $ = (id) => document.getElementById(id);
const t = (key) => (TEXT[lang][key] ?? EN[key] ?? key);

function translate() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-t]")) {
    if (!el.dataset.en) el.dataset.en = el.textContent;
    el.textContent = lang === "de" && TEXT.de[el.dataset.t] ? TEXT.de[el.dataset.t] : el.dataset.en;
  }
  for (const el of document.querySelectorAll("[data-tp]")) {
    if (!el.dataset.enp) el.dataset.enp = el.placeholder;
    el.placeholder = lang === "de" && TEXT.de[el.dataset.tp] ? TEXT.de[el.dataset.tp] : el.dataset.enp;
  }
  $("lang").textContent = lang === "de" ? "EN" : "DE";
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data?.error?.message || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

function say(text) { $("message").textContent = text || ""; }

function show(view) {
  for (const section of document.querySelectorAll("main > section")) section.hidden = true;
  $(`view-${view}`).hidden = false;
}

function cell(row, content) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content); else td.textContent = content ?? "";
  row.append(td);
  return td;
}

function button(label, onClick, danger) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  if (danger) b.className = "danger";
  b.addEventListener("click", onClick);
  return b;
}

// A call as listed: its title (perhaps the calendar's) and the customer's company.
function callName(call) {
  return [call.title || call.id, call.customer?.company].filter(Boolean).join(" · ");
}

function link(text, href) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  return a;
}

async function loadCalls(form) {
  const params = new URLSearchParams();
  if (form) {
    const data = new FormData(form);
    if (data.get("q")) params.set("q", data.get("q"));
    if (data.get("from")) params.set("from", `${data.get("from")}T00:00:00Z`);
    if (data.get("to")) params.set("to", `${data.get("to")}T23:59:59Z`);
  }
  const calls = await api("GET", `/v1/sessions?${params}`);
  const body = $("calls-body");
  body.replaceChildren();
  for (const call of calls) {
    const row = document.createElement("tr");
    row.dataset.session = call.id;
    cell(row, call.started_at.slice(0, 16).replace("T", " "));
    cell(row, link(callName(call), `/v1/sessions/${call.id}/report?lang=${lang}`));
    cell(row, call.shared ? t("yes") : t("no"));
    const actions = cell(row, "");
    actions.append(
      button(call.shared ? t("unshare") : t("share"), async () => {
        await api("PUT", `/v1/sessions/${call.id}/sharing`, { shared: !call.shared });
        loadCalls();
      }),
      " ",
      button(t("delete"), async () => {
        if (!confirm(t("confirm_delete"))) return;
        await api("DELETE", `/v1/sessions/${call.id}`);
        loadCalls();
      }, true),
    );
    body.append(row);
  }
  $("share-default").checked = Boolean(me?.user?.share_by_default);
  if (me?.user?.role === "coach") {
    const shared = await api("GET", "/v1/sessions?shared=true");
    $("shared-with-me").hidden = false;
    const rows = $("shared-body");
    rows.replaceChildren();
    for (const call of shared) {
      const row = document.createElement("tr");
      cell(row, call.started_at.slice(0, 16).replace("T", " "));
      cell(row, link(callName(call), `/v1/sessions/${call.id}/report?lang=${lang}`));
      rows.append(row);
    }
  }
}

async function loadTokens() {
  const tokens = await api("GET", "/v1/me/tokens");
  const body = $("tokens-body");
  body.replaceChildren();
  for (const token of tokens) {
    const row = document.createElement("tr");
    cell(row, token.name);
    cell(row, token.scopes.join(" "));
    cell(row, token.created_at.slice(0, 10));
    cell(row, token.expires_at ? `${t("expires")} ${token.expires_at.slice(0, 10)}` : t("never_expires"));
    cell(row, token.revoked ? "revoked" : button(t("revoke"), async () => {
      await api("DELETE", `/v1/me/tokens/${token.id}`);
      loadTokens();
    }, true));
    body.append(row);
  }
}

async function loadAudit() {
  const entries = await api("GET", "/v1/me/audit");
  const body = $("audit-body");
  body.replaceChildren();
  for (const entry of entries) {
    const row = document.createElement("tr");
    cell(row, entry.at.slice(0, 16).replace("T", " "));
    cell(row, entry.reader);
    cell(row, entry.session_id);
    cell(row, entry.action);
    body.append(row);
  }
}

async function loadAdmin() {
  const [users, teams] = await Promise.all([api("GET", "/v1/admin/users"), api("GET", "/v1/admin/teams")]);
  const userRows = $("users-body");
  userRows.replaceChildren();
  for (const user of users) {
    const row = document.createElement("tr");
    cell(row, user.email);
    cell(row, user.role);
    cell(row, user.teams.join(", "));
    cell(row, user.id === me.user.id ? "" : button(t("delete"), async () => {
      if (!confirm(`${t("delete")} ${user.email}?`)) return;
      await api("DELETE", `/v1/admin/users/${user.id}`);
      loadAdmin();
    }, true));
    userRows.append(row);
  }
  const select = $("invite-team");
  select.replaceChildren(new Option("—", ""));
  const teamRows = $("teams-body");
  teamRows.replaceChildren();
  for (const team of teams) {
    select.append(new Option(team.name, team.name));
    const row = document.createElement("tr");
    cell(row, team.name);
    const days = document.createElement("input");
    days.type = "number"; days.min = "1"; days.value = team.retention_days ?? "";
    cell(row, days);
    const keep = document.createElement("input");
    keep.type = "checkbox"; keep.checked = team.keep_transcripts;
    cell(row, keep);
    cell(row, button(t("save"), async () => {
      await api("PUT", `/v1/admin/teams/${team.id}`, {
        retention_days: days.value ? Number(days.value) : null, keep_transcripts: keep.checked,
      });
      loadAdmin();
    }));
    teamRows.append(row);
  }
  await loadWebhooks(teams);
}

async function loadWebhooks(teams) {
  const names = Object.fromEntries(teams.map((team) => [team.id, team.name]));
  const select = $("webhook-team");
  select.replaceChildren(...teams.map((team) => new Option(team.name, team.id)));
  const hooks = (await api("GET", "/v1/webhooks")).filter((hook) => hook.team_id);
  const rows = $("webhooks-body");
  rows.replaceChildren();
  for (const hook of hooks) {
    const [last] = await api("GET", `/v1/webhooks/${hook.id}/deliveries?limit=1`);
    const row = document.createElement("tr");
    row.dataset.webhook = hook.id;
    cell(row, names[hook.team_id] ?? hook.team_id);
    cell(row, hook.url);
    const answer = last?.last_response_status ? `, ${last.last_response_status}` : "";
    cell(row, last ? `${last.event}: ${t(last.status)} (${last.attempts} ${t("attempts")}${answer})` : "—");
    cell(row, last ? button(t("send_again"), async () => {
      await api("POST", `/v1/webhooks/${hook.id}/deliveries/${last.id}/retry`);
      loadAdmin();
    }) : "");
    cell(row, button(t("delete"), async () => {
      if (!confirm(`${t("delete")} ${hook.url}?`)) return;
      await api("DELETE", `/v1/webhooks/${hook.id}`);
      loadAdmin();
    }, true));
    rows.append(row);
  }
}

function frame(id, src) {
  const element = $(id);
  if (element.dataset.src !== src) { element.src = src; element.dataset.src = src; }
}

async function route() {
  say("");
  const hash = location.hash.slice(1);
  if (hash.startsWith("invite=")) {
    const token = hash.slice(7);
    try {
      const invitation = await api("GET", `/v1/invitations/${token}`);
      $("invite-who").textContent = `${invitation.email} · ${invitation.role} · ${invitation.teams.join(", ")}`;
      $("invite-form").dataset.token = token;
      show("invite");
    } catch (error) { say(error.message); show("signin"); }
    return;
  }
  if (!me) { show("signin"); return; }
  const [view, arg] = hash.split("/");
  try {
    if (view === "trends") { frame("trends-frame", `/v1/me/trends?format=html&lang=${lang}`); show("trends"); }
    else if (view === "team" && arg) { frame("team-frame", `/v1/teams/${arg}/dashboard?format=html&lang=${lang}`); show("team"); }
    else if (view === "tokens") { await loadTokens(); show("tokens"); }
    else if (view === "audit") { await loadAudit(); show("audit"); }
    else if (view === "admin") { await loadAdmin(); show("admin"); }
    else { await loadCalls(); show("calls"); }
  } catch (error) { say(error.message); }
}

async function refreshMe() {
  try {
    me = await api("GET", "/v1/me");
    csrf = me.csrf_token;
  } catch (error) {
    me = null;
    csrf = null;
  }
  const signedIn = Boolean(me);
  $("nav").hidden = !signedIn;
  $("signout").hidden = !signedIn || !me.accounts;
  $("who").textContent = me?.user ? `${me.user.email} (${me.user.role})` : "";
  $("admin-link").hidden = me?.user?.role !== "admin";
  const teams = $("team-links");
  teams.replaceChildren();
  if (me?.user?.role === "coach") {
    for (const team of await api("GET", "/v1/teams")) teams.append(link(`${t("team_view")} ${team.name}`, `#team/${team.id}`), " ");
  }
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  try {
    await api("POST", "/v1/auth/login", { email: data.get("email"), password: data.get("password") });
    await refreshMe();
    location.hash = "#calls";
    route();
  } catch (error) { say(`${t("wrong")}: ${error.message}`); }
});

$("invite-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  try {
    await api("POST", `/v1/invitations/${event.target.dataset.token}`, { password: data.get("password") });
    await refreshMe();
    location.hash = "#calls";
  } catch (error) { say(error.message); }
});

$("search").addEventListener("submit", (event) => { event.preventDefault(); loadCalls(event.target).catch((e) => say(e.message)); });

$("share-default").addEventListener("change", async (event) => {
  await api("PUT", "/v1/me/sharing", { share_by_default: event.target.checked });
  await refreshMe();
});

$("token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  try {
    const made = await api("POST", "/v1/me/tokens", { name: data.get("name"), scopes: data.getAll("scope") });
    $("new-token").hidden = false;
    $("new-token").textContent = `${t("new_token")} ${made.token}`;
    loadTokens();
  } catch (error) { say(error.message); }
});

$("invite-create").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("invite-link").hidden = true;
  const data = new FormData(event.target);
  try {
    const made = await api("POST", "/v1/admin/invitations", {
      email: data.get("email"), role: data.get("role"), teams: data.get("team") ? [data.get("team")] : [],
    });
    $("invite-link").hidden = false;
    $("invite-link").textContent = `${t("invite_link")} ${made.url}`;
    $("invite-link").dataset.url = made.url;
  } catch (error) { say(error.message); }
});

$("webhook-create").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("webhook-secret").hidden = true;
  const data = new FormData(event.target);
  try {
    const made = await api("POST", "/v1/webhooks", { url: data.get("url"), team_id: data.get("team") });
    $("webhook-secret").hidden = false;
    $("webhook-secret").textContent = `${t("new_secret")} ${made.secret}`;
    $("webhook-secret").dataset.secret = made.secret;
    loadAdmin();
  } catch (error) { say(error.message); }
});

$("team-create").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  try { await api("POST", "/v1/admin/teams", { name: data.get("name") }); loadAdmin(); } catch (error) { say(error.message); }
});

$("signout").addEventListener("click", async () => {
  await api("POST", "/v1/auth/logout").catch(() => null);
  me = null; csrf = null;
  await refreshMe();
  location.hash = "";
  route();
});

$("lang").addEventListener("click", () => {
  lang = lang === "de" ? "en" : "de";
  localStorage.setItem("praesent-lang", lang);
  translate();
  route();
});

// The company sign-in shows only where the server has an identity provider configured.
fetch("/v1/auth/oidc/login", { redirect: "manual" })
  .then((response) => { $("oidc").hidden = response.type !== "opaqueredirect"; })
  .catch(() => null);

window.addEventListener("hashchange", route);
translate();
refreshMe().then(route);

// Galatea add-on web UI. Plain JS, no libraries, no CDN: charts are SVG built here.
// Every URL is relative so the page works behind Home Assistant's ingress path.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.setAttribute("class", v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

async function api(path, options) {
  const resp = await fetch("api/" + path, Object.assign({ credentials: "same-origin" }, options || {}));
  let body = null;
  try { body = await resp.json(); } catch (e) { body = null; }
  if (!resp.ok) throw new Error((body && body.message) || ("HTTP " + resp.status));
  return body;
}

function post(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data) });
}

function showError(err) {
  const box = $("error");
  box.hidden = !err;
  box.textContent = err ? "Could not load: " + err.message : "";
}

function daysText(days) {
  if (Array.isArray(days)) return days.map((d) => DAYS[d] || d).join(", ");
  return days || "";
}

function minutesOf(hhmm) {
  const m = /^(\d{1,2}):(\d{2})/.exec(hhmm || "");
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

// Entity ids never reach a person: "person.anna" reads "Anna", "light.kitchen" "kitchen light".
const DOMAIN_NOUNS = {
  light: "light", fan: "fan", lock: "lock", cover: "blinds", climate: "thermostat",
  vacuum: "vacuum", media_player: "", switch: "", binary_sensor: "", sensor: "",
  device_tracker: "", input_boolean: "", scene: "scene", script: "script", automation: "automation",
  camera: "camera", person: "", zone: "", calendar: "calendar", remote: "", select: "",
  water_heater: "water heater", humidifier: "humidifier", valve: "valve", button: "button",
};
const ENTITY_ID = new RegExp(`\\b(${Object.keys(DOMAIN_NOUNS).join("|")})\\.([a-z0-9_]+)\\b`, "g");

function entityWords(domain, objectId) {
  const name = objectId.replace(/_/g, " ").trim();
  if (domain === "person") return name.replace(/\b\w/g, (c) => c.toUpperCase());
  const noun = DOMAIN_NOUNS[domain];
  return noun && !name.includes(noun) ? `${name} ${noun}` : name;
}

function inWords(text) {
  return String(text == null ? "" : text)
    .replace(ENTITY_ID, (_m, d, o) => entityWords(d, o))
    .replace(/\bnot_home\b/g, "away");
}

function ago(iso) {
  if (!iso) return "never";
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 90) return Math.round(s) + " s ago";
  if (s < 5400) return Math.round(s / 60) + " min ago";
  if (s < 172800) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " days ago";
}

// ---- week: heatmap + routine clocks ------------------------------------------------------

function heatmap(week) {
  const cell = 26, left = 40, top = 18;
  const max = Math.max(1, ...week.counts.flat());
  const root = svg("svg", { viewBox: `0 0 ${left + 24 * cell + 4} ${top + 7 * cell + 4}`, width: "100%", role: "img",
    "aria-label": "Activity by weekday and hour" });
  for (let h = 0; h < 24; h += 3) root.append(svg("text", { x: left + h * cell + 2, y: 12 }, String(h).padStart(2, "0") + ":00"));
  week.counts.forEach((row, d) => {
    root.append(svg("text", { x: 4, y: top + d * cell + 17 }, DAYS[d]));
    row.forEach((n, h) => {
      const rect = svg("rect", { x: left + h * cell, y: top + d * cell, width: cell - 2, height: cell - 2, rx: 3 });
      if (n === 0) rect.setAttribute("class", "cell-empty");
      else {
        const t = Math.pow(n / max, 0.75);  // quiet hours stay visible next to busy evenings
        rect.setAttribute("fill", `rgba(3, 169, 244, ${(0.08 + 0.92 * t).toFixed(3)})`);
      }
      rect.append(svg("title", {}, `${DAYS[d]} ${String(h).padStart(2, "0")}:00 — ${n} activities`));
      root.append(rect);
    });
  });
  return root;
}

function polar(cx, cy, r, minutes) {
  const a = (minutes / 1440) * 2 * Math.PI - Math.PI / 2;  // midnight at the top
  return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
}

function routineClock(routine) {
  const size = 170, cx = size / 2, cy = size / 2, r = 62;
  const root = svg("svg", { viewBox: `0 0 ${size} ${size}`, width: size, height: size, role: "img",
    "aria-label": `${routine.label} at ${routine.time}` });
  root.append(svg("circle", { class: "face", cx, cy, r }));
  const t = minutesOf(routine.time);
  const spread = Math.min(Math.max(Number(routine.spread_min) || 0, 2), 719);
  if (t !== null) {
    const [x1, y1] = polar(cx, cy, r, t - spread);
    const [x2, y2] = polar(cx, cy, r, t + spread);
    const large = spread * 2 > 720 ? 1 : 0;
    root.append(svg("path", { class: "band", d: `M ${x1.toFixed(2)} ${y1.toFixed(2)} A ${r} ${r} 0 ${large} 1 ${x2.toFixed(2)} ${y2.toFixed(2)}` }));
  }
  for (let h = 0; h < 24; h += 1) {
    const [a1, b1] = polar(cx, cy, r - 9, h * 60);
    const [a2, b2] = polar(cx, cy, r - (h % 6 === 0 ? 17 : 12), h * 60);
    root.append(svg("line", { class: "tick", x1: a1, y1: b1, x2: a2, y2: b2 }));
  }
  for (const h of [0, 6, 12, 18]) {
    const [x, y] = polar(cx, cy, r + 15, h * 60);
    root.append(svg("text", { x, y: y + 3, "text-anchor": "middle" }, String(h)));
  }
  if (t !== null) {
    const [hx, hy] = polar(cx, cy, r - 20, t);
    root.append(svg("line", { class: "hand", x1: cx, y1: cy, x2: hx, y2: hy }));
  }
  root.append(svg("text", { x: cx, y: cy + 22, "text-anchor": "middle" }, routine.time || "?"));
  return root;
}

async function loadWeek() {
  const [week, routines] = await Promise.all([api("week?weeks=4"), api("routines")]);
  $("week-caption").textContent =
    `Activity by hour and weekday over the last ${week.weeks} weeks (${week.total} activities, ${week.time_zone}).`;
  $("heatmap").replaceChildren(heatmap(week));
  const list = routineList(routines).filter((r) => r.status !== "rejected");
  list.sort((a, b) => (minutesOf(a.time) || 0) - (minutesOf(b.time) || 0));
  const clock = (r) => el("div", { class: "clock", "data-key": r.key }, routineClock(r),
    el("div", { class: "title" }, inWords(r.label || r.kind)),
    el("div", { class: "sub" }, `${daysText(r.days)} · ±${Math.round(r.spread_min)} min`));
  // The day's landmarks (waking, leaving, coming home, bedtime) first; habits folded away.
  const main = list.filter((r) => r.kind !== "habit");
  const habits = list.filter((r) => r.kind === "habit");
  const children = main.map(clock);
  if (habits.length) {
    children.push(el("details", { class: "habits" },
      el("summary", {}, `${habits.length} learned habit${habits.length === 1 ? "" : "s"} (lights, appliances, media)`),
      el("div", { class: "clocks" }, ...habits.map(clock))));
  }
  $("clocks").replaceChildren(...(children.length ? children : [el("p", { class: "empty" }, "No routines learned yet.")]));
}

// ---- routines -----------------------------------------------------------------------------

function routineList(body) {
  if (Array.isArray(body)) return body;
  if (body && Array.isArray(body.routines)) return body.routines;
  return [];
}

async function setStatus(key, action) {
  try {
    await post("routines/" + action, { key });
    await loadRoutines();
  } catch (err) { showError(err); }
}

async function loadRoutines() {
  const routines = routineList(await api("routines?include_rejected=true"));
  routines.sort((a, b) => (minutesOf(a.time) || 0) - (minutesOf(b.time) || 0));
  const rows = routines.map((r) => el("div", { class: "routine", "data-key": r.key },
    el("div", { class: "time" }, r.time || "?"),
    el("div", { class: "what" },
      el("div", {}, inWords(r.label || r.kind)),
      el("div", { class: "meta" },
        `${daysText(r.days)} · ±${Math.round(r.spread_min)} min · learned from ${r.support_days} days · confidence ${Math.round((r.confidence || 0) * 100)}%` +
        ((r.person || r.actor) ? ` · ${inWords(r.person || r.actor)}` : ""))),
    el("div", { class: "actions" },
      el("span", { class: "status " + (r.status || "") }, r.status || "learned"),
      el("button", { class: "confirm", type: "button", onclick: () => setStatus(r.key, "confirm") }, "Confirm"),
      el("button", { class: "reject", type: "button", onclick: () => setStatus(r.key, "reject") }, "Reject"))));
  $("routine-list").replaceChildren(...(rows.length ? rows : [el("p", { class: "empty" }, "No routines learned yet.")]));
}

// ---- memories -----------------------------------------------------------------------------

async function loadMemories() {
  const q = $("memory-q").value.trim();
  const type = $("memory-type").value;
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (type) params.set("type", type);
  params.set("limit", "40");
  const body = await api("memories?" + params.toString());
  const words = body.memories.filter((m) => m.match !== "similar").length;
  const similar = body.count - words;
  const shown = body.matching > words ? ` (newest ${words} shown)` : "";
  $("memory-count").textContent = `${body.matching} memor${body.matching === 1 ? "y" : "ies"}` +
    (q ? ` matching “${q}”` : "") + shown + (similar ? `, ${similar} similar` : "");
  const rows = body.memories.map((m) => {
    const forget = el("button", { type: "button" }, "Forget");
    forget.addEventListener("click", async () => {
      if (forget.dataset.armed !== "1") { forget.dataset.armed = "1"; forget.textContent = "Really forget?"; return; }
      try { await post("forget", { memory_id: m.id }); await loadMemories(); } catch (err) { showError(err); }
    });
    return el("div", { class: "memory" + (m.match === "similar" ? " similar" : "") },
      el("div", { class: "body" }, el("div", {}, inWords(m.text)), el("div", { class: "meta" },
        `${m.type} · ${m.status}` + (m.subject ? ` · ${inWords(m.subject)}` : "") +
        ` · confidence ${Math.round((m.confidence || 0) * 100)}%` +
        (m.learned_at ? ` · learned ${ago(m.learned_at)}` : "") + ` · ${m.origin}` +
        (m.match === "similar" ? " · similar" : ""))),
      forget);
  });
  $("memory-list").replaceChildren(...(rows.length ? rows : [el("p", { class: "empty" }, "Nothing found.")]));
}

// ---- health -------------------------------------------------------------------------------

function when(iso) {
  if (!iso) return "–";
  const s = (Date.parse(iso) - Date.now()) / 1000;
  if (s <= 0) return ago(iso);
  if (s < 5400) return "in " + Math.max(1, Math.round(s / 60)) + " min";
  return "in " + Math.round(s / 3600) + " h";
}

function count(value) {
  return value == null ? "–" : Number(value).toLocaleString();
}

function duration(seconds) {
  if (seconds == null) return "–";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

function healthTable(title, rows) {
  // rows: [label, value]; a value of undefined (not reported) leaves its row out.
  const body = rows.filter(([, v]) => v !== undefined).map(([label, value]) =>
    el("tr", {}, el("th", { scope: "row" }, label), el("td", {}, value)));
  return el("table", { class: "facts" }, el("caption", {}, title), el("tbody", {}, ...body));
}

async function loadHealth() {
  const h = await api("health");
  const engine = h.engine || {};
  const store = h.store || {};
  const addon = h.addon || {};
  const recorded = h.last_activity_id ?? h.activity_last_id;
  const tables = [
    healthTable("Engine", [
      ["Status", h.status === "ok" ? "Running" : (h.status || "?")],
      ["Last run", engine.last_run !== undefined ? ago(engine.last_run) : undefined],
      ["Next run", engine.next_run !== undefined ? when(engine.next_run) : undefined],
      ["Last run took", engine.last_duration_s != null ? `${engine.last_duration_s} s` : undefined],
      ["Runs since start", engine.runs !== undefined ? `${count(engine.runs)} (${count(engine.full_runs)} full)` : undefined],
      ["Activities waiting to be learned from", engine.backlog !== undefined ? count(engine.backlog) : undefined],
      ["Last error", engine.last_error || undefined],
    ]),
    healthTable("What Galatea holds", [
      ["Activities recorded", count(recorded)],
      ["Routines", h.routines !== undefined ? count(h.routines) : undefined],
      ["Memories", h.memories !== undefined ? count(h.memories) : undefined],
    ]),
    healthTable("Database", [
      ["Size", store.db_size != null ? (store.db_size / 1048576).toFixed(1) + " MB" : undefined],
      ["Kind", store.backend ? (store.backend === "sqlite" ? "SQLite file" : store.backend) : undefined],
      ["Last write", store.last_commit !== undefined ? ago(store.last_commit) : undefined],
      ["Activities dropped (backlog full)", store.dropped ? count(store.dropped) : undefined],
      ["Problem", h.api_error || h.store_error || undefined],
    ]),
    healthTable("Add-on", [
      ["Version", addon.version || undefined],
      ["Memory in use", addon.rss_mb != null ? `${addon.rss_mb} MB of ${addon.max_memory_mb} MB` : undefined],
      ["Running for", h.uptime_s != null ? duration(h.uptime_s) : undefined],
      ["Time zone", h.time_zone || undefined],
    ]),
  ];
  $("health").replaceChildren(...tables);
}

// ---- routing ------------------------------------------------------------------------------

const PAGES = { week: loadWeek, routines: loadRoutines, memories: loadMemories, health: loadHealth };

async function show() {
  const page = PAGES[location.hash.slice(1)] ? location.hash.slice(1) : "week";
  for (const name of Object.keys(PAGES)) $("page-" + name).hidden = name !== page;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === page);
  showError(null);
  document.body.dataset.loaded = "";
  try { await PAGES[page](); } catch (err) { showError(err); }
  document.body.dataset.loaded = page;  // the browser test waits for this
}

window.addEventListener("hashchange", show);
document.addEventListener("DOMContentLoaded", () => {
  $("memory-search").addEventListener("submit", (ev) => { ev.preventDefault(); loadMemories().catch(showError); });
  show();
});

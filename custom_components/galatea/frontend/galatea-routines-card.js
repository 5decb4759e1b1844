/*
 * Galatea routines card: a 24-hour timeline of the household's routines.
 *
 * Served and registered by the Galatea integration itself (frontend.py); plain modern
 * JavaScript, no build step, no external resources. Data comes from Galatea's services
 * (list_routines, timeline, confirm_routine, reject_routine) and its entities' attributes;
 * today's occurrences of device habits come from HA's own history.
 *
 * Card config:
 *   type: custom:galatea-routines-card
 *   title: Routines          (optional)
 *   person: person.anna      (optional; default: everyone, one row per person + household)
 *   days: today | all        (routines expected today (default) or all of them)
 *   kinds: [wake_up, go_to_bed, leave_home, arrive_home, habit]   (optional filter)
 *   compact: false           (timeline only; tap a marker for details)
 */

const CARD_VERSION = "0.1.0";
const CARD_TAG = "galatea-routines-card";
const EDITOR_TAG = "galatea-routines-card-editor";
const DOMAIN = "galatea";
// The main kinds as Galatea declares them (engine/kinds.py): list_routines answers them under
// "kinds" and learnKinds() takes them from there; these are the built-in fallback.
let KINDS = ["wake_up", "go_to_bed", "leave_home", "arrive_home", "habit"];
const KIND_ICONS = {
  wake_up: "mdi:weather-sunset-up",
  go_to_bed: "mdi:bed",
  leave_home: "mdi:home-export-outline",
  arrive_home: "mdi:home-import-outline",
  habit: "mdi:repeat",
};
const DAY = 1440; // minutes
const REFRESH_MS = 5 * 60 * 1000;
const MIN_REFETCH_MS = 30 * 1000;
const LIST_LIMIT = 8; // routines listed per person before "more"
// First word of a habit's action in its label ("Kitchen light turned on").
const HABIT_VERBS = ["turned", "starts", "stops", "set", "opened", "closed", "locked", "unlocked",
  "switched", "started", "stopped", "pressed", "changed"];

/* ---- translations ------------------------------------------------------------------------ */

const TRANSLATIONS = {
  en: {
    title: "Routines",
    household: "Household",
    not_loaded: "Galatea is not loaded.",
    not_loaded_hint: "Add or enable the Galatea integration under Settings → Devices & services.",
    no_routines: "No routines learned yet.",
    no_routines_hint: "Galatea needs a few days of activity before routines show up.",
    nothing_today: "No routines expected today.",
    backfill: "History import",
    activity_today: "Activity recorded today",
    loading: "Loading…",
    error: "Could not load routines: {error}",
    usual: "usually {time}",
    spread: "± {min} min",
    done: "today {time}",
    done_early: "today {time} ({min} min early)",
    done_late: "today {time} ({min} min late)",
    late: "late by {min} min",
    expected: "expected {time}",
    not_yet: "due now",
    not_seen: "not seen today",
    seen_on: "Learned from {days} days",
    confidence: "Confidence {pct}%",
    days_daily: "every day",
    days_weekdays: "weekdays",
    days_weekends: "weekends",
    entities: "Based on",
    recent: "Recent days",
    no_recent: "Not seen in the last 7 days (it was learned from earlier days).",
    confirm: "Confirm",
    reject: "Reject",
    close: "Close",
    confirmed: "Confirmed",
    rejected: "Rejected",
    learned: "Learned",
    confirm_done: "Routine confirmed.",
    reject_done: "Routine rejected.",
    now: "now",
    more: "{n} more",
    legend_usual: "usual time",
    legend_spread: "usual spread",
    legend_today: "today",
    legend_deviation: "off schedule",
    weekday_names: "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
    kind_wake_up: "Wake up",
    kind_go_to_bed: "Go to bed",
    kind_leave_home: "Leave home",
    kind_arrive_home: "Arrive home",
    kind_habit: "Habits",
    habits: "Habits",
    habits_show: "Show {n} habits",
    habits_hide: "Hide habits",
    habit_times: "{n} times a day",
    editor_title: "Title",
    editor_person: "Person (empty: everyone)",
    editor_days: "Which routines",
    editor_days_today: "Expected today",
    editor_days_all: "All",
    editor_kinds: "Routine kinds",
    editor_compact: "Compact (timeline only)",
    card_name: "Galatea routines",
    card_description: "A 24-hour timeline of the routines Galatea learned, with today against them.",
  },
  nl: {
    title: "Routines",
    household: "Huishouden",
    not_loaded: "Galatea is niet geladen.",
    not_loaded_hint: "Voeg de Galatea-integratie toe of schakel hem in onder Instellingen → Apparaten & diensten.",
    no_routines: "Nog geen routines geleerd.",
    no_routines_hint: "Galatea heeft een paar dagen activiteit nodig voordat routines verschijnen.",
    nothing_today: "Vandaag worden geen routines verwacht.",
    backfill: "Geschiedenis importeren",
    activity_today: "Vandaag vastgelegde activiteit",
    loading: "Laden…",
    error: "Routines konden niet worden geladen: {error}",
    usual: "meestal {time}",
    spread: "± {min} min",
    done: "vandaag {time}",
    done_early: "vandaag {time} ({min} min vroeger)",
    done_late: "vandaag {time} ({min} min later)",
    late: "{min} min te laat",
    expected: "verwacht {time}",
    not_yet: "nu verwacht",
    not_seen: "vandaag niet gezien",
    seen_on: "Geleerd uit {days} dagen",
    confidence: "Zekerheid {pct}%",
    days_daily: "elke dag",
    days_weekdays: "doordeweeks",
    days_weekends: "in het weekend",
    entities: "Gebaseerd op",
    recent: "Afgelopen dagen",
    no_recent: "Niet gezien in de afgelopen 7 dagen (geleerd uit eerdere dagen).",
    confirm: "Bevestigen",
    reject: "Afwijzen",
    close: "Sluiten",
    confirmed: "Bevestigd",
    rejected: "Afgewezen",
    learned: "Geleerd",
    confirm_done: "Routine bevestigd.",
    reject_done: "Routine afgewezen.",
    now: "nu",
    more: "nog {n}",
    legend_usual: "gebruikelijke tijd",
    legend_spread: "gebruikelijke spreiding",
    legend_today: "vandaag",
    legend_deviation: "afwijkend",
    weekday_names: "ma,di,wo,do,vr,za,zo",
    kind_wake_up: "Opstaan",
    kind_go_to_bed: "Naar bed",
    kind_leave_home: "Vertrekken",
    kind_arrive_home: "Thuiskomen",
    kind_habit: "Gewoontes",
    habits: "Gewoontes",
    habits_show: "{n} gewoontes tonen",
    habits_hide: "Gewoontes verbergen",
    habit_times: "{n} keer per dag",
    editor_title: "Titel",
    editor_person: "Persoon (leeg: iedereen)",
    editor_days: "Welke routines",
    editor_days_today: "Vandaag verwacht",
    editor_days_all: "Alle",
    editor_kinds: "Soorten routines",
    editor_compact: "Compact (alleen tijdlijn)",
    card_name: "Galatea-routines",
    card_description: "Een tijdlijn van 24 uur met de routines die Galatea heeft geleerd, met vandaag ertegenover.",
  },
  de: {
    title: "Routinen",
    household: "Haushalt",
    not_loaded: "Galatea ist nicht geladen.",
    not_loaded_hint: "Füge die Galatea-Integration unter Einstellungen → Geräte & Dienste hinzu oder aktiviere sie.",
    no_routines: "Noch keine Routinen gelernt.",
    no_routines_hint: "Galatea braucht ein paar Tage Aktivität, bevor Routinen erscheinen.",
    nothing_today: "Heute werden keine Routinen erwartet.",
    backfill: "Verlauf importieren",
    activity_today: "Heute erfasste Aktivität",
    loading: "Wird geladen…",
    error: "Routinen konnten nicht geladen werden: {error}",
    usual: "meist {time}",
    spread: "± {min} Min.",
    done: "heute {time}",
    done_early: "heute {time} ({min} Min. früher)",
    done_late: "heute {time} ({min} Min. später)",
    late: "{min} Min. zu spät",
    expected: "erwartet {time}",
    not_yet: "jetzt fällig",
    not_seen: "heute nicht gesehen",
    seen_on: "Aus {days} Tagen gelernt",
    confidence: "Sicherheit {pct} %",
    days_daily: "täglich",
    days_weekdays: "werktags",
    days_weekends: "am Wochenende",
    entities: "Beruht auf",
    recent: "Letzte Tage",
    no_recent: "In den letzten 7 Tagen nicht gesehen (aus früheren Tagen gelernt).",
    confirm: "Bestätigen",
    reject: "Ablehnen",
    close: "Schließen",
    confirmed: "Bestätigt",
    rejected: "Abgelehnt",
    learned: "Gelernt",
    confirm_done: "Routine bestätigt.",
    reject_done: "Routine abgelehnt.",
    now: "jetzt",
    more: "{n} weitere",
    legend_usual: "übliche Zeit",
    legend_spread: "übliche Streuung",
    legend_today: "heute",
    legend_deviation: "außer Plan",
    weekday_names: "Mo,Di,Mi,Do,Fr,Sa,So",
    kind_wake_up: "Aufstehen",
    kind_go_to_bed: "Schlafen gehen",
    kind_leave_home: "Aus dem Haus",
    kind_arrive_home: "Nach Hause kommen",
    kind_habit: "Gewohnheiten",
    habits: "Gewohnheiten",
    habits_show: "{n} Gewohnheiten zeigen",
    habits_hide: "Gewohnheiten ausblenden",
    habit_times: "{n}-mal am Tag",
    editor_title: "Titel",
    editor_person: "Person (leer: alle)",
    editor_days: "Welche Routinen",
    editor_days_today: "Heute erwartet",
    editor_days_all: "Alle",
    editor_kinds: "Arten von Routinen",
    editor_compact: "Kompakt (nur Zeitleiste)",
    card_name: "Galatea-Routinen",
    card_description: "Eine 24-Stunden-Zeitleiste der Routinen, die Galatea gelernt hat, mit dem heutigen Tag daneben.",
  },
  fr: {
    title: "Routines",
    household: "Foyer",
    not_loaded: "Galatea n'est pas chargé.",
    not_loaded_hint: "Ajoutez ou activez l'intégration Galatea dans Paramètres → Appareils et services.",
    no_routines: "Aucune routine apprise pour l'instant.",
    no_routines_hint: "Galatea a besoin de quelques jours d'activité avant d'afficher des routines.",
    nothing_today: "Aucune routine prévue aujourd'hui.",
    backfill: "Import de l'historique",
    activity_today: "Activité enregistrée aujourd'hui",
    loading: "Chargement…",
    error: "Impossible de charger les routines : {error}",
    usual: "d'habitude {time}",
    spread: "± {min} min",
    done: "aujourd'hui {time}",
    done_early: "aujourd'hui {time} ({min} min plus tôt)",
    done_late: "aujourd'hui {time} ({min} min plus tard)",
    late: "{min} min de retard",
    expected: "prévu {time}",
    not_yet: "attendu maintenant",
    not_seen: "pas vu aujourd'hui",
    seen_on: "Appris sur {days} jours",
    confidence: "Confiance {pct} %",
    days_daily: "tous les jours",
    days_weekdays: "en semaine",
    days_weekends: "le week-end",
    entities: "D'après",
    recent: "Derniers jours",
    no_recent: "Pas vu ces 7 derniers jours (appris sur des jours plus anciens).",
    confirm: "Confirmer",
    reject: "Rejeter",
    close: "Fermer",
    confirmed: "Confirmée",
    rejected: "Rejetée",
    learned: "Apprise",
    confirm_done: "Routine confirmée.",
    reject_done: "Routine rejetée.",
    now: "maintenant",
    more: "{n} de plus",
    legend_usual: "heure habituelle",
    legend_spread: "écart habituel",
    legend_today: "aujourd'hui",
    legend_deviation: "inhabituel",
    weekday_names: "lun,mar,mer,jeu,ven,sam,dim",
    kind_wake_up: "Lever",
    kind_go_to_bed: "Coucher",
    kind_leave_home: "Départ",
    kind_arrive_home: "Retour",
    kind_habit: "Habitudes",
    habits: "Habitudes",
    habits_show: "Afficher {n} habitudes",
    habits_hide: "Masquer les habitudes",
    habit_times: "{n} fois par jour",
    editor_title: "Titre",
    editor_person: "Personne (vide : tout le monde)",
    editor_days: "Quelles routines",
    editor_days_today: "Prévues aujourd'hui",
    editor_days_all: "Toutes",
    editor_kinds: "Types de routines",
    editor_compact: "Compact (frise seule)",
    card_name: "Routines Galatea",
    card_description: "Une frise de 24 heures des routines apprises par Galatea, avec la journée en cours en regard.",
  },
  es: {
    title: "Rutinas",
    household: "Hogar",
    not_loaded: "Galatea no está cargado.",
    not_loaded_hint: "Añade o activa la integración Galatea en Ajustes → Dispositivos y servicios.",
    no_routines: "Aún no se ha aprendido ninguna rutina.",
    no_routines_hint: "Galatea necesita unos días de actividad antes de mostrar rutinas.",
    nothing_today: "Hoy no se espera ninguna rutina.",
    backfill: "Importación del historial",
    activity_today: "Actividad registrada hoy",
    loading: "Cargando…",
    error: "No se pudieron cargar las rutinas: {error}",
    usual: "normalmente {time}",
    spread: "± {min} min",
    done: "hoy {time}",
    done_early: "hoy {time} ({min} min antes)",
    done_late: "hoy {time} ({min} min después)",
    late: "{min} min de retraso",
    expected: "previsto {time}",
    not_yet: "toca ahora",
    not_seen: "no visto hoy",
    seen_on: "Aprendida de {days} días",
    confidence: "Confianza {pct} %",
    days_daily: "todos los días",
    days_weekdays: "entre semana",
    days_weekends: "los fines de semana",
    entities: "Basada en",
    recent: "Últimos días",
    no_recent: "No visto en los últimos 7 días (se aprendió de días anteriores).",
    confirm: "Confirmar",
    reject: "Rechazar",
    close: "Cerrar",
    confirmed: "Confirmada",
    rejected: "Rechazada",
    learned: "Aprendida",
    confirm_done: "Rutina confirmada.",
    reject_done: "Rutina rechazada.",
    now: "ahora",
    more: "{n} más",
    legend_usual: "hora habitual",
    legend_spread: "margen habitual",
    legend_today: "hoy",
    legend_deviation: "fuera de lo habitual",
    weekday_names: "lun,mar,mié,jue,vie,sáb,dom",
    kind_wake_up: "Levantarse",
    kind_go_to_bed: "Acostarse",
    kind_leave_home: "Salir de casa",
    kind_arrive_home: "Llegar a casa",
    kind_habit: "Hábitos",
    habits: "Hábitos",
    habits_show: "Mostrar {n} hábitos",
    habits_hide: "Ocultar hábitos",
    habit_times: "{n} veces al día",
    editor_title: "Título",
    editor_person: "Persona (vacío: todos)",
    editor_days: "Qué rutinas",
    editor_days_today: "Previstas hoy",
    editor_days_all: "Todas",
    editor_kinds: "Tipos de rutina",
    editor_compact: "Compacta (solo la línea de tiempo)",
    card_name: "Rutinas de Galatea",
    card_description: "Una línea de tiempo de 24 horas con las rutinas que Galatea ha aprendido, junto al día de hoy.",
  },
};

function translate(hass, key, vars = {}) {
  const lang = (hass && ((hass.locale && hass.locale.language) || hass.language)) || "en";
  const table = TRANSLATIONS[lang] || TRANSLATIONS[lang.split("-")[0]] || TRANSLATIONS.en;
  let text = table[key] !== undefined ? table[key] : TRANSLATIONS.en[key];
  if (text === undefined) return key;
  for (const [name, value] of Object.entries(vars)) text = text.replace(`{${name}}`, value);
  return text;
}

/* ---- time helpers (everything in the home's time zone) ----------------------------------- */

const _formatters = new Map();
function zoneParts(ms, timeZone) {
  let fmt = _formatters.get(timeZone);
  if (!fmt) {
    try {
      fmt = new Intl.DateTimeFormat("en-US", {
        timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", weekday: "short",
      });
    } catch (_err) {
      fmt = new Intl.DateTimeFormat("en-US", {
        hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", weekday: "short",
      });
    }
    _formatters.set(timeZone, fmt);
  }
  const parts = {};
  for (const p of fmt.formatToParts(new Date(ms))) parts[p.type] = p.value;
  const weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(parts.weekday);
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minute: (Number(parts.hour) % 24) * 60 + Number(parts.minute),
    second: Number(parts.second),
    weekday, // Monday = 0, as Galatea's routines count days
  };
}

function parseHHMM(text) {
  const m = /^(\d{1,2}):(\d{2})/.exec(text || "");
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

function circularDiff(a, b) {
  // signed minutes from b to a on the 24-hour circle, in (-720, 720]
  let d = (a - b) % DAY;
  if (d > DAY / 2) d -= DAY;
  if (d <= -DAY / 2) d += DAY;
  return d;
}

const _hourCycles = new Map();
function uses12h(hass) {
  // HA's profile setting: "12", "24", "language" (the UI language's habit) or "system".
  const locale = (hass && hass.locale) || {};
  const setting = locale.time_format || "language";
  if (setting === "12") return true;
  if (setting === "24") return false;
  const lang = setting === "system" ? undefined : (locale.language || (hass && hass.language) || "en");
  const cacheKey = `${setting}|${lang}`;
  if (!_hourCycles.has(cacheKey)) {
    let twelve = false;
    try {
      const cycle = new Intl.DateTimeFormat(lang, { hour: "numeric" }).resolvedOptions().hourCycle;
      twelve = cycle === "h12" || cycle === "h11";
    } catch (_err) {
      twelve = false;
    }
    _hourCycles.set(cacheKey, twelve);
  }
  return _hourCycles.get(cacheKey);
}

function formatMinute(hass, minute) {
  const m = ((Math.round(minute) % DAY) + DAY) % DAY;
  const h = Math.floor(m / 60);
  const mm = String(m % 60).padStart(2, "0");
  if (uses12h(hass)) return `${((h + 11) % 12) + 1}:${mm} ${h < 12 ? "AM" : "PM"}`;
  return `${String(h).padStart(2, "0")}:${mm}`;
}

function formatHour(hass, hour) {
  // Axis labels: "06" / "18" on a 24-hour clock, "6a" / "6p" on a 12-hour one.
  if (uses12h(hass)) {
    const h = hour % 24;
    return `${((h + 11) % 12) + 1}${h < 12 ? "a" : "p"}`;
  }
  return String(hour).padStart(2, "0");
}

function daysMatch(days, weekday) {
  if (Array.isArray(days)) return days.includes(weekday);
  if (days === "weekdays") return weekday < 5;
  if (days === "weekends") return weekday >= 5;
  return true; // daily
}

function daysText(hass, days) {
  if (Array.isArray(days)) {
    const names = translate(hass, "weekday_names").split(",");
    return days.map((d) => names[d] || d).join(", ");
  }
  return translate(hass, `days_${days || "daily"}`);
}

function escapeHtml(value) {
  return String(value === null || value === undefined ? "" : value)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/* ---- occurrences: when did a routine actually happen? ------------------------------------ */

// Episode-based routines: which end of which episode kind marks the routine.
const EPISODE_EDGE = {
  wake_up: ["sleep", "end"],
  go_to_bed: ["sleep", "start"],
  leave_home: ["away", "start"],
  arrive_home: ["away", "end"],
};

function learnKinds(kinds) {
  // The kind registry as list_routines answers it: [{key, episode, edge, icon}, ...].
  if (!Array.isArray(kinds) || !kinds.length) return;
  const keys = [];
  for (const k of kinds) {
    if (!k || typeof k.key !== "string") continue;
    keys.push(k.key);
    if (typeof k.icon === "string") KIND_ICONS[k.key] = k.icon;
    if (k.episode && k.edge) EPISODE_EDGE[k.key] = [k.episode, k.edge];
  }
  if (keys.length) KINDS = [...keys, "habit"];
}

function routineEvents(routine, items, history) {
  // All timestamps (ms) at which this routine's defining event happened in the data given.
  const out = [];
  const edge = EPISODE_EDGE[routine.kind];
  if (edge) {
    for (const it of items || []) {
      if (it.kind !== edge[0] || (it.person || null) !== (routine.person || null)) continue;
      const ts = it[edge[1]];
      if (ts) out.push(Date.parse(ts));
    }
    if (out.length) return out;
  }
  const wanted = routine.detail && routine.detail.state;
  for (const entityId of routine.entities || []) {
    const rows = (history && history[entityId]) || [];
    let previous = null;
    for (const row of rows) {
      const state = row.s;
      const ts = (row.lu || row.lc) * 1000;
      const changed = previous !== null && state !== previous;
      previous = state;
      if (!changed) continue;
      if (edge) {
        if (routine.kind === "leave_home" && state === "home") continue;
        if (routine.kind === "arrive_home" && state !== "home") continue;
      } else if (wanted ? state !== wanted : ["off", "unavailable", "unknown", "idle"].includes(state)) {
        continue;
      }
      out.push(ts);
    }
  }
  return out;
}

function closestPerDay(routine, timestamps, timeZone) {
  // {date: {ms, minute, diff}} keeping, per local day, the event closest to the usual time.
  const usual = parseHHMM(routine.time);
  const window = Math.max(3 * (routine.spread_min || 0), 90);
  const best = {};
  for (const ms of timestamps) {
    const p = zoneParts(ms, timeZone);
    const diff = circularDiff(p.minute, usual);
    if (Math.abs(diff) > window) continue;
    // a 23:50 bedtime for a 00:10 routine belongs to the next day
    let date = p.date;
    if (diff < 0 && p.minute - usual > DAY / 2) date = zoneParts(ms + DAY * 60000, timeZone).date;
    if (diff > 0 && usual - p.minute > DAY / 2) date = zoneParts(ms - DAY * 60000, timeZone).date;
    if (!best[date] || Math.abs(diff) < Math.abs(best[date].diff)) {
      best[date] = { ms, minute: p.minute, diff };
    }
  }
  return best;
}

/* ---- the card ---------------------------------------------------------------------------- */

class GalateaRoutinesCard extends HTMLElement {
  static getConfigElement() {
    return document.createElement(EDITOR_TAG);
  }

  static getStubConfig() {
    return { days: "today", compact: false };
  }

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = null;
    this._hass = null;
    this._data = null; // {routines, items, history, fetchedAt}
    this._error = null;
    this._selected = null;
    this._evidence = null;
    this._message = null;
    this._busy = false;
    this._fetching = null;
    this._signature = "";
    this._entitySignature = "";
    this._width = 0;
    this._expanded = new Set();
    this._habitsOpen = null; // null: the card's default (closed unless only habits are asked for)
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    if (config.person && !String(config.person).startsWith("person.")) {
      throw new Error("person must be a person entity (person.xyz)");
    }
    if (config.days && !["today", "all"].includes(config.days)) {
      throw new Error("days must be 'today' or 'all'");
    }
    if (config.kinds && !Array.isArray(config.kinds)) throw new Error("kinds must be a list");
    const previous = this._config;
    this._config = { days: "today", compact: false, ...config };
    if (previous && previous.person !== this._config.person) this._data = null;
    if (this._hass) this._scheduleFetch(0);
    this._render();
  }

  set hass(hass) {
    const first = !this._hass;
    this._hass = hass;
    const entitySignature = this._galateaSignature(hass);
    if (first || entitySignature !== this._entitySignature) {
      this._entitySignature = entitySignature;
      this._scheduleFetch(first ? 0 : 1500, { throttle: !first });
    }
    const signature = `${entitySignature}|${hass.language}|${hass.themes && hass.themes.darkMode}`;
    if (signature !== this._signature) {
      this._signature = signature;
      this._render();
    }
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    this._timer = setInterval(() => this._render(), 60 * 1000);
    this._poller = setInterval(() => this._scheduleFetch(0), REFRESH_MS);
    if (window.ResizeObserver) {
      this._resize = new ResizeObserver((entries) => {
        const width = Math.round(entries[0].contentRect.width);
        if (Math.abs(width - this._width) > 8) {
          this._width = width;
          this._render();
        }
      });
      this._resize.observe(this);
    }
    if (this._hass) this._scheduleFetch(0);
  }

  disconnectedCallback() {
    clearInterval(this._timer);
    clearInterval(this._poller);
    clearTimeout(this._fetchTimer);
    if (this._resize) this._resize.disconnect();
  }

  getCardSize() {
    const rows = this._rows().length || 1;
    return this._config && this._config.compact ? 1 + rows : 3 + rows * 2;
  }

  getGridOptions() {
    // Readable down to a third of a section (the layout tests measure 1, 2 and 3 across).
    return { columns: 12, min_columns: 4 };
  }

  /* -- state ----------------------------------------------------------------------------- */

  get _loaded() {
    const hass = this._hass;
    const services = hass && hass.services && hass.services[DOMAIN];
    if (!(services && services.list_routines)) return false;
    // Galatea's actions stay registered while its entry is unloaded or disabled (they are set
    // up with the integration); the entry is loaded when its entities are available.
    return this._galateaEntities(hass).some((entityId) => {
      const st = hass.states[entityId];
      return Boolean(st) && st.state !== "unavailable";
    });
  }

  get _timeZone() {
    return (this._hass && this._hass.config && this._hass.config.time_zone) || undefined;
  }

  _galateaEntities(hass) {
    const out = [];
    const registry = hass.entities || {};
    for (const [entityId, entry] of Object.entries(registry)) {
      if (entry && entry.platform === DOMAIN) out.push(entityId);
    }
    if (!out.length) {
      for (const entityId of Object.keys(hass.states || {})) {
        const attrs = hass.states[entityId].attributes || {};
        if (attrs.key && attrs.usual_time !== undefined) out.push(entityId);
      }
    }
    return out.sort();
  }

  _galateaSignature(hass) {
    // Changes whenever a Galatea entity changes state (new routine, deviation, engine run).
    const parts = [this._loaded ? "1" : "0"];
    for (const entityId of this._galateaEntities(hass)) {
      const st = hass.states[entityId];
      if (st) parts.push(`${entityId}=${st.state}@${st.last_updated}`);
    }
    return parts.join(";");
  }

  _deviations() {
    // routine key -> {late: bool, minutes} from the deviation binary sensors
    const out = {};
    if (!this._hass) return out;
    for (const entityId of this._galateaEntities(this._hass)) {
      if (!entityId.startsWith("binary_sensor.")) continue;
      const st = this._hass.states[entityId];
      const attrs = (st && st.attributes) || {};
      if (!attrs.key) continue;
      out[attrs.key] = { late: st.state === "on", minutes: attrs.minutes_late || 0 };
    }
    return out;
  }

  _diagnostics() {
    const out = {};
    if (!this._hass) return out;
    for (const entityId of this._galateaEntities(this._hass)) {
      const entry = (this._hass.entities || {})[entityId] || {};
      const st = this._hass.states[entityId];
      if (!st) continue;
      const key = entry.translation_key || entityId.split(".")[1].replace(/^galatea_/, "");
      if (key === "backfill_progress") out.backfill = st;
      if (key === "activity_today") out.activity = st;
    }
    return out;
  }

  _scheduleFetch(delay, { throttle = false } = {}) {
    // Entity updates (every recorded activity moves "Activity today") refetch at most every
    // MIN_REFETCH_MS; configuration changes, the poller and the user's actions do not wait.
    if (throttle && this._data) {
      const since = Date.now() - this._data.fetchedAt;
      delay = Math.max(delay, MIN_REFETCH_MS - since);
    }
    clearTimeout(this._fetchTimer);
    this._fetchTimer = setTimeout(() => this._fetch(), delay);
  }

  async _service(service, data) {
    const result = await this._hass.callWS({
      type: "call_service", domain: DOMAIN, service, service_data: data, return_response: true,
    });
    return (result && result.response) || {};
  }

  async _fetch() {
    if (!this._hass || !this._config) return;
    if (!this._loaded) {
      this._data = null;
      this._render();
      return;
    }
    if (this._fetching) {
      // one more round after the running one (e.g. right after confirm/reject)
      await this._fetching;
      if (this._fetching) return this._fetching;
    }
    const person = this._config.person;
    const filter = person ? { person } : {};
    this._fetching = (async () => {
      try {
        const [routines, timeline] = await Promise.all([
          this._service("list_routines", filter),
          this._service("timeline", { period: "today", limit: 500, ...filter }).catch(() => ({})),
        ]);
        learnKinds(routines.kinds);
        const list = routines.routines || [];
        const history = await this._history(list, this._midnight(), Date.now());
        this._data = { routines: list, items: timeline.items || [], history, fetchedAt: Date.now() };
        this._error = null;
      } catch (err) {
        this._error = (err && (err.message || err.code)) || String(err);
      } finally {
        this._fetching = null;
        this._render();
      }
    })();
    await this._fetching;
  }

  _midnight(now = Date.now()) {
    const p = zoneParts(now, this._timeZone);
    return now - (p.minute * 60 + p.second) * 1000 - (now % 1000);
  }

  async _history(routines, startMs, endMs) {
    const ids = new Set();
    for (const r of routines) for (const e of r.entities || []) ids.add(e);
    if (!ids.size) return {};
    try {
      return await this._hass.callWS({
        type: "history/history_during_period",
        start_time: new Date(startMs).toISOString(),
        end_time: new Date(endMs).toISOString(),
        entity_ids: [...ids],
        minimal_response: true,
        no_attributes: true,
        significant_changes_only: false,
      });
    } catch (_err) {
      return {}; // history (recorder) is optional
    }
  }

  /* -- model ----------------------------------------------------------------------------- */

  _visibleRoutines() {
    if (!this._data) return [];
    const cfg = this._config;
    const today = zoneParts(Date.now(), this._timeZone).weekday;
    return this._data.routines.filter((r) => {
      if (r.status === "rejected" || r.status === "superseded") return false;
      if (cfg.person && r.person !== cfg.person) return false;
      const kind = KINDS.includes(r.kind) ? r.kind : "habit";
      if (cfg.kinds && cfg.kinds.length && !cfg.kinds.includes(kind)) return false;
      if (cfg.days !== "all" && !daysMatch(r.days, today)) return false;
      return parseHHMM(r.time) !== null;
    });
  }

  _view(r, now, deviations) {
    // One routine as the card shows it today: usual minute, today's occurrence, status.
    const usual = parseHHMM(r.time);
    const todays = closestPerDay(
      r, routineEvents(r, this._data.items, this._data.history), this._timeZone,
    )[now.date];
    const margin = Math.max(2 * (r.spread_min || 0), 15);
    const dev = deviations[r.key] || { late: false, minutes: 0 };
    let status = "pending";
    if (todays) {
      status = Math.abs(todays.diff) > margin ? (todays.diff > 0 ? "late" : "early") : "done";
    } else if (dev.late) {
      status = "missed";
    } else if (circularDiff(now.minute, usual) > 0 && now.minute >= usual) {
      // Only when today's data could have shown it: episodes (Galatea's timeline) or HA
      // history for the routine's entities; otherwise it is simply unknown. Past its usual
      // spread it was not seen today; within it, it is due now.
      const known = EPISODE_EDGE[r.kind]
        || (r.entities || []).some((e) => (this._data.history[e] || []).length);
      if (!known) status = "unknown";
      else status = now.minute - usual > margin ? "not_seen" : "not_yet";
    }
    return { routine: r, usual, today: todays || null, status, dev, margin };
  }

  _rows() {
    // [{id, name, routines: [view...]}] one per person (+ household), sorted by name; main
    // routines only (wake up, leave, get home, go to bed): habits are listed by device.
    const now = zoneParts(Date.now(), this._timeZone);
    const deviations = this._deviations();
    const groups = new Map();
    for (const r of this._visibleRoutines()) {
      if (r.kind === "habit" || !KINDS.includes(r.kind)) continue;
      const id = r.person || "";
      if (!groups.has(id)) groups.set(id, []);
      groups.get(id).push(this._view(r, now, deviations));
    }
    const rows = [...groups.entries()].map(([id, views]) => ({
      id,
      name: id ? this._personName(id) : translate(this._hass, "household"),
      routines: views.sort((a, b) => a.usual - b.usual),
    }));
    rows.sort((a, b) => (a.id === "") - (b.id === "") || a.name.localeCompare(b.name));
    return rows;
  }

  _habitGroups() {
    // [{id, name, views}] habits grouped by the device they are about, in time order.
    const now = zoneParts(Date.now(), this._timeZone);
    const deviations = this._deviations();
    const groups = new Map();
    for (const r of this._visibleRoutines()) {
      if (!(r.kind === "habit" || !KINDS.includes(r.kind))) continue;
      const id = (r.entities && r.entities[0]) || this._label(r);
      if (!groups.has(id)) groups.set(id, { id, name: this._deviceName(r), views: [] });
      groups.get(id).views.push(this._view(r, now, deviations));
    }
    const out = [...groups.values()];
    for (const g of out) g.views.sort((a, b) => a.usual - b.usual);
    out.sort((a, b) => a.views[0].usual - b.views[0].usual || a.name.localeCompare(b.name));
    return out;
  }

  _deviceName(r) {
    const entityId = r.entities && r.entities[0];
    const st = entityId && this._hass && this._hass.states[entityId];
    if (st && st.attributes && st.attributes.friendly_name) return st.attributes.friendly_name;
    const label = this._label(r);
    const words = label.split(" ");
    const at = words.findIndex((w) => HABIT_VERBS.includes(w.toLowerCase()));
    return at > 0 ? words.slice(0, at).join(" ") : label;
  }

  _habitAction(r) {
    // "Kitchen light turned on" -> "turned on"; Ben's habits say whose they are.
    const label = this._label(r);
    const words = label.split(" ");
    const at = words.findIndex((w) => HABIT_VERBS.includes(w.toLowerCase()));
    const action = at > 0 ? words.slice(at).join(" ") : label;
    return r.person ? `${this._personName(r.person)}: ${action}` : action;
  }

  _personName(entityId) {
    const st = this._hass && this._hass.states[entityId];
    if (st && st.attributes && st.attributes.friendly_name) return st.attributes.friendly_name;
    const raw = entityId.split(".").pop().replace(/_/g, " ");
    return raw.charAt(0).toUpperCase() + raw.slice(1);
  }

  _entityName(entityId) {
    // Never an entity id: the entity's name, else its object id in words.
    const st = this._hass && this._hass.states[entityId];
    if (st && st.attributes && st.attributes.friendly_name) return st.attributes.friendly_name;
    if (entityId.startsWith("person.")) return this._personName(entityId);
    const raw = entityId.split(".").pop().replace(/_/g, " ");
    return raw.charAt(0).toUpperCase() + raw.slice(1);
  }

  _label(r) {
    if (KINDS.includes(r.kind) && r.kind !== "habit") return translate(this._hass, `kind_${r.kind}`);
    let label = r.label || r.kind;
    // "Anna: Kitchen light turns on" -> "Kitchen light turns on" inside Anna's row
    const colon = label.indexOf(": ");
    if (r.person && colon > 0) label = label.slice(colon + 2);
    return label.charAt(0).toUpperCase() + label.slice(1);
  }

  /* -- actions --------------------------------------------------------------------------- */

  async _select(key) {
    this._selected = this._selected === key ? null : key;
    this._evidence = null;
    this._message = null;
    this._render();
    if (!this._selected) return;
    const routine = this._data.routines.find((r) => r.key === key);
    if (!routine) return;
    try {
      const end = Date.now();
      const start = this._midnight(end) - 7 * DAY * 60000;
      const filter = routine.person ? { person: routine.person } : {};
      const [timeline, history] = await Promise.all([
        EPISODE_EDGE[routine.kind]
          ? this._service("timeline", {
            start: new Date(start).toISOString(), end: new Date(end).toISOString(),
            limit: 500, ...filter,
          }).catch(() => ({}))
          : Promise.resolve({}),
        this._history([routine], start, end),
      ]);
      const days = closestPerDay(
        routine, routineEvents(routine, timeline.items || [], history), this._timeZone,
      );
      if (this._selected === key) {
        this._evidence = Object.entries(days).sort((a, b) => (a[0] < b[0] ? 1 : -1)).slice(0, 7);
        this._render();
      }
    } catch (_err) {
      this._evidence = [];
      this._render();
    }
  }

  async _setStatus(key, action) {
    if (this._busy) return;
    this._busy = true;
    this._render();
    try {
      await this._hass.callService(DOMAIN, action === "confirm" ? "confirm_routine" : "reject_routine", { key });
      this._message = translate(this._hass, action === "confirm" ? "confirm_done" : "reject_done");
      if (action === "reject") this._selected = null;
      await this._fetch();
    } catch (err) {
      this._message = (err && err.message) || String(err);
    } finally {
      this._busy = false;
      this._render();
    }
  }

  _onClick(ev) {
    const target = ev.composedPath().find(
      (el) => el instanceof HTMLElement && el.dataset && (el.dataset.key || el.dataset.action),
    );
    if (!target) return;
    const { key, action } = target.dataset;
    if (action === "more") {
      this._expanded.add(target.dataset.row);
      this._render();
      return;
    }
    if (action === "habits") {
      this._habitsOpen = !this._habitsShown();
      this._render();
      return;
    }
    if (action === "confirm" || action === "reject") this._setStatus(key, action);
    else if (action === "close") this._select(this._selected);
    else if (key) this._select(key);
  }

  /* -- rendering ------------------------------------------------------------------------- */

  _render() {
    if (!this._config || !this.shadowRoot) return;
    const hass = this._hass;
    const title = this._config.title !== undefined
      ? this._config.title
      : this._config.person && hass ? this._personName(this._config.person) : translate(hass, "title");
    let body;
    if (!hass) body = `<div class="empty">${escapeHtml(translate(hass, "loading"))}</div>`;
    else if (!this._loaded) body = this._renderNotLoaded();
    else if (this._error && !this._data) body = `<div class="empty error">${escapeHtml(translate(hass, "error", { error: this._error }))}</div>`;
    else if (!this._data) body = `<div class="empty">${escapeHtml(translate(hass, "loading"))}</div>`;
    else if (!this._data.routines.length) body = this._renderLearning();
    else body = this._renderRoutines();
    const narrow = this._width && this._width < 480 ? " narrow" : "";
    const tiny = this._width && this._width < 220 ? " tiny" : "";
    const compact = (this._config.compact ? " compact" : "") + narrow + tiny;
    const header = title ? `<div class="header"><span class="title">${escapeHtml(title)}</span><span class="clock">${escapeHtml(hass ? formatMinute(hass, zoneParts(Date.now(), this._timeZone).minute) : "")}</span></div>` : "";
    const card = customElements.get("ha-card") ? "ha-card" : "div";
    this.shadowRoot.innerHTML = `<style>${STYLE}</style><${card} class="card${compact}">${header}<div class="content">${body}</div></${card}>`;
    this.shadowRoot.querySelector(".content").addEventListener("click", (ev) => this._onClick(ev));
  }

  _renderNotLoaded() {
    const hass = this._hass;
    return `<div class="empty state-not-loaded"><ha-icon icon="mdi:power-plug-off-outline"></ha-icon>
      <div><b>${escapeHtml(translate(hass, "not_loaded"))}</b><br>${escapeHtml(translate(hass, "not_loaded_hint"))}</div></div>`;
  }

  _renderLearning() {
    const hass = this._hass;
    const diag = this._diagnostics();
    const lines = [];
    if (diag.backfill && diag.backfill.state !== "unavailable" && diag.backfill.state !== "unknown") {
      const pct = Math.max(0, Math.min(100, Number(diag.backfill.state) || 0));
      const status = (diag.backfill.attributes && diag.backfill.attributes.status) || "";
      lines.push(`<div class="progress-line"><span>${escapeHtml(translate(hass, "backfill"))} ${escapeHtml(status)}</span><span>${Math.round(pct)}%</span></div>
        <div class="bar"><div class="fill" style="width:${pct}%"></div></div>`);
    }
    if (diag.activity && !Number.isNaN(Number(diag.activity.state))) {
      lines.push(`<div class="progress-line"><span>${escapeHtml(translate(hass, "activity_today"))}</span><span>${escapeHtml(diag.activity.state)}</span></div>`);
    }
    return `<div class="empty state-learning"><ha-icon icon="mdi:school-outline"></ha-icon>
      <div><b>${escapeHtml(translate(hass, "no_routines"))}</b><br>${escapeHtml(translate(hass, "no_routines_hint"))}</div></div>
      ${lines.length ? `<div class="learning">${lines.join("")}</div>` : ""}`;
  }

  _renderRoutines() {
    const hass = this._hass;
    const rows = this._rows();
    const habits = this._habitGroups();
    const compact = this._config.compact;
    if (!rows.length && !habits.length) return `<div class="empty state-nothing">${escapeHtml(translate(hass, "nothing_today"))}</div>`;
    if (!rows.length) return `${this._renderDetails()}${this._renderHabits(habits)}`;
    const nowMin = zoneParts(Date.now(), this._timeZone).minute;
    const single = rows.length === 1 && Boolean(this._config.person);
    const width = this._width || this.clientWidth || 400;
    const labelWidth = compact || single || (this._width && this._width < 480) ? 0 : 96;
    const trackPx = Math.max(width - labelWidth - 60, 60);
    // As many hour labels as fit without touching: every 3, 6 or 12 hours.
    const labelPx = uses12h(hass) ? 34 : 26;
    const step = [3, 6, 12].find((h) => (trackPx + 32) / (24 / h) >= labelPx) || 12;
    const ticks = [];
    for (let h = 0; h <= 24; h += step) ticks.push(h);
    const axis = ticks.map((h) => `<span class="tick" style="left:${(h / 24) * 100}%">${escapeHtml(formatHour(hass, h))}</span>`).join("");
    const grid = ticks.map((h) => `<span class="grid" style="left:${(h / 24) * 100}%"></span>`).join("");
    const tiny = Boolean(this._width && this._width < 220);
    const laneH = compact ? 26 : tiny ? 24 : 32;
    const maxLanes = compact ? 3 : 5;
    const timelines = rows.map((row) => {
      const lanes = [];
      const placed = row.routines.map((view) => {
        const size = view.routine.kind === "habit" ? laneH / 2 : laneH - 4;
        const gapMin = ((size + 3) / trackPx) * DAY;
        let lane = lanes.findIndex((last) => view.usual - last.at >= (last.gap + gapMin) / 2);
        if (lane < 0 && lanes.length < maxLanes) {
          lane = lanes.length;
          lanes.push({ at: view.usual, gap: gapMin });
        } else if (lane < 0) {
          // crowded: reuse the lane whose last marker is furthest away (markers may overlap)
          lane = lanes.reduce((best, l, i) => (l.at < lanes[best].at ? i : best), 0);
        }
        lanes[lane] = { at: view.usual, gap: gapMin };
        return { view, lane };
      });
      const height = Math.max(lanes.length, 1) * laneH + 10;
      const items = placed.map(({ view, lane }) => this._renderMarker(view, lane, laneH)).join("");
      return `<div class="row" data-row="${escapeHtml(row.id || "household")}">
        ${single ? "" : `<div class="row-name">${escapeHtml(row.name)}</div>`}
        <div class="track" style="height:${height}px"><div class="area">${grid}${items}
          <span class="now" style="left:${(nowMin / DAY) * 100}%" title="${escapeHtml(translate(hass, "now"))}"></span>
        </div></div></div>`;
    }).join("");
    const list = compact ? "" : `${this._renderList(rows)}${this._renderHabits(habits)}`;
    const selected = this._renderDetails();
    const legend = compact ? "" : `<div class="legend">
      <span><i class="lg-marker"></i>${escapeHtml(translate(hass, "legend_usual"))}</span>
      <span><i class="lg-band"></i>${escapeHtml(translate(hass, "legend_spread"))}</span>
      <span><i class="lg-actual"></i>${escapeHtml(translate(hass, "legend_today"))}</span>
      <span><i class="lg-late"></i>${escapeHtml(translate(hass, "legend_deviation"))}</span></div>`;
    return `<div class="timeline"><div class="row axis-row">${single ? "" : '<div class="row-name"></div>'}<div class="axis"><div class="area">${axis}</div></div></div>${timelines}</div>
      ${legend}${selected}${list}`;
  }

  _renderMarker(view, lane, laneH) {
    const r = view.routine;
    const spread = Math.max(r.spread_min || 0, 0);
    const top = 4 + lane * laneH;
    const bands = [];
    const start = view.usual - spread;
    const end = view.usual + spread;
    const segments = [[start, end]];
    if (start < 0) segments.splice(0, 1, [0, end], [DAY + start, DAY]);
    if (end > DAY) segments.splice(0, 1, [start, DAY], [0, end - DAY]);
    for (const [a, b] of segments) {
      bands.push(`<span class="band" style="left:${(a / DAY) * 100}%;width:${((b - a) / DAY) * 100}%;top:${top + (laneH - 4) / 2 - 5}px"></span>`);
    }
    const statusClass = `status-${view.status}`;
    const selected = this._selected === r.key ? " selected" : "";
    const confirmed = r.status === "confirmed" ? " confirmed" : "";
    const habit = r.kind === "habit";
    const size = habit ? Math.round(laneH / 2) : laneH - 4;
    const markerTop = top + (laneH - 4 - size) / 2;
    const edge = top + laneH - 5; // the occurrence sits on the lane's lower edge
    let actual = "";
    if (view.today) {
      const a = view.today.minute;
      const lo = Math.min(a, view.usual);
      const hi = Math.max(a, view.usual);
      const wraps = hi - lo > DAY / 2;
      if (!wraps && hi - lo > 0) {
        actual += `<span class="link ${statusClass}" style="left:${(lo / DAY) * 100}%;width:${((hi - lo) / DAY) * 100}%;top:${edge + 3}px"></span>`;
      }
      actual += `<span class="actual ${statusClass}" data-key="${escapeHtml(r.key)}" style="left:${(a / DAY) * 100}%;top:${edge}px" title="${escapeHtml(formatMinute(this._hass, a))}"></span>`;
    }
    const icon = KIND_ICONS[r.kind] || KIND_ICONS.habit;
    const tip = `${this._label(r)} · ${formatMinute(this._hass, view.usual)}`;
    return `${bands.join("")}${actual}<button class="marker ${statusClass}${selected}${confirmed}${habit ? " dot" : ""}" data-key="${escapeHtml(r.key)}" data-kind="${escapeHtml(r.kind)}" data-time="${escapeHtml(r.time)}"
      style="left:${(view.usual / DAY) * 100}%;top:${markerTop}px;height:${size}px;width:${size}px" title="${escapeHtml(tip)}" aria-label="${escapeHtml(tip)}">
      ${habit ? "" : `<ha-icon icon="${icon}"></ha-icon>`}</button>`;
  }

  _statusText(view) {
    const hass = this._hass;
    const t = (key, vars) => translate(hass, key, vars);
    if (view.today) {
      const time = formatMinute(hass, view.today.minute);
      const min = Math.abs(Math.round(view.today.diff));
      if (view.status === "late") return t("done_late", { time, min });
      if (view.status === "early") return t("done_early", { time, min });
      return t("done", { time });
    }
    if (view.status === "missed") return t("late", { min: view.dev.minutes || "?" });
    if (view.status === "not_yet") return t("not_yet");
    if (view.status === "not_seen") return t("not_seen");
    if (view.status === "unknown") return "";
    return t("expected", { time: formatMinute(hass, view.usual) });
  }

  _renderList(rows) {
    const hass = this._hass;
    const single = rows.length === 1;
    return `<div class="list">${rows.map((row) => {
      const open = this._expanded.has(row.id);
      const shown = open ? row.routines : row.routines.slice(0, LIST_LIMIT);
      const more = row.routines.length - shown.length;
      return `
      ${single ? "" : `<div class="list-person">${escapeHtml(row.name)}</div>`}
      ${shown.map((view) => {
        const r = view.routine;
        const badge = r.status === "confirmed"
          ? `<span class="badge confirmed">${escapeHtml(translate(hass, "confirmed"))}</span>` : "";
        return `<button class="item status-${view.status}${this._selected === r.key ? " selected" : ""}" data-key="${escapeHtml(r.key)}">
          <ha-icon icon="${KIND_ICONS[r.kind] || KIND_ICONS.habit}"></ha-icon>
          <span class="item-main"><span class="item-label">${escapeHtml(this._label(r))}</span>
            <span class="item-sub">${escapeHtml(translate(hass, "usual", { time: formatMinute(hass, view.usual) }))} ${escapeHtml(translate(hass, "spread", { min: Math.round(r.spread_min || 0) }))} · ${escapeHtml(daysText(hass, r.days))}</span></span>
          <span class="item-status">${escapeHtml(this._statusText(view))}</span>${badge}
        </button>`;
      }).join("")}
      ${more > 0 ? `<button class="more" data-action="more" data-row="${escapeHtml(row.id)}">${escapeHtml(translate(hass, "more", { n: more }))}</button>` : ""}`;
    }).join("")}</div>`;
  }

  _habitsShown() {
    if (this._habitsOpen !== null) return this._habitsOpen;
    const kinds = this._config.kinds || [];
    return kinds.length > 0 && kinds.every((k) => k === "habit");
  }

  _renderHabits(groups) {
    // Habits by device, collapsed by default: dozens of "light turned on" routines would
    // bury the people's routines.
    if (!groups.length) return "";
    const hass = this._hass;
    const n = groups.reduce((sum, g) => sum + g.views.length, 0);
    const open = this._habitsShown();
    const toggle = `<button class="habits-toggle" data-action="habits" aria-expanded="${open}">
      <ha-icon icon="${KIND_ICONS.habit}"></ha-icon><span>${escapeHtml(translate(hass, "habits"))}</span>
      <span class="habits-count">${escapeHtml(open ? translate(hass, "habits_hide") : translate(hass, "habits_show", { n }))}</span></button>`;
    if (!open) return `<div class="habits">${toggle}</div>`;
    const body = groups.map((g) => `<div class="habit-group">
      <div class="habit-name">${escapeHtml(g.name)}</div>
      <div class="habit-items">${g.views.map((view) => {
        const r = view.routine;
        const days = r.days && r.days !== "daily" ? ` · ${daysText(hass, r.days)}` : "";
        const selected = this._selected === r.key ? " selected" : "";
        return `<button class="habit status-${view.status}${selected}" data-key="${escapeHtml(r.key)}" title="${escapeHtml(this._statusText(view))}">${escapeHtml(this._habitAction(r))} ${escapeHtml(formatMinute(hass, view.usual))}${escapeHtml(days)}</button>`;
      }).join("")}</div></div>`).join("");
    return `<div class="habits">${toggle}<div class="habit-groups">${body}</div></div>`;
  }

  _renderDetails() {
    if (!this._selected || !this._data) return "";
    const hass = this._hass;
    const r = this._data.routines.find((x) => x.key === this._selected);
    if (!r) return "";
    const t = (key, vars) => translate(hass, key, vars);
    const entities = (r.entities || []).map((e) => escapeHtml(this._entityName(e))).join(", ");
    let evidence = "";
    if (this._evidence === null) evidence = `<div class="muted">${escapeHtml(t("loading"))}</div>`;
    else if (!this._evidence.length) evidence = `<div class="muted">${escapeHtml(t("no_recent"))}</div>`;
    else {
      const names = t("weekday_names").split(",");
      evidence = `<div class="chips">${this._evidence.map(([date, occ]) => {
        const weekday = (new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7;
        const diff = Math.round(occ.diff);
        const cls = Math.abs(diff) > Math.max(2 * (r.spread_min || 0), 15) ? " off" : "";
        return `<span class="chip${cls}" title="${escapeHtml(date)}">${escapeHtml(names[weekday])} ${escapeHtml(formatMinute(hass, occ.minute))}</span>`;
      }).join("")}</div>`;
    }
    const status = r.status === "confirmed" ? t("confirmed") : r.status === "rejected" ? t("rejected") : t("learned");
    const busy = this._busy ? " disabled" : "";
    return `<div class="details" data-details="${escapeHtml(r.key)}">
      <div class="details-head"><ha-icon icon="${KIND_ICONS[r.kind] || KIND_ICONS.habit}"></ha-icon>
        <span class="details-title">${escapeHtml(r.label || this._label(r))}</span>
        <span class="badge ${escapeHtml(r.status)}" data-status="${escapeHtml(r.status)}">${escapeHtml(status)}</span></div>
      <div class="details-text">${escapeHtml(r.text || "")}</div>
      <div class="facts">
        <span>${escapeHtml(t("usual", { time: formatMinute(hass, parseHHMM(r.time)) }))} ${escapeHtml(t("spread", { min: Math.round(r.spread_min || 0) }))}</span>
        <span>${escapeHtml(daysText(hass, r.days))}</span>
        <span>${escapeHtml(t("seen_on", { days: r.support_days }))}</span>
        <span>${escapeHtml(t("confidence", { pct: Math.round((r.confidence || 0) * 100) }))}</span>
      </div>
      ${entities ? `<div class="muted">${escapeHtml(t("entities"))}: ${entities}</div>` : ""}
      <div class="muted">${escapeHtml(t("recent"))}</div>${evidence}
      ${this._message ? `<div class="message">${escapeHtml(this._message)}</div>` : ""}
      <div class="actions">
        <button class="action secondary" data-action="close" data-key="${escapeHtml(r.key)}">${escapeHtml(t("close"))}</button>
        <button class="action secondary" data-action="reject" data-key="${escapeHtml(r.key)}"${busy}>${escapeHtml(t("reject"))}</button>
        <button class="action primary" data-action="confirm" data-key="${escapeHtml(r.key)}"${busy}${r.status === "confirmed" ? " disabled" : ""}>${escapeHtml(t("confirm"))}</button>
      </div></div>`;
  }
}

const STYLE = `
  :host { display: block; }
  .card { display: block; padding: 12px 16px 16px; color: var(--primary-text-color);
    background: var(--ha-card-background, var(--card-background-color, #fff));
    border-radius: var(--ha-card-border-radius, 12px); box-sizing: border-box; }
  div.card { border: 1px solid var(--divider-color, #e0e0e0); }
  .header { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between;
    gap: 0 12px; margin-bottom: 8px; }
  .title { font-size: var(--ha-card-header-font-size, 20px); font-weight: 500; min-width: 0;
    overflow-wrap: anywhere; }
  .clock { color: var(--secondary-text-color); font-variant-numeric: tabular-nums; white-space: nowrap; }
  .narrow .title { font-size: 18px; }
  .tiny .title { font-size: 16px; }
  .tiny .card, .tiny.card { padding: 10px; }
  .compact .title { font-size: 16px; }
  .empty { display: flex; gap: 12px; align-items: center; color: var(--secondary-text-color); padding: 8px 0; }
  .empty.error { color: var(--error-color, #db4437); }
  .learning { margin-top: 8px; }
  .progress-line { display: flex; justify-content: space-between; font-size: 14px; margin-top: 6px; }
  .bar { height: 6px; border-radius: 3px; background: var(--divider-color, #e0e0e0); overflow: hidden; }
  .fill { height: 100%; background: var(--primary-color, #03a9f4); }
  .timeline { position: relative; }
  .row { display: flex; align-items: stretch; }
  .row-name { width: 88px; flex: none; padding-right: 8px; font-size: 13px; line-height: 18px;
    color: var(--secondary-text-color); align-self: center; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .compact .row, .narrow .row { flex-direction: column; }
  .compact .row-name, .narrow .row-name { width: auto; align-self: flex-start; }
  .compact .axis-row .row-name, .narrow .axis-row .row-name { display: none; }
  .compact .track, .narrow .track, .compact .axis, .narrow .axis { flex: none; width: 100%; }
  .axis { position: relative; flex: 1; height: 16px; font-size: 11px; color: var(--secondary-text-color); }
  .tick { position: absolute; transform: translateX(-50%); }
  .tick:first-child { transform: none; }
  .tick:last-child { transform: translateX(-100%); }
  .track { position: relative; flex: 1; margin: 2px 0; border-radius: 8px;
    background: var(--secondary-background-color, rgba(127,127,127,0.08)); }
  .area { position: absolute; top: 0; bottom: 0; left: 16px; right: 16px; }
  .compact .area, .tiny .area { left: 12px; right: 12px; }
  .tiny .marker { --mdc-icon-size: 12px; }
  .axis .area { left: 16px; right: 16px; }
  .compact .axis .area, .tiny .axis .area { left: 12px; right: 12px; }
  .grid { position: absolute; top: 0; bottom: 0; width: 1px; background: var(--divider-color, rgba(127,127,127,0.2)); }
  .now { position: absolute; top: -2px; bottom: -2px; width: 2px; margin-left: -1px;
    background: var(--primary-text-color, #212121); opacity: 0.45; border-radius: 1px; }
  .band { position: absolute; height: 10px; border-radius: 5px; opacity: 0.28;
    background: var(--primary-color, #03a9f4); pointer-events: none; }
  .marker { position: absolute; transform: translateX(-50%); display: flex; align-items: center; justify-content: center;
    padding: 0; border-radius: 50%; cursor: pointer; border: 2px solid var(--primary-color, #03a9f4);
    background: var(--ha-card-background, var(--card-background-color, #fff)); color: var(--primary-color, #03a9f4);
    --mdc-icon-size: 16px; box-sizing: border-box; z-index: 2; }
  .compact .marker { --mdc-icon-size: 13px; }
  .marker.dot { border-width: 3px; }
  .marker.status-done { border-color: var(--success-color, #43a047); }
  .marker.dot.status-done { background: var(--success-color, #43a047); }
  .marker.confirmed { background: var(--primary-color, #03a9f4); color: var(--text-primary-color, #fff); }
  .marker.selected { box-shadow: 0 0 0 3px rgba(127,127,127,0.35); }
  .marker.status-missed { border-color: var(--error-color, #db4437); color: var(--error-color, #db4437); }
  .marker.status-late, .marker.status-early { border-color: var(--warning-color, #ffa600); }
  .marker.confirmed.status-missed { background: var(--error-color, #db4437); color: #fff; }
  .actual { position: absolute; width: 8px; height: 8px; margin-left: -4px; transform: rotate(45deg);
    background: var(--success-color, #43a047); z-index: 3; cursor: pointer; border-radius: 2px; }
  .actual.status-late, .actual.status-early { background: var(--warning-color, #ffa600); }
  .link { position: absolute; height: 2px; background: var(--success-color, #43a047); opacity: 0.7; }
  .link.status-late, .link.status-early { background: var(--warning-color, #ffa600); }
  .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 8px 0 0; font-size: 12px;
    color: var(--secondary-text-color); }
  .legend span { display: inline-flex; align-items: center; gap: 6px; }
  .legend i { display: inline-block; }
  .lg-marker { width: 10px; height: 10px; border-radius: 50%; border: 2px solid var(--primary-color, #03a9f4); }
  .lg-band { width: 18px; height: 8px; border-radius: 4px; background: var(--primary-color, #03a9f4); opacity: 0.3; }
  .lg-actual { width: 8px; height: 8px; transform: rotate(45deg); background: var(--success-color, #43a047); border-radius: 1px; }
  .lg-late { width: 8px; height: 8px; transform: rotate(45deg); background: var(--warning-color, #ffa600); border-radius: 1px; }
  .more { font: inherit; font-size: 13px; border: none; background: none; cursor: pointer;
    color: var(--primary-color, #03a9f4); padding: 4px 8px; text-align: left; }
  .list { margin-top: 12px; display: flex; flex-direction: column; gap: 2px; }
  .list-person { font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em;
    color: var(--secondary-text-color); margin: 8px 0 2px; }
  .item { display: flex; align-items: center; gap: 10px; width: 100%; padding: 6px 8px; border: none;
    border-radius: 8px; background: none; color: inherit; font: inherit; text-align: left; cursor: pointer; }
  .item:hover, .item.selected { background: var(--secondary-background-color, rgba(127,127,127,0.1)); }
  .item ha-icon { color: var(--primary-color, #03a9f4); flex: none; }
  .item-main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
  .item-label { font-size: 14px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .item-sub { font-size: 12px; color: var(--secondary-text-color); }
  .item-status { font-size: 12px; color: var(--secondary-text-color); text-align: right; flex: none; }
  .narrow .item { flex-wrap: wrap; gap: 2px 10px; }
  .narrow .item-main { flex-basis: calc(100% - 40px); }
  .narrow .item-status { flex-basis: 100%; box-sizing: border-box; text-align: left; padding-left: 34px; }
  .tiny .item ha-icon { display: none; }
  .tiny .item-main { flex-basis: 100%; }
  .tiny .item-status { padding-left: 0; }
  .tiny .item-label { white-space: normal; }
  .habits { margin-top: 10px; }
  .habits-toggle { display: flex; align-items: center; gap: 10px; width: 100%; padding: 6px 8px; border: none;
    border-radius: 8px; background: none; color: inherit; font: inherit; font-size: 14px; text-align: left; cursor: pointer; }
  .habits-toggle:hover { background: var(--secondary-background-color, rgba(127,127,127,0.1)); }
  .habits-toggle ha-icon { color: var(--primary-color, #03a9f4); flex: none; }
  .habits-count { margin-left: auto; font-size: 12px; color: var(--primary-color, #03a9f4); text-align: right; }
  .tiny .habits-toggle { flex-wrap: wrap; gap: 2px 8px; }
  .tiny .habits-count { margin-left: 0; text-align: left; }
  .habit-groups { display: flex; flex-direction: column; gap: 6px; padding: 4px 8px; }
  .habit-name { font-size: 13px; color: var(--secondary-text-color); margin-bottom: 2px; }
  .habit-items { display: flex; flex-wrap: wrap; gap: 4px; }
  .habit { font: inherit; font-size: 12px; padding: 2px 10px; border-radius: 12px; cursor: pointer;
    border: 1px solid var(--divider-color, rgba(127,127,127,0.3)); background: none; color: inherit;
    font-variant-numeric: tabular-nums; max-width: 100%; overflow-wrap: anywhere; text-align: left; }
  .habit.selected { background: var(--secondary-background-color, rgba(127,127,127,0.12)); }
  .habit.status-done { border-color: var(--success-color, #43a047); }
  .habit.status-late, .habit.status-early { border-color: var(--warning-color, #ffa600); }
  .habit.status-missed, .habit.status-not_seen { border-style: dashed; }
  .item.status-done .item-status { color: var(--success-color, #43a047); }
  .item.status-late .item-status, .item.status-early .item-status { color: var(--warning-color, #ffa600); }
  .item.status-missed .item-status { color: var(--error-color, #db4437); font-weight: 500; }
  .item.status-not_seen .item-status { color: var(--error-color, #db4437); }
  .item.status-missed ha-icon { color: var(--error-color, #db4437); }
  .badge { font-size: 11px; padding: 1px 8px; border-radius: 10px; flex: none;
    background: var(--secondary-background-color, rgba(127,127,127,0.15)); color: var(--secondary-text-color); }
  .badge.confirmed { background: var(--primary-color, #03a9f4); color: var(--text-primary-color, #fff); }
  .badge.rejected { background: var(--error-color, #db4437); color: #fff; }
  .details { margin-top: 12px; padding: 12px; border-radius: 10px;
    border: 1px solid var(--divider-color, rgba(127,127,127,0.3)); }
  .details-head { display: flex; align-items: center; gap: 8px; }
  .details-head ha-icon { color: var(--primary-color, #03a9f4); }
  .details-title { flex: 1; font-weight: 500; }
  .details-text { margin: 6px 0; font-size: 14px; }
  .facts { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 13px; color: var(--secondary-text-color); margin-bottom: 6px; }
  .muted { font-size: 12px; color: var(--secondary-text-color); margin-top: 6px; }
  .chips { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 4px; }
  .chip { font-size: 12px; padding: 2px 8px; border-radius: 10px; font-variant-numeric: tabular-nums;
    background: var(--secondary-background-color, rgba(127,127,127,0.12)); }
  .chip.off { background: var(--warning-color, #ffa600); color: #000; }
  .message { margin-top: 8px; font-size: 13px; color: var(--primary-color, #03a9f4); }
  .actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 10px; flex-wrap: wrap; }
  .action { font: inherit; font-size: 14px; padding: 6px 14px; border-radius: 18px; cursor: pointer;
    border: 1px solid var(--primary-color, #03a9f4); background: none; color: var(--primary-color, #03a9f4); }
  .action.primary { background: var(--primary-color, #03a9f4); color: var(--text-primary-color, #fff); }
  .action[disabled] { opacity: 0.5; cursor: default; }
`;

/* ---- the visual editor ------------------------------------------------------------------- */

class GalateaRoutinesCardEditor extends HTMLElement {
  constructor() {
    super();
    this._config = {};
    this._hass = null;
  }

  setConfig(config) {
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    if (this._form) this._form.hass = hass;
    else this._render();
  }

  connectedCallback() {
    // ha-form is loaded lazily by HA; make sure it exists before rendering the editor.
    if (!customElements.get("ha-form") && window.loadCardHelpers) {
      window.loadCardHelpers()
        .then((helpers) => helpers.createCardElement({ type: "entities", entities: [] }))
        .then((card) => card && card.constructor.getConfigElement && card.constructor.getConfigElement())
        .then(() => customElements.whenDefined("ha-form"))
        .then(() => this._render())
        .catch(() => this._render());
    }
    this._render();
  }

  _schema() {
    const t = (key) => translate(this._hass, key);
    return [
      { name: "title", selector: { text: {} } },
      { name: "person", selector: { entity: { domain: "person" } } },
      {
        name: "days",
        selector: {
          select: {
            mode: "dropdown",
            options: [
              { value: "today", label: t("editor_days_today") },
              { value: "all", label: t("editor_days_all") },
            ],
          },
        },
      },
      {
        name: "kinds",
        selector: {
          select: { multiple: true, options: KINDS.map((k) => ({ value: k, label: t(`kind_${k}`) })) },
        },
      },
      { name: "compact", selector: { boolean: {} } },
    ];
  }

  _render() {
    if (!customElements.get("ha-form")) {
      this._renderPlain();
      return;
    }
    if (!this._form) {
      this.innerHTML = "";
      this._form = document.createElement("ha-form");
      this._form.computeLabel = (schema) => translate(this._hass, `editor_${schema.name}`);
      this._form.addEventListener("value-changed", (ev) => {
        const config = { ...ev.detail.value };
        for (const key of Object.keys(config)) {
          if (config[key] === "" || config[key] === undefined || (Array.isArray(config[key]) && !config[key].length)) delete config[key];
        }
        this._changed(config);
      });
      this.appendChild(this._form);
    }
    this._form.hass = this._hass;
    this._form.schema = this._schema();
    this._form.data = { days: "today", compact: false, ...this._config };
  }

  _renderPlain() {
    // Fallback when HA's form elements are not loaded: native inputs.
    const c = this._config;
    const t = (key) => escapeHtml(translate(this._hass, key));
    this.innerHTML = `<div style="display:flex;flex-direction:column;gap:8px">
      <label>${t("editor_title")} <input name="title" value="${escapeHtml(c.title || "")}"></label>
      <label>${t("editor_person")} <input name="person" value="${escapeHtml(c.person || "")}" placeholder="person.anna"></label>
      <label>${t("editor_days")} <select name="days"><option value="today">${t("editor_days_today")}</option><option value="all"${c.days === "all" ? " selected" : ""}>${t("editor_days_all")}</option></select></label>
      <label><input type="checkbox" name="compact"${c.compact ? " checked" : ""}> ${t("editor_compact")}</label></div>`;
    this.querySelectorAll("input,select").forEach((el) => el.addEventListener("change", () => {
      const config = { ...this._config };
      const value = el.type === "checkbox" ? el.checked : el.value;
      if (value === "" ) delete config[el.name];
      else config[el.name] = value;
      this._changed(config);
    }));
  }

  _changed(config) {
    this._config = { ...config, type: this._config.type || `custom:${CARD_TAG}` };
    this.dispatchEvent(new CustomEvent("config-changed", { detail: { config: this._config }, bubbles: true, composed: true }));
  }
}

function defineElements() {
  if (!window.customElements.get(CARD_TAG)) window.customElements.define(CARD_TAG, GalateaRoutinesCard);
  if (!window.customElements.get(EDITOR_TAG)) {
    window.customElements.define(EDITOR_TAG, GalateaRoutinesCardEditor);
  }
}

// HA's app installs a scoped custom element registry (a polyfill that replaces
// window.customElements) when it starts. A module that runs earlier (e.g. loaded from the
// browser cache) would define its elements in a registry HA no longer looks at, and the
// dashboard would say "Custom element doesn't exist". Define once HA's app is up.
(function defineWhenHomeAssistantIsUp(started) {
  const ready = ["home-assistant", "hc-main", "ha-panel-lovelace"]
    .some((tag) => window.customElements.get(tag));
  if (ready || Date.now() - started > 15000) defineElements();
  else setTimeout(() => defineWhenHomeAssistantIsUp(started), 50);
})(Date.now());

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD_TAG)) {
  window.customCards.push({
    type: CARD_TAG,
    name: translate(null, "card_name"),
    description: translate(null, "card_description"),
    preview: true,
    documentationURL: "https://github.com/galatea-home/galatea#dashboard-card",
  });
}

console.info(`%c GALATEA-ROUTINES-CARD %c ${CARD_VERSION} `, "color:#fff;background:#6d4c9f;font-weight:600", "color:#6d4c9f");

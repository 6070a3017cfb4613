// spotlake dashboard: one page, hash routes, every view reads /api/.
// No framework and no innerHTML with data: elements are built with h().
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const COLORS = ["#3b6ea8", "#e07b39", "#4a9d5b", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd"];

// ---- DOM helpers -------------------------------------------------------

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, kids);
  return el;
}

function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVGNS, tag);
  setAttrs(el, attrs);
  append(el, kids);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

function append(el, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

const $ = (sel, root) => (root || document).querySelector(sel);

function fmtNum(n) {
  if (n === null || n === undefined) return "";
  return Number(n).toLocaleString("en-US");
}

function fmtTime(t) {
  if (!t) return "";
  return String(t).replace("T", " ").replace(/\.000Z$|Z$/, "Z");
}

function fmtDuration(sec) {
  if (sec === null || sec === undefined) return "–";
  sec = Math.round(sec);
  if (sec < 60) return sec + "s";
  if (sec < 3600) return Math.floor(sec / 60) + "m " + (sec % 60) + "s";
  return Math.floor(sec / 3600) + "h " + Math.floor((sec % 3600) / 60) + "m";
}

function fmtAge(sec) {
  if (sec === null || sec === undefined) return "never";
  return fmtDuration(sec) + " ago";
}

function fmtScore(x) {
  if (x === null || x === undefined) return "";
  const n = Number(x);
  return Math.abs(n) < 0.001 && n !== 0 ? n.toExponential(2) : n.toFixed(4);
}

// entity links every IP and user to Investigate.
function entity(kind, value) {
  if (value === null || value === undefined || value === "") return "";
  return h("a", { class: "entity", href: "#/investigate?" + new URLSearchParams({ [kind]: value }), "data-entity": kind, "data-value": value }, value);
}

function badge(text, cls) {
  if (!text) return "";
  return h("span", { class: "badge " + (cls || String(text).toLowerCase()) }, text);
}

function labelBadge(label, eventID) {
  return h("span", { class: "label" + (label ? " " + label : ""), "data-label-for": eventID, "data-label-value": label || "" }, label || "unlabelled");
}

// ---- API ---------------------------------------------------------------

class APIError extends Error {}

async function api(path, params) {
  const qs = params ? new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== undefined && v !== null)).toString() : "";
  const res = await fetch("/api/" + path + (qs ? "?" + qs : ""), { credentials: "same-origin", headers: { Accept: "application/json" } });
  let body = null;
  try { body = await res.json(); } catch (e) { /* not JSON */ }
  if (!res.ok) throw new APIError((body && body.error) || res.status + " " + res.statusText);
  return body;
}

async function sendLabel(eventID, label, note) {
  const res = await fetch("/api/feedback", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ event_id: eventID, label: label, note: note || "" }),
  });
  let body = null;
  try { body = await res.json(); } catch (e) { /* not JSON */ }
  if (!res.ok) throw new APIError((body && body.error) || res.status + " " + res.statusText);
  return body;
}

function showError(msg) {
  const el = $("#error");
  el.textContent = msg || "";
  el.hidden = !msg;
}

// ---- routing -----------------------------------------------------------

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, qs] = raw.split("?", 2);
  const parts = path.split("/").map(decodeURIComponent);
  return { name: parts[0] || "overview", arg: parts[1] || "", params: Object.fromEntries(new URLSearchParams(qs || "")) };
}

function go(name, params, arg) {
  const qs = new URLSearchParams(Object.entries(params || {}).filter(([, v]) => v !== "" && v !== undefined && v !== null)).toString();
  location.hash = "#/" + name + (arg ? "/" + encodeURIComponent(arg) : "") + (qs ? "?" + qs : "");
}

const routes = { overview: viewOverview, suspicious: viewSuspicious, event: viewEvent, events: viewEvents, investigate: viewInvestigate, alerts: viewAlerts };
let renderSeq = 0;

async function render() {
  const r = parseHash();
  const fn = routes[r.name] || viewOverview;
  const seq = ++renderSeq;
  for (const a of document.querySelectorAll("nav a")) {
    const active = a.dataset.route === r.name || (r.name === "event" && a.dataset.route === "suspicious");
    a.classList.toggle("active", active);
  }
  showError("");
  const view = $("#view");
  view.setAttribute("data-loading", "true");
  try {
    const el = await fn(r.params, r.arg);
    if (seq !== renderSeq) return; // a newer route won
    view.replaceChildren(el);
    view.setAttribute("data-view", r.name);
  } catch (e) {
    if (seq !== renderSeq) return;
    showError(e.message);
    view.replaceChildren(h("p", { class: "muted" }, "Could not load this view."));
    view.setAttribute("data-view", r.name);
  } finally {
    if (seq === renderSeq) view.removeAttribute("data-loading");
  }
}

window.addEventListener("hashchange", render);
window.addEventListener("DOMContentLoaded", () => { render(); refreshStatus(); setInterval(refreshStatus, 60000); });

async function refreshStatus() {
  try {
    const res = await fetch("/healthz", { headers: { Accept: "application/json" } });
    const hz = await res.json();
    const el = $("#cache-status");
    el.replaceChildren(badge(hz.status, "status-" + hz.status), " ",
      hz.newest_day ? "newest day " + hz.newest_day + ", built " + fmtAge(hz.age_seconds) : "cache not loaded");
  } catch (e) { /* ignore */ }
}

// ---- forms -------------------------------------------------------------

// filterForm builds a form of text inputs; on submit it routes to name with
// the non-empty values.
function filterForm(id, name, fields, params, extra) {
  const inputs = fields.map(([key, label, placeholder]) =>
    h("label", {}, label, h("input", { id: id + "-" + key, name: key, value: params[key] || "", placeholder: placeholder || "", autocomplete: "off" })));
  const form = h("form", { id: id, class: "filters" }, inputs, h("button", { type: "submit", id: id + "-submit" }, "Apply"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = Object.assign({}, extra || {});
    for (const [key] of fields) p[key] = form.elements[key].value.trim();
    go(name, p);
  });
  return form;
}

function table(id, headers, rows) {
  return h("div", { class: "table-wrap" },
    h("table", { id: id }, h("thead", {}, h("tr", {}, headers)), h("tbody", {}, rows.length ? rows : h("tr", { class: "empty" }, h("td", { colspan: headers.length || 1 }, "Nothing in this range.")))));
}

function th(text, attrs) { return h("th", attrs || {}, text); }

function pager(params, name, total, count) {
  const limit = Number(params.limit || 100);
  const offset = Number(params.offset || 0);
  const prev = h("button", { type: "button", id: "page-prev", disabled: offset <= 0, onclick: () => go(name, Object.assign({}, params, { offset: Math.max(0, offset - limit) || "" })) }, "← Previous");
  const more = total !== undefined ? offset + count < total : count === limit;
  const next = h("button", { type: "button", id: "page-next", disabled: !more, onclick: () => go(name, Object.assign({}, params, { offset: offset + limit })) }, "Next →");
  const info = total !== undefined ? (count ? (offset + 1) + "–" + (offset + count) + " of " + fmtNum(total) : "0 of " + fmtNum(total)) : count + " rows";
  return h("div", { class: "pager" }, prev, h("span", { class: "muted", id: "page-info" }, info), next);
}

// ---- charts ------------------------------------------------------------

// niceMax is a round axis maximum >= v whose quarters are round too.
function niceMax(v) {
  if (v <= 4) return 4;
  if (v <= 8) return 8;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 4, 5, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// barChart draws bars (stacked when series has several entries) as SVG.
// cats: x categories; series: [{name, values: [..per cat]}].
// axisNum keeps axis labels short enough for the chart's margin: 1.5M, 250k.
function axisNum(n) {
  const short = (v, unit) => (Math.round(v * 10) / 10).toLocaleString("en-US") + unit;
  if (Math.abs(n) >= 1e9) return short(n / 1e9, "G");
  if (Math.abs(n) >= 1e6) return short(n / 1e6, "M");
  if (Math.abs(n) >= 1e4) return short(n / 1e3, "k");
  return fmtNum(n);
}

function barChart(id, cats, series, opts) {
  opts = opts || {};
  const main = document.querySelector("main");
  const W = Math.max(420, Math.min(1400, (main ? main.clientWidth : 800) - 60)), H = opts.height || 240, L = 56, R = 10, T = 10, B = opts.bottom || 46;
  const totals = cats.map((_, i) => series.reduce((a, se) => a + (se.values[i] || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const pw = W - L - R, ph = H - T - B;
  const bw = pw / Math.max(cats.length, 1);
  const svg = s("svg", { id: id, class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": opts.label || "chart", "data-max": max });
  for (let k = 0; k <= 4; k++) {
    const y = T + ph - (ph * k) / 4;
    svg.append(s("line", { x1: L, x2: W - R, y1: y, y2: y, class: "grid" }));
    svg.append(s("text", { x: L - 6, y: y + 4, class: "axis", "text-anchor": "end" }, axisNum(Math.round((max * k) / 4))));
  }
  const every = Math.max(1, Math.ceil(cats.length / (opts.maxLabels || 14)));
  cats.forEach((c, i) => {
    let y = T + ph;
    const x = L + i * bw + bw * 0.12;
    series.forEach((se, j) => {
      const v = se.values[i] || 0;
      if (!v) return;
      const bh = (v / max) * ph;
      y -= bh;
      svg.append(s("rect", { x: x, y: y, width: Math.max(1, bw * 0.76), height: bh, fill: se.color || COLORS[j % COLORS.length], class: "bar", "data-cat": c, "data-series": se.name, "data-value": v },
        s("title", {}, (opts.catLabel ? opts.catLabel(c) : c) + (series.length > 1 ? " · " + se.name : "") + ": " + fmtNum(v))));
    });
    if (i % every === 0) {
      svg.append(s("text", { x: L + i * bw + bw / 2, y: T + ph + 16, class: "axis", "text-anchor": "middle" }, opts.catLabel ? opts.catLabel(c) : c));
    }
  });
  const wrap = h("figure", { class: "chart-wrap" }, svg);
  if (series.length > 1 || opts.legend) {
    wrap.append(h("figcaption", { class: "legend" }, series.map((se, j) =>
      h("span", { class: "legend-item", "data-series": se.name }, h("i", { class: "swatch c" + (j % COLORS.length) }), se.name))));
  }
  return wrap;
}

// ---- Overview ----------------------------------------------------------

async function viewOverview(params) {
  const d = await api("overview", { from: params.from, to: params.to });
  const days = d.days, sources = d.sources;
  const byKey = {};
  for (const r of d.events_daily) byKey[r.day + "|" + r.source] = r.events;
  const series = sources.map((src, j) => ({ name: src, values: days.map((day) => byKey[day + "|" + src] || 0) }));

  const stat = (id, label, v, cls) => h("div", { class: "stat " + (cls || ""), id: id, "data-value": v }, h("div", { class: "stat-v" }, fmtNum(v)), h("div", { class: "stat-l" }, label));
  const t = d.totals;

  const rejDays = [...new Set(d.rejects_daily.map((r) => r.day))];
  const rejSources = [...new Set(d.rejects_daily.map((r) => r.source))].sort();
  const rej = {};
  for (const r of d.rejects_daily) rej[r.day + "|" + r.source] = r.rejects;
  const rejTable = table("rejects-table", [th("day"), rejSources.map((x) => th(x))],
    rejDays.map((day) => h("tr", { "data-day": day }, h("td", {}, day), rejSources.map((x) => h("td", { class: "num" }, fmtNum(rej[day + "|" + x] || 0))))));

  const run = d.last_run;
  const runBox = h("section", { id: "last-run", class: "card", "data-status": run ? run.status : "none" }, h("h2", {}, "Last run"),
    run ? [
      h("p", {}, badge(run.status, "status-" + run.status), " ", h("span", { id: "last-run-duration", "data-seconds": run.duration_seconds }, fmtDuration(run.duration_seconds)),
        " · day ", run.input_day || "–", " · finished ", fmtTime(run.finished_at) || "–", run.cost_usd ? " · $" + run.cost_usd.toFixed(2) : ""),
      table("run-stages", [th("stage"), th("status"), th("seconds"), th("rows"), th("rejects"), th("message")],
        run.stages.map((st) => h("tr", { "data-stage": st.stage }, h("td", {}, st.stage), h("td", {}, badge(st.status, "status-" + st.status)),
          h("td", { class: "num" }, st.seconds !== null ? Number(st.seconds).toFixed(1) : ""), h("td", { class: "num" }, fmtNum(st.rows)),
          h("td", { class: "num" }, fmtNum(st.rejects)), h("td", { class: "msg" }, st.message || "")))),
    ] : h("p", { class: "muted" }, "No run recorded yet."));

  const c = d.cache;
  const cacheBox = h("section", { id: "cache-box", class: "card" }, h("h2", {}, "Cache"),
    h("p", {}, "Generation ", c.generation, " · built ", fmtTime(c.built_at) || "never", " (", fmtAge(c.age_seconds), ")"),
    h("p", { class: "muted" }, c.days.length ? c.days.length + " days held: " + c.days[0] + " – " + c.days[c.days.length - 1] : "no days held"));

  return h("div", { class: "overview" },
    h("div", { class: "head" }, h("h1", {}, "Overview"), h("span", { class: "muted" }, d.range.first_day + " – " + d.range.last_day),
      filterForm("overview-filter", "overview", [["from", "From", "YYYY-MM-DD"], ["to", "To", "YYYY-MM-DD"]], params)),
    h("div", { class: "stats" }, stat("total-events", "events", t.events), stat("total-rejects", "rejects", t.rejects, t.rejects ? "warn" : ""),
      stat("total-suspicious", "suspicious", t.suspicious), stat("total-alerts", "alerts", t.alerts)),
    h("section", { class: "card" }, h("h2", {}, "Events per source per day"),
      days.length && t.events ? barChart("chart-events", days, series, { label: "events per source per day", legend: true, catLabel: (x) => x.slice(5) }) : h("p", { class: "muted" }, "No events in this range.")),
    h("div", { class: "grid2" }, runBox, cacheBox),
    h("section", { class: "card" }, h("h2", {}, "Rejected lines per source per day"), rejTable));
}

// ---- Suspicious --------------------------------------------------------

const SUSP_COLS = [["rank", "rank"], ["score", "score"], ["severity", "severity"], ["event_time", "time"], ["source", "source"], ["kind", "kind"]];

function labelButtons(eventID, onDone) {
  const mk = (label) => h("button", {
    type: "button", class: "lbl " + label, "data-label": label, "data-event-id": eventID,
    onclick: async (ev) => {
      ev.stopPropagation();
      const b = ev.currentTarget;
      b.disabled = true;
      try {
        const note = onDone && onDone.note ? onDone.note() : "";
        const res = await sendLabel(eventID, label, note);
        for (const el of document.querySelectorAll('[data-label-for="' + CSS.escape(eventID) + '"]')) {
          el.textContent = res.label;
          el.className = "label " + res.label;
          el.setAttribute("data-label-value", res.label);
        }
        showError("");
      } catch (e) {
        showError("Feedback: " + e.message);
      } finally {
        b.disabled = false;
      }
    },
  }, label);
  return h("span", { class: "lbl-buttons" }, mk("benign"), mk("malicious"));
}

function suspiciousRows(rows) {
  return rows.map((r) => h("tr", {
    "data-event-id": r.event_id, "data-day": r.input_day, class: "clickable",
    onclick: (ev) => { if (ev.target.closest("a,button")) return; go("event", { day: r.input_day }, r.event_id); },
  },
  h("td", { class: "num" }, r.rank), h("td", { class: "num nowrap" }, fmtScore(r.score)), h("td", {}, badge(r.severity, "sev-" + r.severity)),
  h("td", { class: "nowrap" }, fmtTime(r.event_time)), h("td", {}, r.source), h("td", {}, r.kind),
  h("td", {}, entity("ip", r.src_ip)), h("td", {}, entity("ip", r.dst_ip)), h("td", { class: "num" }, r.dst_port ?? ""),
  h("td", {}, entity("user", r.user_name)), h("td", { class: "reason" }, r.reason || ""),
  h("td", { class: "label-cell" }, labelBadge(r.label, r.event_id), " ", labelButtons(r.event_id))));
}

async function viewSuspicious(params) {
  const d = await api("suspicious", params);
  const headers = [
    ...SUSP_COLS.map(([key, label]) => {
      const active = d.sort === key;
      return th(label + (active ? (d.order === "asc" ? " ▲" : " ▼") : ""), {
        "data-sort": key, class: "sortable" + (active ? " sorted" : ""), "aria-sort": active ? (d.order === "asc" ? "ascending" : "descending") : null,
        onclick: () => go("suspicious", Object.assign({}, params, { sort: key, order: active ? (d.order === "asc" ? "desc" : "asc") : "", offset: "" })),
      });
    }),
    th("src ip"), th("dst ip"), th("port"), th("user"), th("reason"), th("label"),
  ];
  const keep = { sort: params.sort, order: params.order };
  return h("div", {},
    h("div", { class: "head" }, h("h1", {}, "Suspicious"), h("span", { class: "muted", id: "susp-total", "data-total": d.total }, fmtNum(d.total) + " rows, " + d.range.first_day + " – " + d.range.last_day)),
    filterForm("susp-filter", "suspicious", [["day", "Day", "YYYY-MM-DD"], ["from", "From", "YYYY-MM-DD"], ["to", "To", "YYYY-MM-DD"], ["source", "Source", ""], ["kind", "Kind", ""], ["severity", "Severity", "low|medium|high"], ["ip", "IP", ""], ["user", "User", ""]], params, keep),
    table("suspicious-table", headers, suspiciousRows(d.rows)),
    pager(params, "suspicious", d.total, d.rows.length));
}

// ---- Event detail ------------------------------------------------------

const EVENT_KEYS = ["event_id", "event_time", "source", "format", "input_day", "event_type", "action", "severity", "app", "proto",
  "src_ip", "src_port", "src_host", "dst_ip", "dst_port", "dst_host", "user_name", "flow_bytes", "flow_packets", "flow_duration_ms",
  "http_method", "http_host", "http_url", "http_status", "http_user_agent", "dns_query", "dns_qtype", "dns_rcode", "dns_answers",
  "file_path", "file_dst", "message", "object", "line_offset"];

async function viewEvent(params, id) {
  const d = await api("events/" + encodeURIComponent(id), { day: params.day });
  const ev = d.event;
  const cell = (k, v) => (k.endsWith("_ip") ? entity("ip", v) : k === "user_name" ? entity("user", v) : k.endsWith("_time") ? fmtTime(v) : v);
  const fields = EVENT_KEYS.filter((k) => ev[k] !== null && ev[k] !== undefined && ev[k] !== "")
    .map((k) => h("tr", { "data-field": k }, h("th", {}, k), h("td", {}, cell(k, ev[k]))));
  const attrs = Object.entries(ev.attrs || {}).sort().map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v)));
  const noteInput = h("input", { id: "event-note", placeholder: "note (optional)", maxlength: 2000 });
  return h("div", { id: "event-detail", "data-event-id": ev.event_id },
    h("div", { class: "head" }, h("h1", {}, "Event"), h("code", {}, ev.event_id)),
    h("section", { class: "card feedback" }, h("h2", {}, "Analyst feedback"),
      h("p", {}, "Current label: ", h("span", { id: "event-label" }, labelBadge(d.label, ev.event_id))),
      h("div", { class: "row" }, noteInput, labelButtons(ev.event_id, { note: () => noteInput.value.trim() }))),
    d.suspicious.length ? h("section", { class: "card" }, h("h2", {}, "Why it is suspicious"),
      h("ul", { id: "event-reasons" }, d.suspicious.map((r) => h("li", {}, badge(r.severity, "sev-" + r.severity), " ", r.kind, " (rank ", r.rank, ", score ", fmtScore(r.score), "): ", r.reason)))) : "",
    h("section", { class: "card" }, h("h2", {}, "Raw line"), h("pre", { id: "event-raw", class: "raw" }, ev.raw || "")),
    h("div", { class: "grid2" },
      h("section", { class: "card" }, h("h2", {}, "Fields"), h("table", { id: "event-fields", class: "kv" }, h("tbody", {}, fields))),
      h("section", { class: "card" }, h("h2", {}, "Attributes"), attrs.length ? h("table", { id: "event-attrs", class: "kv" }, h("tbody", {}, attrs)) : h("p", { class: "muted" }, "none"))),
    d.scores.length ? h("section", { class: "card" }, h("h2", {}, "Model scores"),
      table("event-scores", [th("document"), th("word"), th("score"), th("rank"), th("model")],
        d.scores.map((r) => h("tr", {}, h("td", {}, r.document), h("td", { class: "mono" }, r.word), h("td", { class: "num" }, fmtScore(r.score)), h("td", { class: "num" }, r.rank), h("td", {}, r.model_version))))) : "");
}

// ---- Events search -----------------------------------------------------

async function viewEvents(params) {
  const d = await api("events", params);
  const rows = d.rows.map((r) => h("tr", { "data-event-id": r.event_id, class: "clickable", onclick: (ev) => { if (ev.target.closest("a,button")) return; go("event", { day: r.input_day }, r.event_id); } },
    h("td", { class: "nowrap" }, fmtTime(r.event_time)), h("td", {}, r.source), h("td", {}, r.event_type || ""), h("td", {}, r.action || ""),
    h("td", {}, entity("ip", r.src_ip)), h("td", {}, entity("ip", r.dst_ip)), h("td", { class: "num" }, r.dst_port ?? ""), h("td", {}, entity("user", r.user_name)),
    h("td", { class: "raw" }, h("code", {}, r.raw || ""))));
  return h("div", {},
    h("div", { class: "head" }, h("h1", {}, "Events"), h("span", { class: "muted", id: "events-range" }, fmtTime(d.range.from) + " – " + fmtTime(d.range.to))),
    filterForm("events-filter", "events", [["from", "From", "YYYY-MM-DD or RFC3339"], ["to", "To", "YYYY-MM-DD or RFC3339"], ["source", "Source", ""], ["ip", "IP (either side)", ""],
      ["src_ip", "Src IP", ""], ["dst_ip", "Dst IP", ""], ["user", "User", ""], ["port", "Port", ""], ["event_type", "Event type", ""], ["action", "Action", ""], ["q", "Raw contains", "a capital letter: exact case"]], params),
    table("events-table", [th("time"), th("source"), th("type"), th("action"), th("src ip"), th("dst ip"), th("port"), th("user"), th("raw")], rows),
    pager(params, "events", undefined, d.rows.length));
}

// ---- Investigate -------------------------------------------------------

function peersTable(id, rows, dir) {
  return table(id, [th(dir), th("events"), th("bytes"), th("ports"), th("last seen")],
    rows.map((r) => h("tr", { "data-peer": r.peer }, h("td", {}, entity("ip", r.peer)), h("td", { class: "num" }, fmtNum(r.events)),
      h("td", { class: "num" }, fmtNum(r.bytes)), h("td", { class: "num" }, r.ports), h("td", { class: "nowrap" }, fmtTime(r.last_seen)))));
}

async function viewInvestigate(params) {
  const kind = params.user ? "user" : "ip";
  const value = params[kind] || "";
  const form = h("form", { id: "inv-form", class: "filters" },
    h("label", {}, "Kind", h("select", { id: "inv-kind", name: "kind" }, h("option", { value: "ip", selected: kind === "ip" }, "IP"), h("option", { value: "user", selected: kind === "user" }, "user"))),
    h("label", {}, "Value", h("input", { id: "inv-value", name: "value", value: value, placeholder: "10.0.0.1 or alice", autocomplete: "off" })),
    h("label", {}, "From", h("input", { id: "inv-from", name: "from", value: params.from || "" })),
    h("label", {}, "To", h("input", { id: "inv-to", name: "to", value: params.to || "" })),
    h("button", { type: "submit", id: "inv-submit" }, "Investigate"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    go("investigate", { [form.elements.kind.value]: form.elements.value.value.trim(), from: form.elements.from.value.trim(), to: form.elements.to.value.trim() });
  });
  const head = h("div", { class: "head" }, h("h1", {}, "Investigate"), form);
  if (!value) return h("div", {}, head, h("p", { class: "muted" }, "Enter an IP address or a user name, or click one anywhere in the dashboard."));
  const d = await api("entity", params);
  const hourly = d.bucket === "hour";
  const tl = barChart("chart-timeline", d.timeline.map((x) => x.t), [{ name: "events", values: d.timeline.map((x) => x.events) }],
    { label: "events over time", height: 200, catLabel: (t) => (hourly ? t.slice(5, 13).replace("T", " ") + "h" : t.slice(5, 10)), maxLabels: 10 });
  const ports = d.ports.length ? barChart("chart-ports", d.ports.map((p) => String(p.port)), [{ name: "events", values: d.ports.map((p) => p.events), color: COLORS[1] }],
    { label: "top destination ports", height: 200, maxLabels: 20 }) : h("p", { class: "muted" }, "no ports");
  return h("div", { id: "investigate", "data-kind": d.kind, "data-value": d.value },
    head,
    h("p", {}, h("strong", {}, d.kind + " " + d.value), " · ", h("span", { id: "inv-events", "data-value": d.events }, fmtNum(d.events)), " events, ",
      d.range.first_day + " – " + d.range.last_day, " · ", h("a", { href: "#/events?" + new URLSearchParams({ [d.kind === "ip" ? "ip" : "user"]: d.value }) }, "search its events")),
    h("section", { class: "card" }, h("h2", {}, "Timeline (events per " + d.bucket + ")"), tl),
    h("div", { class: "grid2" },
      h("section", { class: "card" }, h("h2", {}, d.kind === "ip" ? "Peers out (as source)" : "Destinations"), peersTable("peers-out", d.peers_out, "destination")),
      h("section", { class: "card" }, h("h2", {}, d.kind === "ip" ? "Peers in (as destination)" : "Source hosts"), peersTable("peers-in", d.peers_in, "source"))),
    h("section", { class: "card" }, h("h2", {}, "Top destination ports"), ports),
    h("section", { class: "card" }, h("h2", {}, "Suspicious"),
      table("inv-suspicious", [th("rank"), th("score"), th("severity"), th("time"), th("source"), th("kind"), th("src ip"), th("dst ip"), th("port"), th("user"), th("reason"), th("label")], suspiciousRows(d.suspicious))),
    h("section", { class: "card" }, h("h2", {}, "Alerts"), alertsTable("inv-alerts", d.alerts)));
}

// ---- Alerts ------------------------------------------------------------

function groupValues(gv) {
  return Object.entries(gv || {}).sort().map(([k, v]) => h("span", { class: "gv" }, k + "=",
    /ip$|_ip|^ip/.test(k) ? entity("ip", v) : /user/.test(k) ? entity("user", v) : v));
}

function alertsTable(id, rows) {
  return table(id, [th("window"), th("rule"), th("severity"), th("group"), th("aggregates"), th("reason"), th("notified")],
    rows.map((r) => h("tr", { "data-alert-id": r.alert_id },
      h("td", { class: "nowrap" }, fmtTime(r.window_start), h("br"), fmtTime(r.window_end)), h("td", {}, r.rule), h("td", {}, badge(r.severity, "sev-" + r.severity)),
      h("td", {}, groupValues(r.group_values)), h("td", { class: "mono" }, r.aggregates ? JSON.stringify(r.aggregates) : ""),
      h("td", { class: "reason" }, r.reason || ""), h("td", {}, r.notified ? "yes" : "no"))));
}

async function viewAlerts(params) {
  const d = await api("alerts", params);
  return h("div", {},
    h("div", { class: "head" }, h("h1", {}, "Alerts"), h("span", { class: "muted", id: "alerts-total", "data-total": d.total }, fmtNum(d.total) + " alerts, " + d.range.first_day + " – " + d.range.last_day)),
    filterForm("alerts-filter", "alerts", [["from", "From", "YYYY-MM-DD"], ["to", "To", "YYYY-MM-DD"], ["rule", "Rule", ""], ["severity", "Severity", ""]], params),
    alertsTable("alerts-table", d.rows),
    pager(params, "alerts", d.total, d.rows.length));
}

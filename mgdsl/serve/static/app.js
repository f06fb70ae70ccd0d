// The mgdsl serve page: edit a .mg file, see its problems marked, its diagram and stats.
// All text from the server is inserted with textContent (never as HTML), and the diagram
// is shown as an <img> of an SVG blob, in which no script can run.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { path: null, network: null, seq: 0, shown: 0, saved: null, timer: null,
                figureUrl: null, checks: 0 };

async function api(method, url, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const data = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = kind || "";
}

function dirty() { return $("text").value !== state.saved; }

function showDirty() {
  if (dirty()) setStatus("unsaved changes", "dirty");
  else setStatus("saved", "");
}

// ------------------------------------------------------------------ marks in the text

function offsetOf(text, line, col) {
  let offset = 0;
  for (let i = 1; i < line; i++) {
    const next = text.indexOf("\n", offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return Math.min(offset + col - 1, text.length);
}

function drawMarks(diagnostics) {
  const text = $("text").value;
  const ranges = [];
  for (const d of diagnostics) {
    if (!d.here || !d.span) continue;
    const start = offsetOf(text, d.span.line, d.span.col);
    let end = offsetOf(text, d.span.end_line, d.span.end_col);
    if (end <= start) end = Math.min(start + 1, text.length);
    ranges.push({ start, end, severity: d.severity, title: `${d.code}: ${d.message}` });
  }
  ranges.sort((a, b) => a.start - b.start);
  const marks = $("marks");
  marks.replaceChildren();
  let at = 0;
  for (const r of ranges) {
    if (r.start < at) continue;  // overlapping marks: keep the first
    marks.append(document.createTextNode(text.slice(at, r.start)));
    const mark = document.createElement("mark");
    mark.className = r.severity;
    mark.title = r.title;
    // an error at the very end of the text (a missing `}`) still gets a visible mark
    mark.textContent = r.end > r.start ? text.slice(r.start, r.end) : " ";
    marks.append(mark);
    at = r.end;
  }
  marks.append(document.createTextNode(text.slice(at) + "\n"));
  syncScroll();
}

function syncScroll() {
  const backdrop = $("backdrop");
  backdrop.scrollTop = $("text").scrollTop;
  backdrop.scrollLeft = $("text").scrollLeft;
}

// ------------------------------------------------------------------ results

function showDiagnostics(diagnostics) {
  const list = $("diagnostics");
  list.replaceChildren();
  if (!diagnostics.length) {
    const li = document.createElement("li");
    li.className = "ok";
    li.textContent = "no problems";
    list.append(li);
    return;
  }
  for (const d of diagnostics) {
    const li = document.createElement("li");
    li.className = d.severity;
    const where = d.span ? `${d.here ? "" : d.span.file + ":"}${d.span.line}:${d.span.col} ` : "";
    const code = document.createElement("code");
    code.textContent = d.code;
    li.append(document.createTextNode(where), code,
              document.createTextNode(` ${d.message}${d.hint ? "\nhint: " + d.hint : ""}`));
    if (d.here && d.span) {
      li.addEventListener("click", () => {
        const textarea = $("text");
        const start = offsetOf(textarea.value, d.span.line, d.span.col);
        textarea.focus();
        textarea.setSelectionRange(start, start);
      });
    }
    list.append(li);
  }
}

function hash(text) {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(16);
}

function showDiagram(svg) {
  const figure = $("figure");
  const box = $("diagram");
  if (!svg) {  // keep the last good diagram, dimmed, while the text has errors
    box.classList.toggle("stale", !figure.hidden);
    return;
  }
  box.classList.remove("stale");
  if (state.figureUrl) URL.revokeObjectURL(state.figureUrl);
  state.figureUrl = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  figure.src = state.figureUrl;
  figure.dataset.hash = hash(svg);
  figure.hidden = false;
}

function row(table, label, value) {
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  const td = document.createElement("td");
  th.textContent = label;
  td.textContent = value;
  tr.append(th, td);
  table.append(tr);
}

const shape = (s) => s.join(" × ");

function showStats(stats) {
  const table = $("stats");
  if (!stats) return;
  table.replaceChildren();
  row(table, "network", stats.network);
  row(table, "parameters", stats.total_params.toLocaleString("en-US"));
  row(table, "MACs", stats.total_macs.toLocaleString("en-US"));
  for (const [name, s] of Object.entries(stats.inputs)) row(table, `input ${name}`, shape(s));
  for (const o of stats.outputs) row(table, `output ${o.name}`, shape(o.shape));
  for (const g of stats.grids) {
    const where = g.section === "-" ? "outside sections" : `after ${g.section}`;
    row(table, `grids ${where}`, Object.values(g.levels).join(", "));
  }
}

function showNetworks(names, chosen) {
  const select = $("network");
  select.hidden = names.length < 2;
  const current = [...select.options].map((o) => o.value).join("\n");
  if (current !== names.join("\n")) {
    select.replaceChildren(...names.map((n) => new Option(n, n)));
  }
  if (chosen) select.value = chosen;
}

// ------------------------------------------------------------------ actions

async function check() {
  const seq = ++state.seq;
  const text = $("text").value;
  try {
    const result = await api("POST", "/api/check",
                             { path: state.path, text, network: state.network });
    if (seq < state.shown) return;  // an older answer arriving late
    state.shown = seq;
    drawMarks(result.diagnostics);
    showDiagnostics(result.diagnostics);
    showNetworks(result.networks, result.network);
    showDiagram(result.svg);
    showStats(result.stats);
    state.checks += 1;
    document.body.dataset.checks = String(state.checks);
    document.body.dataset.errors = String(
      result.diagnostics.filter((d) => d.severity === "error").length);
  } catch (err) {
    setStatus(`check failed: ${err.message}`, "error");
  }
}

function scheduleCheck() {
  clearTimeout(state.timer);
  state.timer = setTimeout(check, 250);
}

async function save() {
  const text = $("text").value;
  try {
    await api("POST", "/api/save", { path: state.path, text });
    state.saved = text;
    showDirty();
    document.body.dataset.saves = String(Number(document.body.dataset.saves || 0) + 1);
  } catch (err) {
    setStatus(`save failed: ${err.message}`, "error");
  }
}

async function open(path) {
  if (state.saved !== null && dirty() && !confirm("Discard unsaved changes?")) {
    $("file").value = state.path;
    return;
  }
  const data = await api("GET", `/api/file?path=${encodeURIComponent(path)}`);
  state.path = path;
  state.network = null;
  state.saved = data.text;
  $("text").value = data.text;
  showDirty();
  await check();
}

async function start() {
  try {
    const listing = await api("GET", "/api/files");
    const select = $("file");
    select.replaceChildren(...listing.files.map((f) => new Option(f, f)));
    if (!listing.first) {
      setStatus(`no .mg files in ${listing.root}`, "error");
      return;
    }
    select.value = listing.first;
    await open(listing.first);
  } catch (err) {
    setStatus(`cannot load: ${err.message}`, "error");
  }
}

$("text").addEventListener("input", () => { showDirty(); drawMarks([]); scheduleCheck(); });
$("text").addEventListener("scroll", syncScroll);
$("file").addEventListener("change", (e) => open(e.target.value));
$("network").addEventListener("change", (e) => { state.network = e.target.value; check(); });
$("save").addEventListener("click", save);
document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); }
});
window.addEventListener("beforeunload", (e) => { if (dirty()) e.preventDefault(); });
start();

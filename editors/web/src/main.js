// The mgdsl serve page: a CodeMirror 6 editor (highlighting from the server's token
// table, squiggles, hover, completion) beside the live diagram, stats and problems.
// Text from the server is inserted with textContent, never as HTML.
import { EditorState, EditorSelection } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection, hoverTooltip,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { syntaxHighlighting, HighlightStyle, bracketMatching, indentUnit } from "@codemirror/language";
import { setDiagnostics, lintGutter, lintKeymap } from "@codemirror/lint";
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { tags as t } from "@lezer/highlight";
import { mgParser, tokenize } from "./grammar.js";
import { StreamLanguage } from "@codemirror/language";
import { DiagramView } from "./diagram.js";

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 10;  // coalesces a burst of keys; older checks are dropped by the server
const state = { path: null, network: null, seq: 0, shown: 0, saved: null, timer: null,
                checks: 0, saves: 0, errors: 0, editAt: null, latencies: [], view: null,
                diagram: null, lastLine: null };
window.mgLatencies = state.latencies;
state.timings = [];
window.mgTimings = state.timings;  // where each new diagram's time went (ms)

async function api(method, url, body) {
  const options = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const data = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) {
    const error = new Error(data.error || response.statusText);
    error.status = response.status;
    error.data = data;
    throw error;
  }
  return data;
}

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = kind || "";
}

const text = () => state.view.state.doc.toString();
const dirty = () => text() !== state.saved;

function showDirty() {
  if (dirty()) setStatus("unsaved changes", "dirty");
  else if (state.savedErrors) setStatus(`saved with ${plural(state.savedErrors, "error")}`, "dirty");
  else setStatus("saved", "");
}

function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }

// ------------------------------------------------------------------ hover markdown

function inline(parent, line) {
  // `code` spans and **bold**; everything else is plain text
  const parts = line.split(/(`[^`]*`|\*\*[^*]+\*\*)/);
  for (const part of parts) {
    if (!part) continue;
    if (part.startsWith("`") && part.endsWith("`") && part.length > 1) {
      const code = document.createElement("code");
      code.textContent = part.slice(1, -1);
      parent.append(code);
    } else if (part.startsWith("**") && part.endsWith("**")) {
      const b = document.createElement("strong");
      b.textContent = part.slice(2, -2);
      parent.append(b);
    } else parent.append(document.createTextNode(part));
  }
}

function markdown(md) {
  const root = document.createElement("div");
  root.className = "md";
  const blocks = md.split(/\n\s*\n/);
  for (const block of blocks) {
    const lines = block.split("\n");
    if (lines.every((l) => l.trim().startsWith("|"))) {
      const table = document.createElement("table");
      for (const l of lines) {
        const cells = l.trim().replace(/^\||\|$/g, "").split("|");
        if (cells.every((c) => /^\s*:?-+:?\s*$/.test(c))) continue;
        const tr = table.insertRow();
        for (const c of cells) inline(tr.insertCell(), c.trim());
      }
      root.append(table);
    } else if (block.trim() === "---") {
      root.append(document.createElement("hr"));
    } else if (block.trim().startsWith("```")) {
      const pre = document.createElement("pre");
      pre.textContent = lines.filter((l) => !l.trim().startsWith("```")).join("\n");
      root.append(pre);
    } else {
      const p = document.createElement("p");
      lines.forEach((l, i) => { if (i) p.append(document.createElement("br")); inline(p, l.trimEnd()); });
      root.append(p);
    }
  }
  return root;
}

// ------------------------------------------------------------------ editor

function position(doc, pos) {
  const line = doc.lineAt(pos);
  return { line: line.number - 1, character: pos - line.from };
}

function offset(doc, line, character) {
  const l = doc.line(Math.min(Math.max(line + 1, 1), doc.lines));
  return Math.min(l.from + character, l.to);
}

const hoverNames = hoverTooltip(async (view, pos) => {
  if (!state.path) return null;
  const doc = view.state.doc;
  const at = position(doc, pos);
  let answer;
  try {
    answer = await api("POST", "/api/hover", { path: state.path, text: doc.toString(), ...at });
  } catch { return null; }
  if (!answer.markdown || view.state.doc !== doc) return null;
  const from = answer.from ? offset(doc, answer.from[0], answer.from[1]) : pos;
  const to = answer.to ? offset(doc, answer.to[0], answer.to[1]) : pos;
  return {
    pos: Math.min(from, pos), end: Math.max(to, pos),
    create: () => {
      const dom = document.createElement("div");
      dom.className = "mg-hover";
      dom.append(markdown(answer.markdown));
      return { dom };
    },
  };
}, { hoverTime: 250 });

async function completions(context) {
  const word = context.matchBefore(/[A-Za-z_][\w]*/);
  if (!context.explicit && !word) return null;
  const doc = context.state.doc;
  const at = position(doc, context.pos);
  let answer;
  try {
    answer = await api("POST", "/api/complete", { path: state.path, text: doc.toString(), ...at });
  } catch { return null; }
  return {
    from: word ? word.from : context.pos,
    options: answer.items.map((i) => ({ label: i.label, type: i.type, detail: i.detail,
                                        apply: i.apply, boost: i.boost })),
    validFor: /^[\w]*$/,
  };
}

const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.definitionKeyword, t.moduleKeyword, t.operatorKeyword], color: "#7a3e9d", fontWeight: "600" },
  { tag: t.atom, color: "#b5530a" },
  { tag: t.function(t.variableName), color: "#1f5fa8" },
  { tag: t.className, color: "#0b7a75", fontWeight: "600" },
  { tag: t.definition(t.variableName), color: "#8a4b08" },
  { tag: t.propertyName, color: "#1f5fa8", fontStyle: "italic" },
  { tag: t.namespace, color: "#0b7a75" },
  { tag: t.number, color: "#b5530a" },
  { tag: t.string, color: "#2e7d32" },
  { tag: t.lineComment, color: "#6a737d", fontStyle: "italic" },
  { tag: t.operator, color: "#555" },
  { tag: t.invalid, color: "#b00020", textDecoration: "underline" },
]);

function makeEditor(language) {
  const listener = EditorView.updateListener.of((update) => {
    if (update.docChanged && !state.loading) {
      state.editAt = performance.now();
      showDirty();
      schedule();
    }
    if (update.selectionSet || update.docChanged) {
      const line = update.state.doc.lineAt(update.state.selection.main.head).number;
      if (line !== state.lastLine) {
        state.lastLine = line;
        document.body.dataset.cursorLine = String(line);
        document.body.dataset.litBoxes = String(state.diagram.highlightLine(line));
      }
    }
  });
  return new EditorView({
    parent: $("editor"),
    state: EditorState.create({
      doc: "",
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), drawSelection(),
        history(), bracketMatching(), closeBrackets(), highlightSelectionMatches(),
        indentUnit.of("    "), language, syntaxHighlighting(highlight), lintGutter(),
        hoverNames, autocompletion({ override: [completions], activateOnTyping: true }),
        keymap.of([{ key: "Mod-s", run: () => { save(); return true; }, preventDefault: true },
                   ...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...searchKeymap,
                   ...completionKeymap, ...lintKeymap, indentWithTab]),
        listener,
        EditorView.contentAttributes.of({ "aria-label": ".mg source", spellcheck: "false" }),
      ],
    }),
  });
}

function setText(value) {
  const view = state.view;
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value },
                  selection: EditorSelection.cursor(0) });
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
    const where = d.span ? (d.here ? `line ${d.span.line}` : `${d.span.file.split("/").pop()}:${d.span.line}`) : "";
    const head = document.createElement("span");
    head.className = "code";
    head.textContent = `${d.code}${where ? " · " + where : ""}`;
    const msg = document.createElement("span");
    msg.textContent = " " + d.message;
    li.append(head, msg);
    if (d.hint) {
      const hint = document.createElement("div");
      hint.className = "hint";
      hint.textContent = "hint: " + d.hint;
      li.append(hint);
    }
    if (d.here && d.span) {
      li.tabIndex = 0;
      li.addEventListener("click", () => goToLine(d.span.line, d.span.col));
    }
    list.append(li);
  }
}

function lintDiagnostics(diagnostics) {
  const doc = state.view.state.doc;
  const out = [];
  for (const d of diagnostics) {
    if (!d.here || !d.span) continue;
    const from = offset(doc, d.span.line - 1, d.span.col - 1);
    let to = offset(doc, d.span.end_line - 1, d.span.end_col - 1);
    if (to <= from) to = Math.min(from + 1, doc.length);
    let message = `${d.code}: ${d.message}`;
    if (d.hint) message += `\nhint: ${d.hint}`;
    out.push({ from, to: Math.max(to, from), severity: d.severity === "warning" ? "warning" : "error",
               message, source: d.code });
  }
  return out;
}

function fmt(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(2) + " G";
  if (n >= 1e6) return (n / 1e6).toFixed(2) + " M";
  if (n >= 1e3) return (n / 1e3).toFixed(1) + " k";
  return String(n);
}

function showStats(stats) {
  const table = $("stats");
  // a text with errors keeps the last statistics, marked as old, so nothing jumps
  table.classList.toggle("stale", !stats);
  if (!stats) return;
  table.replaceChildren();
  const rows = [["network", stats.network], ["parameters", fmt(stats.total_params)],
                ["MACs", fmt(stats.total_macs)], ["IR nodes", String(stats.nodes)]];
  for (const [name, shape] of Object.entries(stats.inputs)) rows.push([`input ${name}`, shape.join(" × ")]);
  for (const o of stats.outputs) rows.push([`output ${o.name}`, o.shape.join(" × ")]);
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v;
  }
}

function showNetworks(result) {
  const select = $("network");
  select.replaceChildren();
  for (const name of result.networks) select.add(new Option(name, name, false, name === result.network));
  select.hidden = result.networks.length < 2;
}

function goToLine(line, col = 1) {
  const view = state.view;
  const pos = offset(view.state.doc, line - 1, col - 1);
  view.dispatch({ selection: EditorSelection.cursor(pos), scrollIntoView: true });
  view.focus();
}

async function check() {
  const seq = ++state.seq;
  const editAt = state.editAt;
  const body = { path: state.path, text: text() };
  if (state.network) body.network = state.network;
  let result;
  const asked = performance.now();
  try {
    result = await api("POST", "/api/check", body);
  } catch (e) {
    setStatus(`check failed: ${e.message}`, "error");
    return;
  }
  if (seq < state.shown || result.stale) return;  // a newer check answered already
  state.shown = seq;
  const diagnostics = result.diagnostics;
  state.errors = diagnostics.filter((d) => d.severity === "error").length;
  state.view.dispatch(setDiagnostics(state.view.state, lintDiagnostics(diagnostics)));
  showDiagnostics(diagnostics);
  showStats(result.stats);
  showNetworks(result);
  const figure = $("figure");
  const answered = performance.now();
  if (result.svg && state.diagram.show(result.svg, result.boxes)) {
    state.timings.push({ wait: asked - (editAt ?? asked), request: answered - asked,
                         check: result.check_ms, render: result.render_ms,
                         show: performance.now() - answered });
    figure.dataset.hash = String(hash(result.svg));
    figure.classList.remove("stale");
    $("figure-note").hidden = true;
    if (editAt !== null && editAt !== undefined) {
      // keystroke -> the new diagram painted: measured after the next frame
      requestAnimationFrame(() => setTimeout(() => {
        state.latencies.push(performance.now() - editAt);
        document.body.dataset.drawn = String(state.latencies.length);
      }, 0));
    }
    document.body.dataset.litBoxes = String(state.diagram.highlightLine(state.lastLine));
  } else if (!result.svg) {
    figure.classList.add("stale");
    $("figure-note").hidden = !figure.firstChild;
  }
  state.checks += 1;
  document.body.dataset.checks = String(state.checks);
  document.body.dataset.errors = String(state.errors);
  document.body.dataset.diagram = figure.dataset.hash || "";
}

function hash(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(check, DEBOUNCE_MS);
}

// ------------------------------------------------------------------ save

function askToSave(errors) {
  const dialog = $("confirm");
  $("confirm-text").textContent =
    `The text has ${plural(errors, "error")}. Save it anyway?`;
  return new Promise((resolve) => {
    const done = (answer) => { dialog.close(); resolve(answer); };
    $("confirm-save").onclick = () => done(true);
    $("confirm-cancel").onclick = () => done(false);
    dialog.oncancel = () => resolve(false);
    dialog.showModal();
    $("confirm-cancel").focus();
  });
}

async function save(confirmed = false) {
  const value = text();
  try {
    const result = await api("POST", "/api/save", { path: state.path, text: value,
                                                    confirm_errors: confirmed });
    state.saved = value;
    state.savedErrors = result.errors;
    state.saves += 1;
    document.body.dataset.saves = String(state.saves);
    showDirty();
  } catch (e) {
    if (e.status === 409 && !confirmed) {
      if (await askToSave(e.data.errors)) return save(true);
      setStatus(`not saved: ${plural(e.data.errors, "error")}`, "dirty");
      state.view.focus();
      return;
    }
    setStatus(`save failed: ${e.message}`, "error");
  }
}

// ------------------------------------------------------------------ files

async function open(path) {
  const data = await api("GET", `/api/file?path=${encodeURIComponent(path)}`);
  state.path = path;
  state.network = null;
  state.saved = data.text;
  state.savedErrors = 0;
  state.lastLine = null;
  state.editAt = null;
  state.loading = true;
  try { setText(data.text); } finally { state.loading = false; }
  document.title = `${path} — mgdsl serve`;
  showDirty();
  await check();
}

async function start() {
  state.diagram = new DiagramView($("figure"), $("tooltip"), {
    onBoxClick: (info) => { if (info.line) goToLine(info.line, info.col || 1); },
  });
  $("zoom-in").onclick = () => state.diagram.zoom(1 / 1.25);
  $("zoom-out").onclick = () => state.diagram.zoom(1.25);
  $("zoom-fit").onclick = () => state.diagram.fit();
  let grammar;
  try {
    grammar = await api("GET", "/api/grammar");
  } catch (e) {
    setStatus(`cannot start: ${e.message}`, "error");
    return;
  }
  const parser = mgParser(grammar);
  state.view = makeEditor(StreamLanguage.define(parser));
  window.mgTokenize = (text) => tokenize(parser, text);  // for the tests
  $("save").addEventListener("click", () => save());
  $("network").addEventListener("change", (e) => { state.network = e.target.value; check(); });
  let listing;
  try {
    listing = await api("GET", "/api/files");
  } catch (e) {
    setStatus(`cannot list the files: ${e.message}`, "error");
    return;
  }
  const select = $("file");
  for (const f of listing.files) select.add(new Option(f, f));
  const openOrSay = (path) => open(path).catch((e) => setStatus(`cannot open ${path}: ${e.message}`, "error"));
  if (listing.first) {
    select.value = listing.first;
    await openOrSay(listing.first);
  } else setStatus("no .mg files in this folder", "error");
  select.addEventListener("change", async (e) => {
    if (state.path && dirty() && !window.confirm("Discard unsaved changes?")) {
      select.value = state.path;
      return;
    }
    await openOrSay(e.target.value);
  });
  window.addEventListener("beforeunload", (e) => { if (state.view && dirty()) e.preventDefault(); });
  window.mgEditor = state.view;
  window.mgDiagram = state.diagram;
}

start();

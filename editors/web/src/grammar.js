// Syntax highlighting driven by the server's token table: mgdsl.syntax.highlight.MgLexer's
// states and rules (GET /api/grammar), run as a CodeMirror stream parser. Pygments, the
// page and the TextMate grammar's tests thus share one definition of the tokens.
import { StringStream } from "@codemirror/language";
import { tags as t } from "@lezer/highlight";

// Pygments token type -> CodeMirror highlight tag (most specific prefix wins).
const TAGS = [
  ["Keyword.Declaration", t.definitionKeyword],
  ["Keyword.Namespace", t.moduleKeyword],
  ["Keyword.Constant", t.atom],
  ["Keyword", t.keyword],
  ["Name.Function", t.function(t.variableName)],
  ["Name.Class", t.className],
  ["Name.Variable", t.definition(t.variableName)],
  ["Name.Attribute", t.propertyName],
  ["Name.Namespace", t.namespace],
  ["Name", t.variableName],
  ["Literal.Number", t.number],
  ["Literal.String", t.string],
  ["Comment", t.lineComment],
  ["Operator.Word", t.operatorKeyword],
  ["Operator", t.operator],
  ["Punctuation", t.punctuation],
  ["Error", t.invalid],
];

function styleName(type) {
  if (!type || type.startsWith("Text")) return null;
  for (const [prefix] of TAGS) {
    if (type === prefix || type.startsWith(prefix + ".")) return prefix.replaceAll(".", "_");
  }
  return null;
}

// The stream parser (CodeMirror's `StreamParser`) of the token table.
export function mgParser(table) {
  const states = {};
  for (const [name, rules] of Object.entries(table.states)) {
    states[name] = rules.map((r) => ({
      re: new RegExp(r.regex, "y"),
      nl: new RegExp(r.regex, "y"),
      tokens: r.tokens.map(styleName),
      whole: r.whole,
      next: r.next,
    }));
  }
  const tokenTable = {};
  for (const [prefix, tag] of TAGS) tokenTable[prefix.replaceAll(".", "_")] = tag;

  function transition(state, next) {
    for (const step of next) {
      if (step === "#pop") { if (state.stack.length > 1) state.stack.pop(); }
      else state.stack.push(step);
    }
  }

  function newline(state) {
    // Pygments sees the newline that a line-based tokenizer never gets
    state.pending = [];
    for (const rule of states[state.stack.at(-1)]) {
      rule.nl.lastIndex = 0;
      if (rule.next.length && rule.nl.test("\n")) { transition(state, rule.next); break; }
    }
  }

  return {
    name: "mg",
    startState: () => ({ stack: ["root"], pending: [], started: true }),
    copyState: (s) => ({ stack: s.stack.slice(), pending: s.pending.slice(), started: s.started }),
    blankLine: (state) => { newline(state); },
    token(stream, state) {
      if (stream.sol() && !state.started) newline(state);
      state.started = false;
      if (state.pending.length) {
        const [length, style] = state.pending.shift();
        stream.pos += length;
        return style;
      }
      for (let guard = 0; guard < 8; guard++) {
        const rules = states[state.stack.at(-1)];
        let matched = null;
        for (const rule of rules) {
          rule.re.lastIndex = stream.pos;
          const m = rule.re.exec(stream.string);
          if (m) { matched = [rule, m]; break; }
        }
        if (!matched) { stream.next(); return "Error"; }
        const [rule, m] = matched;
        transition(state, rule.next);
        if (m[0].length === 0) continue;  // a lookahead that only changes state
        if (rule.whole) { stream.pos += m[0].length; return rule.tokens[0]; }
        const parts = [];
        for (let i = 0; i < rule.tokens.length; i++) {
          const piece = m[i + 1] || "";
          if (piece.length) parts.push([piece.length, rule.tokens[i]]);
        }
        const [length, style] = parts.shift();
        state.pending = parts;
        stream.pos += length;
        return style;
      }
      stream.next();
      return null;
    },
    languageData: { commentTokens: { line: "#" } },
    tokenTable,
  };
}

// [style, text] runs of `text` as the editor colours them (style: the Pygments token
// type's prefix, or null for plain text), so a test can compare them with Pygments.
export function tokenize(parser, text) {
  const state = parser.startState(4);
  const out = [];
  for (const line of text.split("\n")) {
    if (!line.length) { parser.blankLine?.(state, 4); continue; }
    const stream = new StringStream(line, 4, 4);
    while (!stream.eol()) {
      const start = stream.pos;
      const style = parser.token(stream, state);
      if (stream.pos === start) stream.next();  // never stall
      out.push([style || null, line.slice(start, stream.pos)]);
    }
  }
  return out;
}

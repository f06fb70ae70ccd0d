// The diagram as inline SVG: zoom (wheel, +/-), pan (drag), fit; a tooltip per box (op,
// shape, arguments, parameters); a click on a box reports its source line; boxes of a
// line can be highlighted. The SVG comes from Graphviz on the server; it is parsed as
// XML and stripped of anything active (scripts, event attributes, links) before use.

const SVG_NS = "http://www.w3.org/2000/svg";

function sanitize(svg) {
  // Graphviz escapes every label, and the page's Content-Security-Policy blocks inline
  // scripts and event attributes; still, drop anything active: elements that run or embed
  // content, and every attribute of the links Graphviz wraps around tooltips (href, title).
  for (const bad of svg.querySelectorAll("script, foreignObject, iframe, embed, object, use, image")) {
    bad.remove();
  }
  for (const g of svg.querySelectorAll("g.node")) {
    // Graphviz's own tooltip of a box names the ops folded into it ("name: op shape + bn, relu")
    const a = g.querySelector("a");
    const title = a && (a.getAttribute("xlink:title") || a.getAttribute("title"));
    const folded = title && / \+ (.+?)(?: \[| \(|$)/.exec(title);
    if (folded) g.dataset.folded = folded[1];
  }
  for (const a of svg.querySelectorAll("a")) {
    for (const attr of Array.from(a.attributes)) a.removeAttribute(attr.name);
  }
  // <title>s would show as a second, native tooltip; a box's names its IR node
  for (const title of svg.querySelectorAll("title")) {
    const owner = title.parentElement;
    if (owner && owner.classList.contains("node")) owner.dataset.box = title.textContent.trim();
    title.remove();
  }
}

function fmtCount(n) {
  if (n === null || n === undefined) return "–";
  return n.toLocaleString("en-US");
}

export class DiagramView {
  constructor(host, tooltip, { onBoxClick }) {
    this.host = host;
    this.tooltip = tooltip;
    this.onBoxClick = onBoxClick;
    this.svg = null;
    this.boxes = {};
    this.view = null;  // [x, y, w, h] of the viewBox
    this.full = null;
    this.drag = null;
    this.highlighted = [];
    host.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    host.addEventListener("pointerdown", (e) => this.down(e));
    host.addEventListener("pointermove", (e) => this.move(e));
    host.addEventListener("pointerup", (e) => this.up(e));
    host.addEventListener("pointerleave", () => this.hideTip());
  }

  show(svgText, boxes) {
    const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const svg = doc.documentElement;
    if (!svg || svg.namespaceURI !== SVG_NS || doc.querySelector("parsererror")) return false;
    sanitize(svg);
    const vb = (svg.getAttribute("viewBox") || "0 0 100 100").split(/[\s,]+/).map(Number);
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const keep = this.view && this.full && this.full.join() === vb.join();
    const node = document.importNode(svg, true);
    this.host.replaceChildren(node);
    this.svg = node;
    this.boxes = boxes || {};
    for (const g of node.querySelectorAll("g.node")) {
      const info = this.boxes[g.dataset.box];
      if (info) {
        g.classList.add("box");
        if (info.line) g.dataset.line = String(info.line);
      }
    }
    this.full = vb;
    if (!keep) this.view = vb.slice();
    this.apply();
    this.highlighted = [];
    return true;
  }

  clear() {
    this.host.replaceChildren();
    this.svg = null;
    this.boxes = {};
  }

  apply() {
    if (this.svg) this.svg.setAttribute("viewBox", this.view.join(" "));
  }

  fit() {
    if (!this.full) return;
    this.view = this.full.slice();
    this.apply();
  }

  zoom(factor, cx = 0.5, cy = 0.5) {
    if (!this.view) return;
    const [x, y, w, h] = this.view;
    const nw = Math.min(Math.max(w * factor, this.full[2] / 40), this.full[2] * 4);
    const nh = h * (nw / w);
    this.view = [x + (w - nw) * cx, y + (h - nh) * cy, nw, nh];
    this.apply();
  }

  // where the pointer is, as a fraction of the drawing's viewBox (meet keeps aspect)
  fraction(e) {
    const r = this.svg.getBoundingClientRect();
    const [, , w, h] = this.view;
    const scale = Math.min(r.width / w, r.height / h);
    const ox = (r.width - w * scale) / 2, oy = (r.height - h * scale) / 2;
    return [Math.min(Math.max((e.clientX - r.left - ox) / (w * scale), 0), 1),
            Math.min(Math.max((e.clientY - r.top - oy) / (h * scale), 0), 1), scale];
  }

  wheel(e) {
    if (!this.svg) return;
    e.preventDefault();
    const [fx, fy] = this.fraction(e);
    this.zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, fx, fy);
  }

  down(e) {
    if (!this.svg || e.button !== 0) return;
    this.drag = { x: e.clientX, y: e.clientY, view: this.view.slice(), moved: false,
                  box: e.target.closest ? e.target.closest("g.box") : null };
    this.host.setPointerCapture?.(e.pointerId);
  }

  move(e) {
    if (this.drag) {
      const dx = e.clientX - this.drag.x, dy = e.clientY - this.drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) this.drag.moved = true;
      if (this.drag.moved) {
        const [, , scale] = this.fraction(e);
        const [x, y, w, h] = this.drag.view;
        this.view = [x - dx / scale, y - dy / scale, w, h];
        this.apply();
        this.hideTip();
        return;
      }
    }
    const g = e.target.closest ? e.target.closest("g.box") : null;
    if (g) this.showTip(g, e); else this.hideTip();
  }

  up(e) {
    const drag = this.drag;
    this.drag = null;
    if (drag && !drag.moved && drag.box) {
      const info = this.boxes[drag.box.dataset.box];
      if (info) this.onBoxClick(info, drag.box);
    }
  }

  showTip(g, e) {
    const info = this.boxes[g.dataset.box];
    if (!info) return;
    const tip = this.tooltip;
    const rows = [["op", info.op], ["shape", info.shape.join(" × ")],
                  ["parameters", fmtCount(info.params)]];
    if (g.dataset.folded) rows.push(["with", g.dataset.folded]);
    for (const [k, v] of Object.entries(info.args || {})) rows.push([k, v]);
    if (info.line) rows.push(["line", String(info.line)]);
    const head = document.createElement("div");
    head.className = "tip-name";
    head.textContent = info.name;
    const table = document.createElement("table");
    for (const [k, v] of rows) {
      const tr = table.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = v;
    }
    tip.replaceChildren(head, table);
    tip.hidden = false;
    tip.dataset.box = g.dataset.box;
    const host = this.host.getBoundingClientRect();
    let left = e.clientX - host.left + 14, top = e.clientY - host.top + 14;
    const w = tip.offsetWidth, h = tip.offsetHeight;
    if (left + w > host.width) left = Math.max(4, e.clientX - host.left - w - 10);
    if (top + h > host.height) top = Math.max(4, e.clientY - host.top - h - 10);
    tip.style.left = `${left}px`;
    tip.style.top = `${top}px`;
  }

  hideTip() {
    this.tooltip.hidden = true;
  }

  highlightLine(line) {
    for (const g of this.highlighted) g.classList.remove("current");
    this.highlighted = [];
    if (!this.svg || !line) return 0;
    for (const g of this.svg.querySelectorAll(`g.box[data-line="${line}"]`)) {
      g.classList.add("current");
      this.highlighted.push(g);
    }
    return this.highlighted.length;
  }
}

// A state machine's definition drawn as SVG: states in rows by their distance from StartAt, Parallel
// branches and Map iterations nested inside their state, each state coloured by its status.
import { svg } from "./dom.js";

const W = 156, H = 42, GAP_Y = 34, GAP_X = 26, PAD = 14, HEAD = 28, TERMINAL = 9;

function successors(state) {
  const found = [];
  if (state.Next) found.push({ to: state.Next, kind: "next" });
  for (const rule of state.Choices || []) found.push({ to: rule.Next, kind: "choice", label: ruleLabel(rule) });
  if (state.Default) found.push({ to: state.Default, kind: "choice", label: "default" });
  for (const c of state.Catch || []) found.push({ to: c.Next, kind: "catch", label: (c.ErrorEquals || []).join(", ") });
  return found;
}

function ruleLabel(rule) {
  if (rule.Condition) return rule.Condition.replace(/^\{%\s*|\s*%\}$/g, "");
  const op = Object.keys(rule).find((k) => !["Variable", "Next", "Assign", "Output", "Comment"].includes(k));
  if (!op) return "";
  if (["And", "Or", "Not"].includes(op)) return op.toLowerCase();
  const value = typeof rule[op] === "object" ? "…" : String(rule[op]);
  const base = op.replace(/Path$/, "").replace(/^(String|Numeric|Boolean|Timestamp)/, "");
  const symbol = { Equals: "==", GreaterThan: ">", LessThan: "<", GreaterThanEquals: ">=", LessThanEquals: "<=", Matches: "~" }[base];
  const left = (rule.Variable || "").replace(/^\$\./, "");
  return symbol ? `${left} ${symbol} ${value}` : `${left} ${base}${value === "true" ? "" : " " + value}`;
}

function children(state) {
  if (state.Type === "Parallel") return state.Branches || [];
  if (state.Type === "Map") {
    const inner = state.ItemProcessor || state.Iterator;
    return inner ? [inner] : [];
  }
  return [];
}

// Ranks: longest path from StartAt over forward edges (back edges, the loops, are drawn on the side).
function ranks(block) {
  const states = block.States || {};
  const rank = {};
  const onStack = new Set();
  const done = new Set();
  const order = [];
  const visit = (name) => {
    if (!states[name] || done.has(name) || onStack.has(name)) return;
    onStack.add(name);
    for (const edge of successors(states[name])) visit(edge.to);
    onStack.delete(name);
    done.add(name);
    order.push(name);
  };
  visit(block.StartAt);
  for (const name of Object.keys(states)) visit(name);
  order.reverse();
  const position = Object.fromEntries(order.map((name, i) => [name, i]));
  for (const name of order) rank[name] = rank[name] ?? 0;
  for (const name of order) {
    for (const edge of successors(states[name])) {
      if (states[edge.to] && position[edge.to] > position[name]) rank[edge.to] = Math.max(rank[edge.to] ?? 0, rank[name] + 1);
    }
  }
  return { rank, position };
}

function layout(block) {
  const states = block.States || {};
  const { rank, position } = ranks(block);
  const boxes = {};
  for (const [name, state] of Object.entries(states)) {
    const inner = children(state).map(layout);
    if (inner.length) {
      const w = Math.max(W, inner.reduce((sum, b) => sum + b.w, 0) + GAP_X * (inner.length - 1) + 2 * PAD);
      const h = HEAD + Math.max(...inner.map((b) => b.h)) + PAD;
      boxes[name] = { name, state, w, h, inner };
    } else boxes[name] = { name, state, w: W, h: H, inner: [] };
  }
  const rows = [];
  for (const name of Object.keys(states).sort((a, b) => position[a] - position[b])) (rows[rank[name]] ||= []).push(boxes[name]);
  const width = Math.max(W, ...rows.filter(Boolean).map((row) => row.reduce((s, b) => s + b.w, 0) + GAP_X * (row.length - 1)));
  let y = 0;
  for (const row of rows.filter(Boolean)) {
    const rowWidth = row.reduce((s, b) => s + b.w, 0) + GAP_X * (row.length - 1);
    const rowHeight = Math.max(...row.map((b) => b.h));
    let x = (width - rowWidth) / 2;
    for (const box of row) {
      box.x = x;
      box.y = y + (rowHeight - box.h) / 2;
      x += box.w + GAP_X;
    }
    y += rowHeight + GAP_Y;
  }
  return { w: width, h: Math.max(H, y - GAP_Y), boxes, position, block };
}

function path(from, to, back) {
  if (back) {
    const x1 = from.x + from.w, y1 = from.y + from.h / 2, x2 = to.x + to.w, y2 = to.y + to.h / 2;
    const out = Math.max(x1, x2) + 46;
    return `M${x1},${y1} C${out},${y1} ${out},${y2} ${x2 + 6},${y2}`;
  }
  const x1 = from.x + from.w / 2, y1 = from.y + from.h, x2 = to.x + to.w / 2, y2 = to.y - 6;
  const bend = Math.max(16, (y2 - y1) / 2);
  return `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`;
}

function draw(laid, statuses, onSelect, selected) {
  const group = svg("g", {});
  const { boxes, position } = laid;
  for (const box of Object.values(boxes)) {
    for (const edge of successors(box.state)) {
      const to = boxes[edge.to];
      if (!to) continue;
      const back = position[edge.to] <= position[box.name];
      group.append(svg("path", { class: `edge ${edge.kind}`, d: path(box, to, back), "marker-end": "url(#arrow)" }));
      if (edge.label) {
        const lx = back ? Math.max(box.x + box.w, to.x + to.w) + 8 : (box.x + box.w / 2 + to.x + to.w / 2) / 2 + 6;
        const ly = back ? (box.y + to.y) / 2 + box.h / 2 : (box.y + box.h + to.y) / 2;
        const text = edge.label.length > 26 ? edge.label.slice(0, 25) + "…" : edge.label;
        group.append(svg("text", { class: "edge-label", x: lx, y: ly }, text));
      }
    }
  }
  for (const box of Object.values(boxes)) {
    const status = statuses[box.name]?.status || "idle";
    const kind = box.inner.length ? "container state" : "state";
    const g = svg("g", {
      class: `${kind} ${status}${selected === box.name ? " selected" : ""}`,
      "data-state": box.name,
      "data-status": status,
      transform: `translate(${box.x},${box.y})`,
    });
    g.addEventListener("click", (event) => {
      event.stopPropagation();
      onSelect?.(box.name);
    });
    if (box.inner.length) {
      g.append(
        svg("rect", { class: "frame", width: box.w, height: box.h, rx: 10 }),
        svg("rect", { class: "box", x: 8, y: 6, width: Math.min(box.w - 16, 150), height: 18, rx: 9 }),
        svg("text", { class: "title", x: 16, y: 19 }, `${box.state.Type} · ${box.name}`),
      );
      let x = PAD;
      const tallest = Math.max(...box.inner.map((b) => b.h));
      for (const branch of box.inner) {
        const inner = draw(branch, statuses, onSelect, selected);
        inner.setAttribute("transform", `translate(${x},${HEAD + (tallest - branch.h) / 2})`);
        g.append(inner);
        x += branch.w + GAP_X;
      }
    } else {
      const label = box.name.length > 20 ? box.name.slice(0, 19) + "…" : box.name;
      g.append(
        svg("rect", { class: "box", width: box.w, height: box.h, rx: 8 }),
        svg("text", { class: "type", x: 12, y: 15 }, box.state.Type),
        svg("text", { x: 12, y: 32 }, label),
        svg("title", {}, box.name),
      );
      const runs = statuses[box.name];
      if (runs && (runs.retries || runs.runs > 1)) {
        const note = [runs.runs > 1 ? `×${runs.runs}` : "", runs.retries ? `↻${runs.retries}` : ""].filter(Boolean).join(" ");
        g.append(svg("text", { class: "type", x: box.w - 10, y: 15, "text-anchor": "end" }, note));
      }
    }
    group.append(g);
  }
  return group;
}

// The whole graph: a start dot, the top-level block, and an end dot joined to every state that ends.
export function renderGraph(definition, statuses = {}, { onSelect, selected } = {}) {
  const laid = layout(definition);
  const margin = 24, top = 44, extra = 70;
  const width = laid.w + 2 * margin + extra;
  const height = laid.h + top + 60;
  const root = svg("svg", { class: "graph", width, height, viewBox: `0 0 ${width} ${height}` });
  root.append(
    svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#9ca3af" }))),
  );
  const body = draw(laid, statuses, onSelect, selected);
  body.setAttribute("transform", `translate(${margin},${top})`);
  const start = laid.boxes[definition.StartAt];
  const cx = margin + laid.w / 2;
  root.append(svg("circle", { class: "terminal", cx, cy: 14, r: TERMINAL }));
  if (start) {
    root.append(svg("path", { class: "edge", d: `M${cx},${14 + TERMINAL} C${cx},${top - 10} ${margin + start.x + start.w / 2},${top - 20} ${margin + start.x + start.w / 2},${top - 6}`, "marker-end": "url(#arrow)" }));
  }
  const endY = top + laid.h + 36;
  root.append(svg("circle", { class: "terminal", cx, cy: endY, r: TERMINAL }), svg("circle", { cx, cy: endY, r: TERMINAL - 4, fill: "#fff" }));
  for (const box of Object.values(laid.boxes)) {
    if (box.state.End || box.state.Type === "Succeed") {  // a Fail state ends the run where it stands
      const x = margin + box.x + box.w / 2, y = top + box.y + box.h;
      root.append(svg("path", { class: "edge", d: `M${x},${y} C${x},${endY - 20} ${cx},${y + 10} ${cx},${endY - TERMINAL - 5}`, "marker-end": "url(#arrow)" }));
    }
  }
  root.append(body);
  return root;
}

export function legend() {
  const items = [["idle", "not run"], ["running", "running"], ["succeeded", "succeeded"], ["caught", "caught"], ["failed", "failed"], ["aborted", "aborted"]];
  const colour = { idle: "#f3f4f6", running: "#dbeafe", succeeded: "#dcfce7", caught: "#fef3c7", failed: "#fee2e2", aborted: "#e5e7eb" };
  const div = document.createElement("div");
  div.className = "legend";
  for (const [key, text] of items) {
    const span = document.createElement("span");
    span.innerHTML = `<i style="background:${colour[key]}"></i>${text}`;
    div.append(span);
  }
  return div;
}

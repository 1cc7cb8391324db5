// Overview: the architecture as a map (buses -> rules -> targets; topics -> subscriptions), live counts.
import { watch } from "../api.js";
import { card, clear, h, svg, table } from "../dom.js";

const NW = 200, NH = 58, GX = 84, GY = 16, TOP = 30;
const PLURAL = { bus: "buses", rule: "rules", topic: "topics", queue: "queues", stream: "streams", machine: "machines", function: "functions", target: "targets" };

// Columns by the longest path from a source (bus -> rule -> target -> subscriber); resources nothing
// sends to stand with the targets; dead-letter edges do not move a queue.
function columnsOf(data) {
  const incoming = {};
  const outgoing = new Set();
  for (const e of data.edges) {
    if (e.label === "dead letters") continue;
    (incoming[e.to] ||= []).push(e.from);
    outgoing.add(e.from);
  }
  const depth = {};
  const visit = (id, seen = new Set()) => {
    if (depth[id] !== undefined) return depth[id];
    if (seen.has(id)) return 0;
    seen.add(id);
    const from = incoming[id] || [];
    depth[id] = from.length ? Math.max(...from.map((f) => visit(f, seen) + 1)) : 0;
    return depth[id];
  };
  for (const node of data.nodes) visit(node.id);
  const last = Math.max(2, ...Object.values(depth));
  const column = {};
  for (const node of data.nodes) {
    const alone = !incoming[node.id] && !outgoing.has(node.id);
    if (!alone) column[node.id] = depth[node.id];
    else column[node.id] = node.kind === "bus" || node.kind === "topic" ? 0 : node.kind === "rule" ? 1 : last;
  }
  return column;
}

const COLOUR = { bus: "#4f46e5", rule: "#7c3aed", topic: "#db2777", queue: "#0891b2", stream: "#059669", machine: "#ea580c", function: "#ca8a04", target: "#6b7280" };
const KIND = { bus: "event bus", rule: "rule", topic: "topic", queue: "queue", stream: "stream", machine: "state machine", function: "function", target: "target" };

function link(node) {
  switch (node.kind) {
    case "bus": case "rule": return "#/buses";
    case "queue": return `#/queues/${encodeURIComponent(node.name)}`;
    case "stream": return `#/streams/${encodeURIComponent(node.name)}`;
    case "machine": return `#/machines/${encodeURIComponent(node.id)}`;
    case "function": return "#/functions";
    default: return null;
  }
}

function countsText(node) {
  const c = node.counts || {};
  switch (node.kind) {
    case "bus": return `${c.rules ?? 0} rules`;
    case "rule": return `${c.targets ?? 0} targets · ${(c.state || "ENABLED").toLowerCase()}`;
    case "topic": return `${c.subscriptions ?? 0} subscriptions`;
    case "queue": return `${c.visible ?? 0} visible · ${c.in_flight ?? 0} in flight · ${c.delayed ?? 0} delayed`;
    case "stream": return `${c.shards ?? 0} shards · ${c.consumers ?? 0} consumers`;
    case "machine": return c.type === "EXPRESS" ? "express" : `${c.running ?? 0} running · ${c.failed ?? 0} failed`;
    case "function": return c.runtime || "";
    default: return "";
  }
}

function drawMap(data) {
  const columnOf = columnsOf(data);
  const columns = Array.from({ length: Math.max(...Object.values(columnOf)) + 1 }, () => []);
  for (const node of data.nodes) columns[columnOf[node.id]].push(node);
  const title = (nodes) => [...new Set(nodes.map((n) => PLURAL[n.kind]))].join(" · ");
  const used = columns.map((c, i) => (c.length ? i : -1)).filter((i) => i >= 0);
  const place = {};
  used.forEach((column, position) => {
    columns[column].forEach((node, row) => (place[node.id] = { x: position * (NW + GX), y: TOP + row * (NH + GY), node }));
  });
  const width = Math.max(1, used.length) * (NW + GX) - GX + 60;
  const height = TOP + Math.max(1, ...used.map((c) => columns[c].length)) * (NH + GY) + 10;
  const root = svg("svg", { class: "map", width, height, viewBox: `-10 0 ${width} ${height}` });
  root.append(svg("defs", {}, svg("marker", { id: "map-arrow", viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" }, svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#a5b4fc" }))));
  used.forEach((column, position) => root.append(svg("text", { class: "col-title", x: position * (NW + GX), y: 14 }, title(columns[column]))));
  for (const edge of data.edges) {
    const a = place[edge.from], b = place[edge.to];
    if (!a || !b) continue;
    let d;
    if (a.x === b.x) {
      const x = a.x + NW, y1 = a.y + NH / 2, y2 = b.y + NH / 2;
      d = `M${x},${y1} C${x + 40},${y1} ${x + 40},${y2} ${x + 4},${y2}`;
    } else {
      const x1 = a.x + NW, y1 = a.y + NH / 2, x2 = b.x - 4, y2 = b.y + NH / 2;
      d = `M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}`;
    }
    root.append(svg("path", { class: "edge", d, "marker-end": "url(#map-arrow)" }));
  }
  for (const { x, y, node } of Object.values(place)) {
    const g = svg("g", { class: "node", "data-node": node.id, "data-kind": node.kind, transform: `translate(${x},${y})` });
    const name = node.name.length > 24 ? node.name.slice(0, 23) + "…" : node.name;
    g.append(
      svg("rect", { class: "frame", width: NW, height: NH, rx: 9 }),
      svg("rect", { class: "bar", width: 5, height: NH - 2, x: 1, y: 1, rx: 2, fill: COLOUR[node.kind] }),
      svg("text", { class: "kind", x: 16, y: 17 }, KIND[node.kind]),
      svg("text", { class: "name", x: 16, y: 34 }, name),
      svg("text", { class: "counts", x: 16, y: 49 }, countsText(node)),
      svg("title", {}, node.id),
    );
    const href = link(node);
    root.append(href ? svg("a", { href }, g) : g);
  }
  return root;
}

function stats(data) {
  const count = (kind) => data.nodes.filter((n) => n.kind === kind).length;
  const sum = (kind, key) => data.nodes.filter((n) => n.kind === kind).reduce((s, n) => s + (n.counts?.[key] || 0), 0);
  const items = [
    ["Buses", count("bus")], ["Rules", count("rule")], ["Queues", count("queue")], ["Messages waiting", sum("queue", "visible")],
    ["Streams", count("stream")], ["State machines", count("machine")], ["Running executions", sum("machine", "running")],
  ];
  if (data.services.includes("lambda")) items.push(["Functions", count("function")]);
  return h("div", { class: "stats" }, items.map(([label, value]) => h("div", { class: "stat" }, h("b", {}, value), h("span", {}, label))));
}

function traffic(rates) {
  if (!rates || !rates.length) return h("div", { class: "empty", id: "traffic" }, "No calls in the last second.");
  return h("div", { id: "traffic" }, table([
    { title: "Operation", value: (r) => h("b", {}, r.operation) },
    { title: "Calls/s", num: true, value: (r) => r.perSecond.toFixed(1) },
  ], rates));
}

export async function render(root) {
  const top = h("div", {});
  const rates = h("div", {}, traffic([]));
  const map = h("div", { class: "map-wrap" }, h("div", { class: "empty" }, "Loading the map…"));
  root.append(top, card("Architecture", h("p", { class: "muted small" }, "Where events flow: each bus's rules and their targets, each topic's subscriptions. Counts update live; click a resource to open it."), map),
    card("Traffic", h("p", { class: "muted small" }, "Calls per second this node serves, by operation, over the last second."), rates));
  return watch("overview", {}, (data) => {
    if (data.error) return clear(map, h("div", { class: "empty" }, data.message));
    clear(top, stats(data));
    clear(rates, traffic(data.rates));
    clear(map, data.nodes.length ? drawMap(data) : h("div", { class: "empty" }, "Nothing is defined yet: create a bus rule, a queue or a state machine."));
  });
}

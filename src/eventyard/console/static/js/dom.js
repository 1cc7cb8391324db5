// Small DOM helpers: h() builds elements, fmt* format values the way every page shows them.

export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const svg = (tag, attrs, ...children) => h("svg:" + tag, attrs, ...children);

export function clear(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export function fmtTime(epoch) {
  if (epoch === undefined || epoch === null || epoch === "") return "";
  const date = new Date(Number(epoch) * 1000);
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  return `${Math.round(seconds / 60)} min`;
}

export function pretty(text) {
  if (text === undefined || text === null) return "";
  try {
    return JSON.stringify(typeof text === "string" ? JSON.parse(text) : text, null, 2);
  } catch {
    return String(text);
  }
}

export const badge = (status) => h("span", { class: `badge ${status}` }, String(status).replace("_", " "));

export function shortArn(arn) {
  return String(arn || "").split(/[:/]/).pop();
}

export function table(columns, rows, { onRow, empty = "Nothing here yet.", selected } = {}) {
  if (!rows.length) return h("div", { class: "empty" }, empty);
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : "" }, c.title)))),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h(
          "tr",
          { class: [onRow ? "clickable" : "", selected && selected(row) ? "selected" : ""].join(" "), onclick: onRow ? () => onRow(row) : null },
          columns.map((c) => h("td", { class: c.num ? "num" : c.mono ? "mono" : c.cls || "" }, c.value(row))),
        ),
      ),
    ),
  );
}

export function toast(message, error = false) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.className = error ? "toast error" : "toast";
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), error ? 6000 : 2500);
}

export function card(title, ...children) {
  return h("section", { class: "card" }, title ? h("h2", {}, title) : null, ...children);
}

export function shortName(name, keep = 22) {
  const text = String(name || "");
  return text.length > keep ? `${text.slice(0, keep - 9)}…${text.slice(-8)}` : text;
}

// A time in a narrow column: the time of day when it is today, else the date; the whole in its title.
export function fmtWhen(epoch) {
  if (epoch === undefined || epoch === null || epoch === "") return "";
  const full = fmtTime(epoch);
  const today = new Date().toISOString().slice(0, 10);
  const span = document.createElement("span");
  span.title = full;
  span.textContent = full.startsWith(today) ? full.slice(11) : full.slice(0, 10);
  return span;
}

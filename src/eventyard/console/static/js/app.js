// The console's shell: routes (#/page/argument), the access-key prompt, and page lifecycles.
import { config, hasKeys, loadConfig, setKeys } from "./api.js";
import { clear, h } from "./dom.js";

const PAGES = {
  overview: ["Overview", () => import("./pages/overview.js")],
  buses: ["Buses & rules", () => import("./pages/buses.js")],
  queues: ["Queues", () => import("./pages/queues.js")],
  streams: ["Streams", () => import("./pages/streams.js")],
  machines: ["State machines", () => import("./pages/machines.js")],
  executions: ["Execution", () => import("./pages/execution.js")],
  functions: ["Functions", () => import("./pages/functions.js")],
  traces: ["Traces", () => import("./pages/traces.js")],
};
const NAV_OF = { executions: "machines" };
let stopPage = null;

function route() {
  const [page, ...rest] = (location.hash.replace(/^#\/?/, "") || "overview").split("/");
  return { page: PAGES[page] ? page : "overview", arg: rest.length ? decodeURIComponent(rest.join("/")) : "" };
}

export function go(page, arg) {
  location.hash = `#/${page}${arg ? "/" + encodeURIComponent(arg) : ""}`;
}

function askForKeys() {
  if (stopPage) stopPage();
  stopPage = null;
  const access = h("input", { name: "access", placeholder: "AKIA…", autocomplete: "username", required: true });
  const secret = h("input", { name: "secret", type: "password", autocomplete: "current-password", required: true });
  const form = h(
    "form",
    {
      class: "card auth stack",
      onsubmit: (event) => {
        event.preventDefault();
        setKeys(access.value.trim(), secret.value);
        show();
      },
    },
    h("h2", {}, "Sign in"),
    h("p", { class: "muted small" }, "This server checks access keys (--auth). Enter a key of its file; it stays in this tab only."),
    h("label", {}, "Access key", access),
    h("label", {}, "Secret key", secret),
    h("button", { type: "submit" }, "Open the console"),
  );
  document.getElementById("title").textContent = "Sign in";
  clear(document.getElementById("page"), form);
}

async function show() {
  if (config.auth && !hasKeys()) return askForKeys();
  const { page, arg } = route();
  const [title, load] = PAGES[page];
  for (const link of document.querySelectorAll("#nav a")) link.classList.toggle("active", link.dataset.page === (NAV_OF[page] || page));
  document.getElementById("title").textContent = title;
  if (stopPage) stopPage();
  stopPage = null;
  const root = clear(document.getElementById("page"));
  const module = await load();
  const stop = await module.render(root, arg, { go, config });
  stopPage = typeof stop === "function" ? stop : null;
}

window.addEventListener("hashchange", show);
window.addEventListener("eventyard-auth", () => {
  sessionStorage.removeItem("eventyard-keys");
  location.reload();
});

(async () => {
  await loadConfig();
  const served = new Set(config.services);
  const needs = { buses: "events", queues: "sqs", streams: "kinesis", machines: "stepfunctions", functions: "lambda" };
  for (const link of document.querySelectorAll("#nav a")) {
    const service = needs[link.dataset.page];
    if (service && !served.has(service)) link.classList.add("disabled");
  }
  document.getElementById("foot").textContent = `${config.services.length} services · ${config.durable ? "durable" : "in memory"}`;
  await show();
})();

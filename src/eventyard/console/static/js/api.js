// The console's requests: JSON endpoints and live streams, with the access key when the server asks for one.

const BASE = "/_console";
let keys = JSON.parse(sessionStorage.getItem("eventyard-keys") || "null");
export let config = { auth: false, services: [] };

export function setKeys(access, secret) {
  keys = { access, secret };
  sessionStorage.setItem("eventyard-keys", JSON.stringify(keys));
}

export function hasKeys() {
  return !!keys;
}

function headers(json) {
  const result = json ? { "content-type": "application/json" } : {};
  if (keys) {
    result["x-eventyard-access-key"] = keys.access;
    result["x-eventyard-secret-key"] = keys.secret;
  }
  return result;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body.message || body.error || `HTTP ${status}`);
    this.status = status;
    this.code = body.error;
  }
}

async function answer(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new CustomEvent("eventyard-auth"));
    throw new ApiError(response.status, body);
  }
  return body;
}

export async function loadConfig() {
  config = await (await fetch(`${BASE}/config`)).json();
  return config;
}

export async function get(name, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  return answer(await fetch(`${BASE}/api/${name}?${query}`, { headers: headers(false) }));
}

export async function post(name, body = {}) {
  return answer(await fetch(`${BASE}/api/${name}`, { method: "POST", headers: headers(true), body: JSON.stringify(body) }));
}

// A server-sent event stream read with fetch (EventSource cannot send headers); returns stop().
function stream(path, params, onMessage) {
  const controller = new AbortController();
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  const dot = document.getElementById("live");
  (async () => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch(`${BASE}/live/${path}?${query}`, { headers: headers(false), signal: controller.signal });
        if (!response.ok) {
          await answer(response);
          return;
        }
        dot?.classList.add("on");
        onMessage("open", {});
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let kind = "message";
            const data = [];
            for (const line of block.split("\n")) {
              if (line.startsWith("event: ")) kind = line.slice(7);
              else if (line.startsWith("data: ")) data.push(line.slice(6));
            }
            if (data.length) onMessage(kind, JSON.parse(data.join("\n")));
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError) {
          onMessage("error", { error: error.code, message: error.message });
          return;
        }
        if (!(error instanceof TypeError)) console.error(error); // a page's bug, not the network
      }
      dot?.classList.remove("on");
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the server went away: try again
    }
  })();
  return () => {
    controller.abort();
    dot?.classList.remove("on");
  };
}

// Calls onUpdate(answer) with the GET endpoint `view`'s answer now and whenever it changes.
export function watch(view, params, onUpdate) {
  return stream("watch", { view, ...params }, (kind, value) => {
    if (kind === "update" || kind === "error") onUpdate(value);
  });
}

export function tail(bus, pattern, onEvent, onError, onOpen) {
  return stream("tail", { bus, pattern }, (kind, value) => {
    if (kind === "open" && onOpen) onOpen();
    else if (kind === "event") onEvent(value);
    else if (kind === "error" && onError) onError(value);
  });
}

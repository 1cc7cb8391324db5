// One execution: its graph coloured by each state's status, the chosen state's input and output, a
// timeline of state runs with retries, the event history, and the actions (stop, redrive, task tokens).
import { post, watch } from "../api.js";
import { badge, card, clear, fmtDuration, fmtTime, h, pretty, shortArn, table, toast } from "../dom.js";
import { legend, renderGraph } from "../graph.js";

export async function render(root, arn) {
  let data = null;
  let selected = null;
  const header = h("div", { class: "stats" });
  const actions = h("div", { class: "row" });
  const graph = h("div", { class: "graph-wrap", id: "execution-graph" });
  const stateBox = h("div", { class: "stack", id: "state-detail" }, h("div", { class: "empty" }, "Click a state to see its input and output."));
  const tokens = h("div", { class: "stack" });
  const timeline = h("div", { class: "timeline" });
  const history = h("div", {});
  const attempt = async (work, done) => {
    try {
      await work();
      toast(done);
    } catch (error) {
      toast(error.message, true);
    }
  };

  const drawGraph = () => clear(graph, renderGraph(data.definition, data.states, { selected, onSelect: (name) => { selected = name; drawGraph(); drawState(); } }));
  const drawState = () => {
    const state = selected && data.states[selected];
    if (!selected) return;
    clear(stateBox,
      h("div", { class: "row" }, h("b", {}, selected), state ? badge(state.status) : badge("not run"), state?.retries ? h("span", { class: "muted small" }, `${state.retries} retries`) : null, state?.runs > 1 ? h("span", { class: "muted small" }, `${state.runs} runs`) : null),
      state?.error ? h("div", { class: "result no" }, `${state.error}${state.cause ? ": " + state.cause : ""}`) : null,
      h("label", {}, "Input", h("pre", { id: "state-input" }, state ? pretty(state.input) : "")),
      h("label", {}, "Output", h("pre", { id: "state-output" }, state ? pretty(state.output) : "")));
  };

  root.append(
    card(h("span", {}, "Execution ", h("code", {}, shortArn(arn))), header, h("div", { style: "margin-top:12px" }, actions)),
    h("div", { class: "two" },
      card("Graph", legend(), graph),
      h("div", { class: "stack" }, card("State", stateBox), card("Waiting for a task token", tokens))),
    card("Timeline", timeline),
    card("Event history", history),
  );

  return watch("execution", { arn }, (answer) => {
    if (answer.error) return clear(header, h("div", { class: "empty" }, answer.message));
    data = answer;
    const e = data.execution;
    const stat = (label, value) => h("div", { class: "stat" }, h("b", { class: "text" }, value), h("span", {}, label));
    clear(header,
      h("div", { class: "stat" }, h("b", { id: "execution-status" }, badge(e.status)), h("span", {}, "status")),
      stat("Started", fmtTime(e.startDate)), stat("Duration", fmtDuration((e.stopDate || Date.now() / 1000) - e.startDate)),
      stat("Machine", h("a", { href: `#/machines/${encodeURIComponent(data.machineArn)}` }, shortArn(data.machineArn))),
      e.redriveCount ? stat("Redrives", e.redriveCount) : null);
    clear(actions,
      e.status === "RUNNING" ? h("button", { class: "danger", id: "stop", onclick: () => attempt(() => post("execution/stop", { arn }), "Stopping the execution") }, "Stop") : null,
      e.redriveStatus === "REDRIVABLE" ? h("button", { id: "redrive", onclick: () => attempt(() => post("execution/redrive", { arn }), "Redriving the execution") }, "Redrive") : null,
      e.error ? h("span", { class: "result no" }, `${e.error}${e.cause ? ": " + e.cause.slice(0, 160) : ""}`) : null);
    drawGraph();
    drawState();
    drawTokens(tokens, data.waitingTokens, attempt);
    drawTimeline(timeline, data.timeline, e);
    clear(history, table(
      [
        { title: "ID", num: true, value: (ev) => ev.id },
        { title: "Type", value: (ev) => ev.type },
        { title: "Step", value: (ev) => detailsOf(ev).name || "" },
        { title: "Time", value: (ev) => fmtTime(ev.timestamp) },
        { title: "Details", value: (ev) => eventSummary(ev) },
      ],
      data.history,
    ));
  });
}

function drawTokens(root, waiting, attempt) {
  if (!waiting.length) return clear(root, h("div", { class: "muted small" }, "No task waits for a token now."));
  const output = h("textarea", { id: "task-output", spellcheck: "false", style: "min-height:70px" }, '{"approved": true}');
  clear(root, ...waiting.map((token) => h("div", { class: "stack" },
    h("code", { class: "small", title: token }, token.length > 60 ? token.slice(0, 60) + "…" : token),
    h("label", {}, "Output (success) or error (failure)", output),
    h("div", { class: "row" },
      h("button", { id: "task-success", onclick: () => attempt(() => post("task/success", { token, output: output.value }), "Sent task success") }, "Send task success"),
      h("button", { class: "danger", id: "task-failure", onclick: () => attempt(() => post("task/failure", { token, error: "Console.Rejected", cause: output.value }), "Sent task failure") }, "Send task failure")))));
}

function drawTimeline(root, runs, execution) {
  if (!runs.length) return clear(root, h("div", { class: "empty" }, "No state has run yet."));
  const start = execution.startDate;
  const end = Math.max(execution.stopDate || Date.now() / 1000, ...runs.map((r) => r.end || 0), start + 0.001);
  const span = end - start;
  clear(root, table(
    [
      { title: "State", value: (r) => h("b", {}, r.name) },
      { title: "Status", value: (r) => badge(r.status) },
      { title: "Retries", num: true, value: (r) => r.retries || "" },
      { title: "Duration", num: true, value: (r) => fmtDuration((r.end || Date.now() / 1000) - r.start) },
      {
        title: "",
        value: (r) => h("div", { class: "lane" }, h("div", {
          class: r.status,
          style: `left:${(100 * (r.start - start)) / span}%;width:${Math.max(0.6, (100 * ((r.end || end) - r.start)) / span)}%`,
          title: `${fmtTime(r.start)} → ${r.end ? fmtTime(r.end) : "now"}`,
        })),
      },
    ],
    runs,
  ));
}

function detailsOf(event) {
  return Object.entries(event).find(([k]) => k.endsWith("EventDetails"))?.[1] || {};
}

function eventSummary(event) {
  const d = detailsOf(event);
  if (d.error) return h("span", { class: "small" }, `${d.error}${d.cause ? ": " + d.cause.slice(0, 100) : ""}`);
  const text = d.output ?? d.input ?? d.parameters;
  if (text === undefined) return "";
  const shown = pretty(text);
  return h("code", { class: "small" }, shown.length > 120 ? shown.replace(/\s+/g, " ").slice(0, 120) + "…" : shown.replace(/\s+/g, " "));
}

// State machines: the definition as a graph, executions with filters, and starting one.
import { post, watch } from "../api.js";
import { badge, card, clear, fmtTime, fmtWhen, h, shortName, table, toast } from "../dom.js";
import { renderGraph } from "../graph.js";

export async function render(root, arn, { go }) {
  const list = h("div", {}, h("div", { class: "empty" }, "Loading…"));
  root.append(card("State machines", list));
  const stops = [
    watch("machines", {}, (data) => {
      if (data.error) return clear(list, h("div", { class: "empty" }, data.message));
      clear(list, table(
        [
          { title: "Name", value: (m) => h("b", {}, m.name) },
          { title: "Type", value: (m) => badge(m.type || "STANDARD") },
          { title: "Created", value: (m) => fmtTime(m.creationDate) },
        ],
        data.machines,
        { empty: "No state machines yet.", onRow: (m) => go("machines", m.stateMachineArn), selected: (m) => m.stateMachineArn === arn },
      ));
    }),
  ];
  if (arn) stops.push(showMachine(root, arn, go));
  return () => stops.forEach((stop) => stop());
}

function showMachine(root, arn, go) {
  const graph = h("div", { class: "graph-wrap" });
  const executions = h("div", {});
  const status = h("select", { id: "status-filter" }, ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"].map((s) => h("option", { value: s }, s || "any status")));
  const nameFilter = h("input", { id: "name-filter", placeholder: "name contains…" });
  const input = h("textarea", { id: "execution-input", spellcheck: "false" }, JSON.stringify({ orderId: "o-1001" }, null, 2));
  const start = async () => {
    try {
      const answer = await post("execution/start", { arn, input: input.value });
      go("executions", answer.executionArn);
    } catch (error) {
      toast(error.message, true);
    }
  };
  let stop = null;
  const follow = () => {
    if (stop) stop();
    stop = watch("machine", { arn, status: status.value, name: nameFilter.value }, (data) => {
      if (data.error) return clear(graph, h("div", { class: "empty" }, data.message));
      clear(graph, renderGraph(data.definition));
      clear(executions, table(
        [
          { title: "Name", value: (e) => h("code", { title: e.name }, shortName(e.name)) },
          { title: "Status", value: (e) => badge(e.status) },
          { title: "Started", cls: "nowrap small", value: (e) => fmtWhen(e.startDate) },
          { title: "Stopped", cls: "nowrap small", value: (e) => fmtWhen(e.stopDate) },
          { title: "Redriven", num: true, value: (e) => e.redriveCount || "" },
        ],
        data.executions,
        { empty: data.machine.type === "EXPRESS" ? "Express executions are not listed (as in AWS)." : "No executions match.", onRow: (e) => go("executions", e.executionArn) },
      ));
    });
  };
  status.addEventListener("change", follow);
  nameFilter.addEventListener("input", follow);
  root.append(
    h("div", { class: "two" },
      card("Definition", graph),
      h("div", { class: "stack" },
        card("Executions", h("div", { class: "row", style: "margin-bottom:10px" }, status, nameFilter), executions),
        card("Start an execution", h("div", { class: "stack" }, h("label", {}, "Input", input), h("div", { class: "row" }, h("button", { id: "start-execution", onclick: start }, "Start execution")))),
      ),
    ),
  );
  follow();
  return () => stop && stop();
}

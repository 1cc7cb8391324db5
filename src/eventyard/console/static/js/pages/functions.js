// Functions: invoke with a payload and see the answer, event source mappings; or, when the yard does not
// serve the functions service, a page that says so.
import { get, post } from "../api.js";
import { badge, card, clear, h, pretty, shortArn, table, toast } from "../dom.js";

export async function render(root) {
  const data = await get("functions");
  if (!data.served) {
    root.append(card("Functions", h("div", { class: "empty", id: "not-served" },
      h("p", {}, h("b", {}, "This yard does not serve the functions service (Lambda).")),
      h("p", { class: "small" }, "Once it does, this page invokes functions with a payload and shows their event source mappings."))));
    return null;
  }
  const result = h("div", {});
  const recentRows = (runs) => table([
    { title: "Function", value: (r) => h("b", {}, shortArn(r.FunctionArn)) },
    { title: "Version", value: (r) => r.Version },
    { title: "Started", value: (r) => new Date(r.Started * 1000).toLocaleTimeString() },
    { title: "Duration (ms)", num: true, value: (r) => r.DurationMs },
    { title: "Result", value: (r) => badge(r.FunctionError ? "failed" : "succeeded") },
    { title: "Log", value: (r) => h("details", {}, h("summary", {}, r.RequestId), h("pre", {}, r.Log)) },
  ], runs, { empty: "No invocations yet." });
  const recent = h("div", { id: "recent-invocations" }, recentRows(data.recent || []));
  const payload = h("textarea", { id: "payload", spellcheck: "false" }, "{}");
  const chosen = h("select", { id: "function" }, data.functions.map((f) => h("option", { value: f.FunctionName }, f.FunctionName)));
  const invoke = async () => {
    try {
      const answer = await post("function/invoke", { name: chosen.value, payload: payload.value });
      clear(result, h("div", { class: "row", id: "invoke-result" }, badge(answer.FunctionError ? "failed" : "succeeded"), `status ${answer.StatusCode}`), h("pre", { id: "invoke-payload" }, pretty(answer.Payload)), answer.Log ? h("pre", {}, answer.Log) : null);
      clear(recent, recentRows((await get("functions")).recent || []));
    } catch (error) {
      toast(error.message, true);
    }
  };
  root.append(
    h("div", { class: "two" },
      card("Functions", table([
        { title: "Function", value: (f) => h("b", {}, f.FunctionName) },
        { title: "Runtime", value: (f) => f.Runtime || "" },
        { title: "Handler", value: (f) => f.Handler || "" },
      ], data.functions, { empty: "No functions yet." })),
      card("Invoke", h("div", { class: "stack" }, h("label", {}, "Function", chosen), h("label", {}, "Payload", payload), h("div", { class: "row" }, h("button", { onclick: invoke }, "Invoke")), result))),
    card("Recent invocations", recent),
    card("Event source mappings", table([
      { title: "Source", value: (m) => shortArn(m.EventSourceArn) },
      { title: "Function", value: (m) => shortArn(m.FunctionArn) },
      { title: "Batch size", num: true, value: (m) => m.BatchSize },
      { title: "State", value: (m) => badge(m.State) },
    ], data.mappings, { empty: "No event source mappings." })),
  );
  return null;
}

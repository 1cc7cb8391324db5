// The trace of one event: the rules it matched, the targets that got it, and what they made of it.
import { get, watch } from "../api.js";
import { badge, card, clear, fmtTime, h, shortArn, table } from "../dom.js";

export async function render(root, id, { go }) {
  const search = h("input", { id: "trace-id", placeholder: "an event id (PutEvents) or a message id (Publish)", size: 52, value: id || "" });
  const recent = h("div", {});
  const detail = h("div", { id: "trace" });
  root.append(
    card("Find a trace", h("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); go("traces", search.value.trim()); } }, search, h("button", { type: "submit" }, "Show trace")),
      h("p", { class: "muted small" }, "Each event a rule matched, and each message a subscription matched, is traced for 24 hours: its rules, its deliveries and their results.")),
    id ? detail : null,
    card("Recent traces", recent),
  );
  const stops = [
    watch("traces", { limit: 25 }, (data) => {
      clear(recent, table(
        [
          { title: "When", value: (t) => fmtTime(t.at) },
          { title: "What", value: (t) => (t.kind === "sns" ? `message on ${shortArn(t.topic)}` : h("span", {}, h("b", {}, t["detail-type"]), " from ", t.source)) },
          { title: "Matched", value: (t) => (t.rules || []).join(", ") },
          { title: "Id", mono: true, value: (t) => t.id },
        ],
        data.traces || [],
        { empty: data.enabled === false ? "Tracing is off on this server (EVENTYARD_TRACE=off): no event is traced." : "No traced events yet: send an event that a rule matches.", onRow: (t) => go("traces", t.id), selected: (t) => t.id === id },
      ));
    }),
  ];
  if (id) {
    stops.push(watch("trace", { id }, (data) => {
      if (data.error) return clear(detail, card("Trace", h("div", { class: "empty" }, data.message)));
      if (!data.trace) return clear(detail, card("Trace", h("div", { class: "empty" }, `No trace of ${id}: no rule matched it, or it is older than ${Math.round(data.retention / 3600)} hours.`)));
      clear(detail, card(`Trace of ${id}`, drawTrace(data.trace)));
    }));
  }
  return () => stops.forEach((stop) => stop());
}

function drawTrace(trace) {
  if (trace.kind === "sns") {
    return h("div", { class: "trace-tree" },
      h("div", { class: "trace-step" }, h("div", { class: "what" }, `Published to ${shortArn(trace.topic)}`), h("div", { class: "muted small" }, fmtTime(trace.at))),
      (trace.subscriptions || []).map((s) => h("div", { class: "trace-step rule" }, h("div", { class: "what" }, `Subscription ${s.protocol} → ${shortArn(s.endpoint)}`), target(s))));
  }
  return h("div", { class: "trace-tree" },
    h("div", { class: "trace-step" },
      h("div", { class: "what" }, `${trace["detail-type"]} from ${trace.source}`),
      h("div", { class: "muted small" }, `accepted on bus ${trace.bus} at ${fmtTime(trace.at)}${trace["replay-name"] ? ` (replay ${trace["replay-name"]})` : ""}`)),
    trace.rules.map((rule) => h("div", { class: "trace-step rule", "data-rule": rule.name },
      h("div", { class: "what" }, "Matched rule ", h("a", { href: "#/buses" }, rule.name), rule.bus && rule.bus !== trace.bus ? h("span", { class: "muted small" }, ` on bus ${rule.bus}`) : null),
      rule.targets.map((t) => target(t)))));
}

function target(t) {
  const lines = [];
  const where = shortArn(t.arn || t.endpoint);
  if (t.executionArn) {
    lines.push(h("div", { class: "row" }, "Started execution ", h("a", { href: `#/executions/${encodeURIComponent(t.executionArn)}`, class: "mono", "data-execution": t.executionArn }, shortArn(t.executionArn)), t.execution ? badge(t.execution.status) : null));
  }
  if (t.MessageId) {
    const queue = String(t.arn || t.endpoint || "").startsWith("arn:aws:sqs:");
    lines.push(h("div", { class: "row" }, queue ? "Queue message " : "Topic message ", queue ? h("a", { href: `#/queues/${encodeURIComponent(where)}`, class: "mono", "data-message": t.MessageId }, t.MessageId) : h("a", { href: `#/traces/${t.MessageId}`, class: "mono" }, t.MessageId)));
  }
  if (t.SequenceNumber) {
    lines.push(h("div", { class: "row" }, "Stream record ", h("a", { href: `#/streams/${encodeURIComponent(where)}`, class: "mono", "data-record": t.SequenceNumber }, `${t.ShardId} · …${t.SequenceNumber.slice(-12)}`)));
  }
  for (const a of t.attempts || []) {
    lines.push(h("div", { class: "small muted" }, `attempt ${a.attempt} at ${fmtTime(a.at)}: ${a.status}${a.error ? " — " + a.error : ""}`));
  }
  return h("div", { class: "trace-target", "data-target": t.id || t.arn },
    h("div", { class: "row" }, h("b", {}, t.id ? `${t.id} → ${where}` : where), badge(t.status)),
    lines,
    t.trace ? h("div", { style: "margin-top:8px" }, drawTrace(t.trace)) : null);
}

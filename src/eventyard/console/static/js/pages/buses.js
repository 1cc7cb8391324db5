// Buses and rules: rules with their targets, a pattern editor with its tester, test events, a live tail
// of the events a pattern matches, archives and replays.
import { post, tail, watch } from "../api.js";
import { badge, card, clear, fmtTime, h, pretty, shortArn, table, toast } from "../dom.js";

const SAMPLE_EVENT = {
  source: "com.example.orders",
  "detail-type": "OrderCreated",
  detail: { orderId: "o-1001", total: 42.5, currency: "EUR", inStock: true, items: [1, 2] },
};
const SAMPLE_PATTERN = { source: ["com.example.orders"], "detail-type": ["OrderCreated"] };

export async function render(root) {
  let selectedRule = null;
  const rules = h("div", {}, h("div", { class: "empty" }, "Loading…"));
  const archives = h("div", {});
  const pattern = h("textarea", { id: "pattern", spellcheck: "false" }, JSON.stringify(SAMPLE_PATTERN, null, 2));
  const event = h("textarea", { id: "event", spellcheck: "false" }, JSON.stringify(SAMPLE_EVENT, null, 2));
  const verdict = h("div", { id: "verdict" });
  const busSelect = h("select", { id: "bus" }, h("option", { value: "default" }, "default"));
  const editing = h("span", { class: "muted small" }, "a new pattern");

  const parse = (text, what) => {
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`The ${what} is not valid JSON.`);
    }
  };
  const attempt = async (work) => {
    try {
      await work();
    } catch (error) {
      toast(error.message, true);
    }
  };

  const test = () => attempt(async () => {
    const answer = await post("bus/test-pattern", { pattern: pattern.value, event: parse(event.value, "event") });
    clear(verdict, h("div", { class: `result ${answer.Result ? "yes" : "no"}` }, answer.Result ? "✓ The pattern matches this event" : "✗ The pattern does not match this event"));
  });
  const send = () => attempt(async () => {
    const given = parse(event.value, "event");
    const answer = await post("bus/put-events", {
      bus: busSelect.value,
      source: given.source,
      detailType: given["detail-type"],
      detail: given.detail || {},
      resources: given.resources,
    });
    const entry = answer.Entries[0];
    if (entry.ErrorCode) throw new Error(entry.ErrorMessage);
    toast(`Sent event ${entry.EventId}`);
    lastSent.replaceChildren("Last sent: ", h("a", { href: `#/traces/${entry.EventId}` }, entry.EventId));
  });
  const save = () => attempt(async () => {
    if (!selectedRule) throw new Error("Choose a rule in the list first.");
    await post("bus/put-rule", { name: selectedRule.Name, bus: selectedRule.EventBusName, pattern: pattern.value, state: selectedRule.State });
    toast(`Saved the pattern of ${selectedRule.Name}`);
  });
  const lastSent = h("div", { class: "small muted", id: "last-sent" });

  // The live tail
  const tailList = h("div", { class: "tail", id: "tail" }, h("div", { class: "empty" }, "Start the tail to see events as they arrive."));
  const tailButton = h("button", { id: "tail-toggle", class: "secondary" }, "Start tail");
  let stopTail = null;
  let seen = 0;
  const toggleTail = () => {
    if (stopTail) {
      stopTail();
      stopTail = null;
      tailList.removeAttribute("data-ready");
      tailButton.textContent = "Start tail";
      return;
    }
    seen = 0;
    tailList.removeAttribute("data-ready");
    clear(tailList, h("div", { class: "empty", id: "tail-waiting" }, `Waiting for events on ${busSelect.value} that match the pattern…`));
    stopTail = tail(busSelect.value, pattern.value, (arrived) => {
      if (!seen++) clear(tailList);
      tailList.prepend(
        h("div", { class: "tail-item", "data-event-id": arrived.id },
          h("div", { class: "head" }, badge("matched"), h("b", {}, arrived["detail-type"]), h("span", { class: "muted" }, arrived.source), h("span", { class: "muted" }, arrived.time), h("a", { href: `#/traces/${arrived.id}` }, "trace")),
          h("pre", {}, pretty(arrived.detail))),
      );
    }, (problem) => {
      toast(problem.message, true);
      toggleTail();
    }, () => tailList.setAttribute("data-ready", "true"));
    tailButton.textContent = "Stop tail";
  };
  tailButton.addEventListener("click", toggleTail);

  root.append(
    h("div", { class: "two" },
      h("div", { class: "stack" }, card("Rules", rules), card("Archives and replays", archives)),
      h("div", { class: "stack" },
        card("Pattern editor", h("div", { class: "stack" },
          h("div", { class: "row" }, h("span", { class: "small" }, "Editing:"), editing),
          h("label", {}, "Event pattern", pattern),
          h("label", {}, "Event (the envelope's other fields are filled in)", event),
          h("div", { class: "row" },
            h("button", { id: "test-pattern", onclick: test }, "Test pattern"),
            h("button", { class: "secondary", id: "send-event", onclick: send }, "Send test event"),
            h("button", { class: "secondary", id: "save-rule", onclick: save }, "Save to rule"),
            h("span", { class: "muted small", style: "margin-left:auto" }, "on bus"), busSelect),
          verdict, lastSent)),
        card("Live tail", h("div", { class: "stack" }, h("div", { class: "row" }, tailButton, h("span", { class: "muted small" }, "Events on the chosen bus that match the pattern above, as they are accepted.")), tailList)),
      ),
    ),
  );

  const stopWatch = watch("buses", {}, (data) => {
    if (data.error) return clear(rules, h("div", { class: "empty" }, data.message));
    const all = data.buses.flatMap((bus) => bus.Rules.map((rule) => ({ ...rule, EventBusName: bus.Name })));
    const chosen = busSelect.value;
    clear(busSelect, data.buses.map((bus) => h("option", { value: bus.Name, selected: bus.Name === chosen }, bus.Name)));
    clear(rules, table(
      [
        { title: "Rule", value: (r) => h("b", {}, r.Name) },
        { title: "Bus", value: (r) => r.EventBusName },
        { title: "Matches", value: (r) => h("code", {}, r.EventPattern ? summary(r.EventPattern) : r.ScheduleExpression || "") },
        { title: "Targets", value: (r) => r.Targets.map((t) => h("div", { class: "small" }, `${t.Id} → ${shortArn(t.Arn)}`)) },
        { title: "State", value: (r) => badge(r.State || "ENABLED") },
      ],
      all,
      {
        empty: "No rules yet. PutRule and PutTargets create them.",
        selected: (r) => selectedRule && r.Name === selectedRule.Name && r.EventBusName === selectedRule.EventBusName,
        onRow: (r) => {
          selectedRule = r;
          if (r.EventPattern) pattern.value = pretty(r.EventPattern);
          busSelect.value = r.EventBusName;
          editing.textContent = `${r.Name} on ${r.EventBusName}`;
          for (const row of rules.querySelectorAll("tr.selected")) row.classList.remove("selected");
        },
      },
    ));
    clear(archives,
      h("h3", {}, "Archives"),
      table([
        { title: "Archive", value: (a) => h("b", {}, a.ArchiveName) },
        { title: "Bus", value: (a) => shortArn(a.EventSourceArn) },
        { title: "Events", num: true, value: (a) => a.EventCount ?? 0 },
        { title: "State", value: (a) => badge(a.State || "ENABLED") },
        { title: "", value: (a) => h("button", { class: "secondary", onclick: () => replay(a) }, "Replay last hour") },
      ], data.archives, { empty: "No archives." }),
      h("h3", {}, "Replays"),
      table([
        { title: "Replay", value: (r) => r.ReplayName },
        { title: "From", value: (r) => shortArn(r.EventSourceArn) },
        { title: "Window", value: (r) => `${fmtTime(r.EventStartTime)} – ${fmtTime(r.EventEndTime)}` },
        { title: "State", value: (r) => badge(r.State) },
      ], data.replays, { empty: "No replays." }),
    );
  });

  const replay = (archive) => attempt(async () => {
    const now = Date.now() / 1000;
    const answer = await post("bus/start-replay", { archive: archive.ArchiveName, name: `console-${Math.floor(now)}`, start: now - 3600, end: now });
    toast(`Replay ${answer.ReplayArn ? shortArn(answer.ReplayArn) : ""} ${answer.State || "started"}`);
  });

  return () => {
    stopWatch();
    if (stopTail) stopTail();
  };
}

function summary(patternText) {
  try {
    const p = JSON.parse(patternText);
    return Object.entries(p).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ").slice(0, 90);
  } catch {
    return patternText;
  }
}


// Queues: depth, in flight, delayed, dead-letter queues; peek, send, purge, and redrive from a DLQ.
import { post, watch } from "../api.js";
import { badge, card, clear, fmtTime, h, pretty, shortArn, table, toast } from "../dom.js";

export async function render(root, name, { go }) {
  const list = h("div", {}, h("div", { class: "empty" }, "Loading…"));
  const detail = h("div", { class: "stack" });
  root.append(h("div", { class: name ? "two detail" : "" }, card("Queues", list), name ? detail : null));
  const stops = [
    watch("queues", {}, (data) => {
      if (data.error) return clear(list, h("div", { class: "empty" }, data.message));
      clear(list, table(
        [
          { title: "Queue", value: (q) => h("b", {}, q.name, q.fifo ? h("span", { class: "badge" }, "FIFO") : null) },
          { title: "Visible", num: true, value: (q) => q.visible },
          { title: "In flight", num: true, value: (q) => q.in_flight },
          { title: "Delayed", num: true, value: (q) => q.delayed },
          { title: "Dead letters to", value: (q) => (q.dlq ? shortArn(q.dlq) : q.is_dlq ? badge("is a DLQ") : "") },
        ],
        data.queues,
        { empty: "No queues yet.", onRow: (q) => go("queues", q.name), selected: (q) => q.name === name },
      ));
    }),
  ];
  if (name) stops.push(showQueue(detail, name));
  return () => stops.forEach((stop) => stop());
}

function showQueue(root, name) {
  const stats = h("div", { class: "stats" });
  const messages = h("div", {});
  const moves = h("div", {});
  const body = h("textarea", { id: "message-body", spellcheck: "false" }, JSON.stringify({ hello: "from the console" }, null, 2));
  const group = h("input", { id: "message-group", placeholder: "MessageGroupId (FIFO)" });
  const actions = h("div", { class: "row" });
  let queue = null;
  const attempt = async (work) => {
    try {
      await work();
    } catch (error) {
      toast(error.message, true);
    }
  };
  const send = () => attempt(async () => {
    const answer = await post("queue/send", { name, body: body.value, MessageGroupId: group.value || undefined, MessageDeduplicationId: queue?.fifo ? String(Date.now()) : undefined });
    toast(`Sent message ${answer.MessageId}`);
  });
  const purge = () => attempt(async () => {
    if (!confirm(`Delete every message of ${name}?`)) return;
    await post("queue/purge", { name });
    toast(`Purged ${name}`);
  });
  const redrive = () => attempt(async () => {
    const answer = await post("queue/redrive", { name });
    toast(`Redrive started (${shortArn(answer.TaskHandle || "")})`);
  });
  root.append(
    card(`Queue ${name}`, stats, h("div", { class: "row", style: "margin-top:12px" }, actions)),
    card("Messages", h("p", { class: "muted small" }, "A look at the queue, oldest first: peeking neither receives nor hides a message."), messages),
    card("Send a message", h("div", { class: "stack" }, body, h("div", { class: "row" }, group, h("button", { id: "send-message", onclick: send }, "Send")))),
    card("Message move tasks", moves),
  );
  return watch("queue", { name }, (data) => {
    if (data.error) return clear(stats, h("div", { class: "empty" }, data.message));
    queue = data.queue;
    const stat = (label, value) => h("div", { class: "stat" }, h("b", {}, value), h("span", {}, label));
    clear(stats, stat("Visible", queue.visible), stat("In flight", queue.in_flight), stat("Delayed", queue.delayed),
      stat("Dead-letter queue", queue.dlq ? shortArn(queue.dlq) : "—"), queue.max_receives ? stat("Max receives", queue.max_receives) : null);
    clear(actions,
      h("button", { class: "danger", id: "purge", onclick: purge }, "Purge"),
      queue.is_dlq ? h("button", { id: "redrive", onclick: redrive }, "Redrive to source queues") : null,
      queue.is_dlq ? h("span", { class: "muted small" }, `receives dead letters of ${data.sources.map(shortArn).join(", ")}`) : null);
    clear(messages, table(
      [
        { title: "Message", value: (m) => h("div", { class: "small" }, h("code", { title: m.MessageId }, m.MessageId.slice(0, 8)), h("div", { class: "muted" }, fmtTime(m.SentTimestamp))) },
        { title: "State", value: (m) => badge(m.State.replace(" ", "_")) },
        { title: "Receives", num: true, value: (m) => m.ReceiveCount },
        { title: "Body", value: (m) => h("pre", {}, pretty(m.Body)) },
      ],
      data.messages,
      { empty: "The queue is empty." },
    ));
    clear(moves, table(
      [
        { title: "Status", value: (t) => badge(t.Status) },
        { title: "Destination", value: (t) => (t.DestinationArn ? shortArn(t.DestinationArn) : "source queues") },
        { title: "Moved", num: true, value: (t) => `${t.ApproximateNumberOfMessagesMoved ?? 0} / ${t.ApproximateNumberOfMessagesToMove ?? "?"}` },
        { title: "Started", value: (t) => fmtTime((t.StartedTimestamp || 0) / 1000) },
      ],
      data.moves,
      { empty: "No move task from this queue." },
    ));
  });
}

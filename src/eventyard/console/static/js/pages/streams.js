// Streams: shards and their lineage, a record browser by sequence number or time, consumers.
import { get, watch } from "../api.js";
import { badge, card, clear, fmtTime, h, pretty, table, toast } from "../dom.js";

export async function render(root, name, { go }) {
  const list = h("div", {}, h("div", { class: "empty" }, "Loading…"));
  const detail = h("div", { class: "stack" });
  root.append(h("div", { class: name ? "two detail" : "" }, card("Streams", list), name ? detail : null));
  const stops = [
    watch("streams", {}, (data) => {
      if (data.error) return clear(list, h("div", { class: "empty" }, data.message));
      clear(list, table(
        [
          { title: "Stream", value: (s) => h("b", {}, s.StreamName) },
          { title: "Status", value: (s) => badge(s.StreamStatus) },
          { title: "Open shards", num: true, value: (s) => s.OpenShardCount },
          { title: "Consumers", num: true, value: (s) => s.ConsumerCount ?? 0 },
          { title: "Retention", num: true, value: (s) => `${s.RetentionPeriodHours} h` },
        ],
        data.streams,
        { empty: "No streams yet.", onRow: (s) => go("streams", s.StreamName), selected: (s) => s.StreamName === name },
      ));
    }),
  ];
  if (name) stops.push(showStream(detail, name));
  return () => stops.forEach((stop) => stop());
}

function lineage(shards) {
  const byId = Object.fromEntries(shards.map((s) => [s.ShardId, s]));
  const depth = (s) => (s.ParentShardId && byId[s.ParentShardId] ? 1 + depth(byId[s.ParentShardId]) : 0);
  return shards.map((s) => ({ ...s, depth: depth(s), open: !s.SequenceNumberRange?.EndingSequenceNumber }));
}

function showStream(root, name) {
  const shardsBox = h("div", {});
  const consumers = h("div", {});
  const records = h("div", {}, h("div", { class: "empty" }, "Choose a shard and where to start."));
  const shardSelect = h("select", { id: "shard" });
  const from = h("select", { id: "from" }, ["oldest", "sequence number", "time"].map((f) => h("option", { value: f }, f)));
  const at = h("input", { id: "at", placeholder: "sequence number, or a time like 2026-01-01T12:00:00Z", size: 44 });
  let last = null;
  const browse = async (more = false) => {
    try {
      const params = { name, shard: shardSelect.value, limit: 25 };
      if (more && last) params.after = last;
      else if (from.value === "sequence number") params.sequence = at.value.trim();
      else if (from.value === "time") params.time = Date.parse(at.value.trim()) / 1000;
      const data = await get("stream/records", params);
      if (data.records.length) last = data.records[data.records.length - 1].SequenceNumber;
      clear(records, table(
        [
          { title: "Record", value: (r) => h("div", { class: "small" }, h("code", { title: r.SequenceNumber }, "…" + r.SequenceNumber.slice(-12)), h("div", { class: "muted" }, `key ${r.PartitionKey}`), h("div", { class: "muted" }, fmtTime(r.ApproximateArrivalTimestamp))) },
          { title: "Data", value: (r) => h("pre", {}, pretty(r.Data)) },
        ],
        data.records,
        { empty: "No records there." },
      ), data.records.length ? h("div", { class: "row", style: "margin-top:10px" }, h("button", { class: "secondary", onclick: () => browse(true) }, "Next records")) : null);
    } catch (error) {
      toast(error.message, true);
    }
  };
  root.append(
    card(`Shards of ${name}`, shardsBox),
    card("Records", h("div", { class: "stack" }, h("div", { class: "row" }, h("label", {}, "Shard", shardSelect), h("label", {}, "From", from), h("label", {}, "At", at), h("button", { id: "browse", onclick: () => browse(false), style: "align-self:flex-end" }, "Browse")), records)),
    card("Consumers", consumers),
  );
  return watch("stream", { name }, (data) => {
    if (data.error) return clear(shardsBox, h("div", { class: "empty" }, data.message));
    const shards = lineage(data.shards);
    const chosen = shardSelect.value;
    clear(shardSelect, shards.map((s) => h("option", { value: s.ShardId, selected: s.ShardId === chosen }, s.ShardId)));
    clear(shardsBox, table(
      [
        { title: "Shard", mono: true, value: (s) => h("span", { style: `padding-left:${s.depth * 18}px` }, s.depth ? "└ " : "", s.ShardId) },
        { title: "State", value: (s) => badge(s.open ? "ACTIVE" : "CLOSED") },
        { title: "Parents", mono: true, value: (s) => [s.ParentShardId, s.AdjacentParentShardId].filter(Boolean).join(" + ") },
        { title: "Hash keys", mono: true, value: (s) => `${short(s.HashKeyRange.StartingHashKey)} – ${short(s.HashKeyRange.EndingHashKey)}` },
      ],
      shards,
    ));
    clear(consumers, table(
      [
        { title: "Consumer", value: (c) => c.ConsumerName },
        { title: "Status", value: (c) => badge(c.ConsumerStatus) },
        { title: "Since", value: (c) => fmtTime(c.ConsumerCreationTimestamp) },
      ],
      data.consumers,
      { empty: "No registered consumers (RegisterStreamConsumer)." },
    ));
  });
}

function short(key) {
  return key.length > 12 ? `${key.slice(0, 5)}…${key.slice(-4)}` : key;
}

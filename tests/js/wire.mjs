// A second client over the wire: the AWS SDK for JavaScript v3, with its own serializers, parsers
// and checksums (SQS's MD5 of bodies and attributes), against an Eventyard endpoint.
// `node wire.mjs http://127.0.0.1:PORT SERVICE` prints one JSON object of what it saw; any SDK
// error (a parse failure, a checksum mismatch) exits 1 with the error on stderr.
import { SQSClient, CreateQueueCommand, SendMessageCommand, SendMessageBatchCommand, ReceiveMessageCommand,
  DeleteMessageBatchCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand, ListSubscriptionsByTopicCommand,
  GetTopicAttributesCommand } from "@aws-sdk/client-sns";
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand, PutEventsCommand, ListRulesCommand }
  from "@aws-sdk/client-eventbridge";
import { SFNClient, CreateStateMachineCommand, StartExecutionCommand, DescribeExecutionCommand,
  GetExecutionHistoryCommand, ListExecutionsCommand } from "@aws-sdk/client-sfn";
import { KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand, PutRecordCommand,
  ListShardsCommand, GetShardIteratorCommand, GetRecordsCommand, RegisterStreamConsumerCommand,
  DescribeStreamConsumerCommand, SubscribeToShardCommand } from "@aws-sdk/client-kinesis";

import { LambdaClient, CreateFunctionCommand, GetFunctionCommand, InvokeCommand, PublishVersionCommand,
  CreateAliasCommand, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { execFileSync } from "node:child_process";
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [endpoint, service] = process.argv.slice(2);
const config = {
  endpoint, region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
};
// every failure names the command that failed
const origin = (Client) => {
  const send = Client.prototype.send;
  Client.prototype.send = async function named(command, ...rest) {
    try {
      return await send.call(this, command, ...rest);
    } catch (error) {
      error.message = `${command.constructor.name}: ${error.message}`;
      throw error;
    }
  };
};
[SQSClient, SNSClient, EventBridgeClient, SFNClient, KinesisClient, LambdaClient].forEach(origin);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const unique = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;

async function queue(sqs, name, attributes = {}) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  return { url: QueueUrl, arn: Attributes.QueueArn };
}

async function drain(sqs, url, want, names = ["All"]) {
  const got = [];
  for (let i = 0; i < 50 && got.length < want; i++) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"],
      MessageSystemAttributeNames: names,
    }));
    got.push(...Messages);
    if (Messages.length) {
      await sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: url, Entries: Messages.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle })),
      }));
    }
  }
  return got;
}

const scenarios = {
  async sqs() {
    const sqs = new SQSClient(config);
    const plain = await queue(sqs, `js-plain-${unique}`);
    const attributes = {
      kind: { DataType: "String", StringValue: "order" },
      total: { DataType: "Number", StringValue: "12.5" },
      raw: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 250]) },
    };
    const sent = await sqs.send(new SendMessageCommand({
      QueueUrl: plain.url, MessageBody: "héllo wörld ✓", MessageAttributes: attributes,
    }));
    const batch = await sqs.send(new SendMessageBatchCommand({
      QueueUrl: plain.url,
      Entries: [0, 1, 2].map((n) => ({ Id: `e${n}`, MessageBody: `batch ${n}`, MessageAttributes: attributes })),
    }));
    const received = await drain(sqs, plain.url, 4);
    const fifo = await queue(sqs, `js-${unique}.fifo`, { FifoQueue: "true", ContentBasedDeduplication: "true" });
    for (const n of [1, 2, 3]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: fifo.url, MessageBody: `f${n}`, MessageGroupId: "g" }));
    }
    const ordered = await drain(sqs, fifo.url, 3);
    return {
      sentMd5: sent.MD5OfMessageBody,
      batchSuccessful: batch.Successful.length,
      batchFailed: (batch.Failed || []).length,
      bodies: received.map((m) => m.Body).sort(),
      binary: Array.from(received[0].MessageAttributes.raw.BinaryValue),
      sentTimestampIsNumber: /^\d+$/.test(received[0].Attributes.SentTimestamp),
      fifoOrder: ordered.map((m) => m.Body),
      fifoGroups: ordered.map((m) => m.Attributes.MessageGroupId),
    };
  },

  async sns() {
    const sqs = new SQSClient(config);
    const sns = new SNSClient(config);
    const target = await queue(sqs, `js-sub-${unique}`);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `js-topic-${unique}`, Tags: [{ Key: "t", Value: "1" }] }));
    const { SubscriptionArn } = await sns.send(new SubscribeCommand({
      TopicArn, Protocol: "sqs", Endpoint: target.arn, ReturnSubscriptionArn: true,
    }));
    const published = await sns.send(new PublishCommand({
      TopicArn, Message: "ship it", Subject: "order",
      MessageAttributes: { kind: { DataType: "String", StringValue: "order" } },
    }));
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    const attributes = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    const [message] = await drain(sqs, target.url, 1);
    const envelope = JSON.parse(message.Body);
    return {
      topicArn: TopicArn,
      subscriptionArn: SubscriptionArn,
      listed: listed.Subscriptions.map((s) => s.SubscriptionArn),
      confirmed: attributes.Attributes.SubscriptionsConfirmed,
      messageId: published.MessageId,
      envelope: { Type: envelope.Type, MessageId: envelope.MessageId, Message: envelope.Message,
        Subject: envelope.Subject, kind: envelope.MessageAttributes.kind.Value },
    };
  },

  async events() {
    const sqs = new SQSClient(config);
    const events = new EventBridgeClient(config);
    const target = await queue(sqs, `js-rule-${unique}`);
    const rule = `js-rule-${unique}`;
    const { RuleArn } = await events.send(new PutRuleCommand({
      Name: rule, EventPattern: JSON.stringify({ source: ["js.orders"], "detail-type": ["OrderCreated"] }),
    }));
    const targets = await events.send(new PutTargetsCommand({ Rule: rule, Targets: [{ Id: "q", Arn: target.arn }] }));
    const put = await events.send(new PutEventsCommand({ Entries: [
      { Source: "js.orders", DetailType: "OrderCreated", Detail: JSON.stringify({ order: "o-1" }) },
      { Source: "js.other", DetailType: "OrderCreated", Detail: "{}" },
    ] }));
    const rules = await events.send(new ListRulesCommand({ NamePrefix: rule }));
    const delivered = await drain(sqs, target.url, 1);
    const event = JSON.parse(delivered[0].Body);
    return {
      ruleArn: RuleArn,
      failedTargets: targets.FailedEntryCount,
      failedEvents: put.FailedEntryCount,
      eventIds: put.Entries.map((e) => Boolean(e.EventId)),
      rules: rules.Rules.map((r) => r.Name),
      delivered: delivered.length,
      event: { id: event.id === put.Entries[0].EventId, source: event.source, order: event.detail.order },
    };
  },

  async stepfunctions() {
    const sfn = new SFNClient(config);
    const definition = {
      StartAt: "Shape",
      States: {
        Shape: { Type: "Pass", Parameters: { "order.$": "$.order", "n.$": "States.MathAdd($.n, 1)" }, Next: "Pause" },
        Pause: { Type: "Wait", Seconds: 1, Next: "Done" },
        Done: { Type: "Succeed" },
      },
    };
    const { stateMachineArn, creationDate } = await sfn.send(new CreateStateMachineCommand({
      name: `js-machine-${unique}`, definition: JSON.stringify(definition),
      roleArn: "arn:aws:iam::000000000000:role/sfn",
    }));
    const { executionArn, startDate } = await sfn.send(new StartExecutionCommand({
      stateMachineArn, name: "first", input: JSON.stringify({ order: "o-1", n: 41 }),
    }));
    let described;
    for (let i = 0; i < 100; i++) {
      described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (described.status !== "RUNNING") break;
      await sleep(100);
    }
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "SUCCEEDED" }));
    return {
      creationDateIsDate: creationDate instanceof Date && !Number.isNaN(creationDate.getTime()),
      startDateIsDate: startDate instanceof Date,
      status: described.status,
      output: JSON.parse(described.output),
      stopAfterStart: described.stopDate.getTime() >= described.startDate.getTime(),
      events: history.events.map((e) => e.type),
      eventTimestampsAreDates: history.events.every((e) => e.timestamp instanceof Date),
      listed: listed.executions.map((e) => e.name),
    };
  },

  async kinesis() {
    // The SDK's Kinesis client speaks HTTP/2 (prior knowledge over http://), for every operation;
    // `kinesis-http1` gives it the HTTP/1.1 handler the other clients use: both must work.
    const kinesis = service === "kinesis-http1"
      ? new KinesisClient({ ...config, requestHandler: new NodeHttpHandler() }) : new KinesisClient(config);
    const StreamName = `js-stream-${unique}`;
    await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 2 }));
    let summary;
    for (let i = 0; i < 100; i++) {
      summary = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }))).StreamDescriptionSummary;
      if (summary.StreamStatus === "ACTIVE") break;
      await sleep(100);
    }
    const encoder = new TextEncoder();
    const put = await kinesis.send(new PutRecordsCommand({
      StreamName,
      Records: Array.from({ length: 20 }, (_, n) => ({ PartitionKey: `key-${n}`, Data: encoder.encode(`record ${n}`) })),
    }));
    const single = await kinesis.send(new PutRecordCommand({
      StreamName, PartitionKey: "solo", Data: new Uint8Array([0, 255, 7]),
    }));
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName }));
    const data = [];
    let arrivalIsDate = true;
    for (const shard of Shards) {
      const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({
        StreamName, ShardId: shard.ShardId, ShardIteratorType: "TRIM_HORIZON",
      }));
      const got = await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 100 }));
      for (const record of got.Records) {
        data.push(Array.from(record.Data));
        arrivalIsDate &&= record.ApproximateArrivalTimestamp instanceof Date;
      }
    }
    const decoder = new TextDecoder();
    // enhanced fan-out: SubscribeToShard's event stream, read until it has every record of shard 0
    const { StreamARN } = summary;
    const { Consumer } = await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN, ConsumerName: "js" }));
    for (let i = 0; i < 100; i++) {
      const { ConsumerDescription } = await kinesis.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer.ConsumerARN }));
      if (ConsumerDescription.ConsumerStatus === "ACTIVE") break;
      await sleep(100);
    }
    const subscription = await kinesis.send(new SubscribeToShardCommand({
      ConsumerARN: Consumer.ConsumerARN, ShardId: Shards[0].ShardId, StartingPosition: { Type: "TRIM_HORIZON" },
    }));
    const wanted = (await kinesis.send(new GetRecordsCommand({ ShardIterator: (await kinesis.send(
      new GetShardIteratorCommand({ StreamName, ShardId: Shards[0].ShardId, ShardIteratorType: "TRIM_HORIZON" })
    )).ShardIterator }))).Records.length;
    const subscribed = [];
    for await (const event of subscription.EventStream) {
      if (event.SubscribeToShardEvent) {
        subscribed.push(...event.SubscribeToShardEvent.Records.map((r) => r.SequenceNumber));
        if (subscribed.length >= wanted) break;
      }
    }
    return {
      subscribed: subscribed.length,
      subscribedWanted: wanted,
      status: summary.StreamStatus,
      openShards: summary.OpenShardCount,
      failed: put.FailedRecordCount,
      sequenceNumbers: put.Records.every((r) => /^\d{56}$/.test(r.SequenceNumber)),
      singleShard: single.ShardId,
      shards: Shards.length,
      texts: data.filter((d) => d.length > 3).map((d) => decoder.decode(new Uint8Array(d))).sort(),
      binary: data.filter((d) => d.length === 3),
      arrivalIsDate,
    };
  },
};

scenarios.lambda = async () => {
  const lambda = new LambdaClient(config);
  // a zip made by Python's zipfile (node has no zip writer of its own)
  const folder = mkdtempSync(join(tmpdir(), "eventyard-js-"));
  const zip = join(folder, "code.zip");
  const source = [
    "import os",
    "def handler(event, context):",
    "    print('handling', event.get('order'))",
    "    if event.get('fail'):",
    "        raise ValueError('no such order')",
    "    return {'order': event['order'], 'function': context.function_name, 'greeting': os.environ['GREETING']}",
  ].join("\n");
  execFileSync("python3", ["-c", `import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z: z.writestr("app.py", sys.argv[2])`, zip, source]);
  const FunctionName = `js-fn-${unique}`;
  const created = await lambda.send(new CreateFunctionCommand({
    FunctionName, Runtime: "python3.12", Handler: "app.handler", Role: "arn:aws:iam::000000000000:role/fn",
    Code: { ZipFile: readFileSync(zip) }, Environment: { Variables: { GREETING: "hej" } },
  }));
  for (let i = 0; i < 100; i++) {
    const { Configuration } = await lambda.send(new GetFunctionCommand({ FunctionName }));
    if (Configuration.State === "Active") break;
    await sleep(100);
  }
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const ok = await lambda.send(new InvokeCommand({
    FunctionName, Payload: encoder.encode(JSON.stringify({ order: "o-1" })), LogType: "Tail",
  }));
  const failed = await lambda.send(new InvokeCommand({
    FunctionName, Payload: encoder.encode(JSON.stringify({ order: "o-2", fail: true })),
  }));
  const version = await lambda.send(new PublishVersionCommand({ FunctionName }));
  const alias = await lambda.send(new CreateAliasCommand({ FunctionName, Name: "live", FunctionVersion: version.Version }));
  const viaAlias = await lambda.send(new InvokeCommand({
    FunctionName, Qualifier: "live", Payload: encoder.encode(JSON.stringify({ order: "o-3" })),
  }));
  const queued = await lambda.send(new InvokeCommand({ FunctionName, InvocationType: "Event", Payload: encoder.encode("{}") }));
  const listed = await lambda.send(new ListFunctionsCommand({}));
  const log = Buffer.from(ok.LogResult, "base64").toString();
  return {
    functionArn: created.FunctionArn,
    status: ok.StatusCode,
    result: JSON.parse(decoder.decode(ok.Payload)),
    logHas: ["START RequestId:", "END RequestId:", "REPORT RequestId:", "handling o-1"].filter((line) => log.includes(line)),
    executedVersion: ok.ExecutedVersion,
    functionError: failed.FunctionError,
    error: (({ errorMessage, errorType }) => ({ errorMessage, errorType }))(JSON.parse(decoder.decode(failed.Payload))),
    version: version.Version,
    aliasArn: alias.AliasArn,
    aliasVersion: viaAlias.ExecutedVersion,
    aliasResult: JSON.parse(decoder.decode(viaAlias.Payload)).order,
    eventStatus: queued.StatusCode,
    listed: listed.Functions.some((f) => f.FunctionName === FunctionName),
  };
};

scenarios["kinesis-http1"] = scenarios.kinesis;

try {
  console.log(JSON.stringify(await scenarios[service]()));
  process.exit(0);  // an HTTP/2 session may keep the event loop alive
} catch (error) {
  console.error(`${error.name}: ${error.message}\n${error.stack}`);
  process.exit(1);
}

"""Publish -> SNS topic -> SQS subscriptions, end to end, side by side with ministack (and moto when installed).

wrk sends Publish (the query protocol, one message per call) to a topic with 1 and with 10 SQS
subscriptions (the default JSON envelope, signed where the server signs). The clock runs from the
first request until every subscribed queue holds every accepted message: the figure is messages
delivered per second (publishes x subscriptions), so a server that accepts fast but delivers late
gains nothing.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import boto3
from botocore.config import Config

from bench.load import Request, run_load
from bench.servers import Running, eventyard, peer


def _clients(endpoint: str) -> tuple[Any, Any]:
    options = dict(
        endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}),
    )  # fmt: skip
    return boto3.client("sqs", **options), boto3.client("sns", **options)


def _request(topic_arn: str) -> Request:
    bodies = [
        urlencode({"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic_arn,
                   "Message": f'{{"order": "o-{variant}", "total": 100, "currency": "EUR"}}'}).encode()
        for variant in range(8)
    ]  # fmt: skip
    return Request("", bodies, content_type="application/x-www-form-urlencoded", scope="sns")


def _depth(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes.get("ApproximateNumberOfMessagesNotVisible", 0)
    )


def _measure(server: Running, subscriptions: int, seconds: float) -> tuple[float, float]:
    sqs, sns = _clients(server.endpoint)
    topic = sns.create_topic(Name=f"bench-topic-{subscriptions}")["TopicArn"]
    urls = []
    for n in range(subscriptions):
        url = sqs.create_queue(QueueName=f"bench-topic-{subscriptions}-{n}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        urls.append(url)
    started = time.perf_counter()
    result = run_load(server.endpoint, _request(topic), seconds=seconds)
    accepted = result.requests - result.errors
    expected = accepted * subscriptions
    deadline = time.perf_counter() + 120
    delivered = sum(_depth(sqs, url) for url in urls)
    while delivered < expected and time.perf_counter() < deadline:
        time.sleep(0.2)
        delivered = sum(_depth(sqs, url) for url in urls)
    elapsed = time.perf_counter() - started
    return result.rate, min(delivered, expected) / elapsed


def run(quick: bool = False) -> str:
    """Each server twice, interleaved (ours, a peer, ours, the peer), keeping each figure's best:
    on a shared two-core machine, load from elsewhere comes and goes within one run."""
    seconds = 2.0 if quick else 5.0
    rows: dict[str, dict[str, float]] = {}
    starters = [("eventyard", eventyard), ("ministack", lambda: peer("ministack")), ("moto", lambda: peer("moto"))]
    for _ in range(1 if quick else 2):
        for name, start in starters:
            server = start()
            if server is None:
                continue
            try:
                figures = rows.setdefault(name, {})
                for subscriptions in (1, 10):
                    published, delivered = _measure(server, subscriptions, seconds)
                    for figure, value in [
                        (f"{subscriptions} subscription(s): Publish calls/s", published),
                        (f"{subscriptions} subscription(s): delivered to SQS, messages/s", delivered),
                    ]:
                        figures[figure] = max(figures.get(figure, 0.0), value)
            finally:
                server.stop()
    peers = [p for p in rows if p != "eventyard"]
    lines = [
        "| figure | eventyard (SQLite, durable) | " + " | ".join(peers) + " | "
        + " | ".join(f"ratio vs {p}" for p in peers) + " |",
        "|---|" + "---:|" * (1 + 2 * len(peers)),
    ]  # fmt: skip
    for figure, ours in rows["eventyard"].items():
        cells = [f"{rows[p][figure]:,.0f}" for p in peers]
        ratios = [f"{ours / rows[p][figure]:.2f}x" if rows[p][figure] else "n/a" for p in peers]
        lines.append(f"| {figure} | {ours:,.0f} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return (
        "\n".join(lines)
        + "\n\n(32 wrk connections, one message per Publish; delivered = messages in the subscribed queues / time"
        " from first request to last delivery; best of two interleaved rounds)"
    )

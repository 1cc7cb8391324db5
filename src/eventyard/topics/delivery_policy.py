"""How SNS retries a failed delivery: its documented four phases, as a kernel :class:`RetryPolicy`.

AWS (sns-message-delivery-retries) retries in phases: an *immediate* phase without delay
(``numNoDelayRetries``), a *pre-backoff* phase at ``minDelayTarget`` (``numMinDelayRetries``), a
*backoff* phase whose delays grow from ``minDelayTarget`` to ``maxDelayTarget`` by the
``backoffFunction`` (linear, arithmetic, geometric or exponential), and a *post-backoff* phase at
``maxDelayTarget`` (``numMaxDelayRetries``); ``numRetries`` counts them all.

- HTTP/S endpoints follow the subscription's DeliveryPolicy, else the topic's ``http`` policy (unless
  ``disableSubscriptionOverrides``), else AWS's default: 3 retries 20 seconds apart.
- AWS-managed endpoints (SQS, Lambda, Firehose) follow AWS's fixed policy: 3 immediate retries, 2
  one second apart, 10 backing off from 1 to 20 seconds, then 100,000 twenty seconds apart (100,015
  retries over some 23 days).

AWS gives the phases but not the backoff curves' formulas; ours rise from the minimum delay at the
first backoff retry to the maximum at the last (linear in the retry number; arithmetic by partial
sums; geometric by a constant ratio; exponential by powers of two).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import orjson

from eventyard.kernel.delivery import RetryPolicy
from eventyard.topics.errors import invalid

DEFAULT_HTTP_RETRY = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}
DEFAULT_REQUEST_POLICY = {"headerContentType": "text/plain; charset=UTF-8"}
BACKOFF_FUNCTIONS = ("linear", "arithmetic", "geometric", "exponential")
MANAGED_MAX_AGE = 23 * 86_400.0


@dataclass(frozen=True, slots=True)
class PhasedRetry(RetryPolicy):
    """A RetryPolicy whose ``delay(retry)`` is the SNS schedule (``retry`` counts from 1)."""

    delays: tuple[float, ...] = ()
    last_delay: float = 0.0  # beyond ``delays`` (the long post-backoff phase of managed endpoints)

    def delay(self, retry: int) -> float:
        return self.delays[retry - 1] if 0 < retry <= len(self.delays) else self.last_delay


def schedule(retry: dict[str, Any]) -> PhasedRetry:
    """The retry schedule of one ``healthyRetryPolicy`` (defaults filled)."""
    policy = {**DEFAULT_HTTP_RETRY, **{k: v for k, v in retry.items() if v is not None}}
    low, high = float(policy["minDelayTarget"]), float(policy["maxDelayTarget"])
    total = int(policy["numRetries"])
    immediate, pre, post = (int(policy[k]) for k in ("numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries"))
    backing = max(0, total - immediate - pre - post)
    delays = [0.0] * immediate + [low] * pre
    delays += [_backoff(policy["backoffFunction"], low, high, k, backing) for k in range(1, backing + 1)]
    delays += [high] * post
    delays = delays[:total]
    return PhasedRetry(max_retries=total, max_age=sum(delays) + 3_600.0, delays=tuple(delays), last_delay=high)


def _backoff(function: str, low: float, high: float, k: int, n: int) -> float:
    if n <= 1 or high <= low:
        return high if n >= 1 else low
    t = (k - 1) / (n - 1)
    if function == "arithmetic":
        t = (k * (k - 1) / 2) / (n * (n - 1) / 2)
    elif function == "geometric":
        return low * (high / low) ** t if low > 0 else high * t
    elif function == "exponential":
        t = (2.0 ** (k - 1) - 1) / (2.0 ** (n - 1) - 1)
    return low + (high - low) * t


#: AWS's fixed policy for SQS, Lambda and Firehose endpoints (not changeable).
MANAGED = PhasedRetry(
    max_retries=100_015,
    max_age=MANAGED_MAX_AGE,
    delays=(0.0, 0.0, 0.0, 1.0, 1.0, *(_backoff("exponential", 1.0, 20.0, k, 10) for k in range(1, 11))),
    last_delay=20.0,
)


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    return value


def normalize(text: str, *, name: str = "DeliveryPolicy", topic: bool = True) -> str | None:
    """A DeliveryPolicy as SNS keeps it (AWS-recorded: nulls dropped, ``disableSubscriptionOverrides``
    added to a topic's ``http`` part); None for an empty value (the policy is removed)."""
    if text == "":
        return None
    try:
        policy = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise invalid(f"{name}: failed to parse JSON.")
    if not isinstance(policy, dict):
        raise invalid(f"{name}: must be a JSON object.")
    policy = _drop_nulls(policy)
    http = policy.get("http") if topic else policy
    if http is not None and not isinstance(http, dict):
        raise invalid(f"{name}: http must be a JSON object.")
    retry = (http or {}).get("defaultHealthyRetryPolicy" if topic else "healthyRetryPolicy")
    if retry is not None:
        _check_retry(retry, name)
    if topic and isinstance(http, dict):
        http.setdefault("disableSubscriptionOverrides", False)
    return orjson.dumps(policy).decode()


def _check_retry(retry: Any, name: str) -> None:
    if not isinstance(retry, dict):
        raise invalid(f"{name}: healthyRetryPolicy must be a JSON object.")
    merged = {**DEFAULT_HTTP_RETRY, **retry}
    for key in ("minDelayTarget", "maxDelayTarget", "numRetries", "numNoDelayRetries", "numMinDelayRetries",
                "numMaxDelayRetries"):  # fmt: skip
        value = merged[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise invalid(f"{name}: {key} must be a non-negative integer.")
    if merged["backoffFunction"] not in BACKOFF_FUNCTIONS:
        raise invalid(f"{name}: backoffFunction must be one of {', '.join(BACKOFF_FUNCTIONS)}.")
    if not 1 <= merged["minDelayTarget"] <= merged["maxDelayTarget"] <= 3_600:
        raise invalid(f"{name}: minDelayTarget must be at least 1 and at most maxDelayTarget, at most 3600.")
    if merged["numRetries"] > 100:
        raise invalid(f"{name}: numRetries must be at most 100.")
    if merged["numNoDelayRetries"] + merged["numMinDelayRetries"] + merged["numMaxDelayRetries"] > merged["numRetries"]:
        raise invalid(f"{name}: the phases' retries must not add up to more than numRetries.")


def effective_topic_policy(delivery_policy: str | None) -> dict[str, Any]:
    """A topic's EffectiveDeliveryPolicy: its ``http`` part over AWS's defaults."""
    given = orjson.loads(delivery_policy) if delivery_policy else {}
    http = dict(given.get("http") or {})
    return {
        "http": {
            "defaultHealthyRetryPolicy": {**DEFAULT_HTTP_RETRY, **(http.get("defaultHealthyRetryPolicy") or {})},
            "disableSubscriptionOverrides": bool(http.get("disableSubscriptionOverrides", False)),
            "defaultRequestPolicy": {**DEFAULT_REQUEST_POLICY, **(http.get("defaultRequestPolicy") or {})},
            **({"defaultThrottlePolicy": http["defaultThrottlePolicy"]} if "defaultThrottlePolicy" in http else {}),
        }
    }


def effective_subscription_policy(topic_policy: str | None, subscription_policy: str | None) -> dict[str, Any]:
    """An HTTP/S subscription's EffectiveDeliveryPolicy: its own over the topic's, unless the topic forbids it."""
    topic = effective_topic_policy(topic_policy)["http"]
    effective: dict[str, Any] = {
        "healthyRetryPolicy": copy.deepcopy(topic["defaultHealthyRetryPolicy"]),
        "requestPolicy": copy.deepcopy(topic["defaultRequestPolicy"]),
    }
    if "defaultThrottlePolicy" in topic:
        effective["throttlePolicy"] = topic["defaultThrottlePolicy"]
    if subscription_policy and not topic["disableSubscriptionOverrides"]:
        own = orjson.loads(subscription_policy)
        effective["healthyRetryPolicy"].update(own.get("healthyRetryPolicy") or {})
        effective["requestPolicy"].update(own.get("requestPolicy") or {})
        if own.get("throttlePolicy"):
            effective["throttlePolicy"] = own["throttlePolicy"]
    return effective


def http_retry(topic_policy: str | None, subscription_policy: str | None) -> tuple[PhasedRetry, str]:
    """The retry schedule and the Content-Type of an HTTP/S subscription's deliveries."""
    effective = effective_subscription_policy(topic_policy, subscription_policy)
    return schedule(effective["healthyRetryPolicy"]), str(effective["requestPolicy"]["headerContentType"])

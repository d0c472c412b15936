"""The original solution's wait, simulated from its published design: SQS redelivery and dead-letter replays.

The design (aws-samples/amazon-dynamodb-pitr-table-sync with the nested amazon-sqs-dlq-replay-backoff 2.0.0):
the restore's event reaches the main queue, whose 10 s delivery delay holds it back; the handler raises while
the restored table is not ACTIVE; the message becomes visible again after the queue's 300 s visibility timeout
and, with maxReceiveCount 1, moves to the dead-letter queue; a replay function sends it back to the main queue
with a delay drawn uniformly from 0 to 2^n x 2 seconds for replay n = 1..50 (the main queue adds its 10 s);
after replay 50 the message goes to a secondary dead-letter queue that nobody watches. SQS refuses a delay
above 900 s: the pinned version does not cap it, so the replay fails and the message is lost the same way; a
later version caps the delay at 900 s. Both are simulated here, with a seeded generator.

Time 0 is the restore call, and the event is taken to reach the queue at once: the trigger's own latency
(CloudTrail to EventBridge) is the same for both designs and left out of both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

QUEUE_DELAY_SECONDS = 10
VISIBILITY_TIMEOUT_SECONDS = 300
MAX_REPLAYS = 50
SQS_MAX_DELAY_SECONDS = 900
# Per check that fails: the handler's invocation, the replay function's invocation, the replay's SendMessage.
LAMBDA_INVOCATIONS_PER_FAILED_CHECK = 2
SQS_REQUESTS_PER_FAILED_CHECK = 1


@dataclass(frozen=True)
class Variant:
    name: str
    capped: bool


UNCAPPED = Variant("original 2.0.0 (delay not capped)", capped=False)
CAPPED = Variant("original, delay capped at 900 s", capped=True)
VARIANTS = (UNCAPPED, CAPPED)


@dataclass(frozen=True)
class Outcome:
    """One restore followed by the original design: its checks, and when it noticed or gave up."""

    checks: list[float]
    detected_at: float | None
    gave_up_at: float | None

    def lag(self, duration: float) -> float | None:
        return None if self.detected_at is None else self.detected_at - duration

    @property
    def lambda_invocations(self) -> int:
        failed = len(self.checks) - (1 if self.detected_at is not None else 0)
        return len(self.checks) + failed * (LAMBDA_INVOCATIONS_PER_FAILED_CHECK - 1)

    @property
    def sqs_requests(self) -> int:
        # The first delivery comes from the rule's target; every failed check costs one replay send.
        failed = len(self.checks) - (1 if self.detected_at is not None else 0)
        return 1 + failed * SQS_REQUESTS_PER_FAILED_CHECK


def simulate(duration: float, variant: Variant, rng: random.Random) -> Outcome:
    """Checks of a restore that becomes ACTIVE `duration` seconds after the restore call."""
    check = float(QUEUE_DELAY_SECONDS)
    checks = [check]
    for replay in range(1, MAX_REPLAYS + 1):
        if check >= duration:
            return Outcome(checks, detected_at=check, gave_up_at=None)
        # The failed message waits out the visibility timeout, then the dead-letter queue hands it to the replay.
        redriven = check + VISIBILITY_TIMEOUT_SECONDS
        delay = rng.uniform(0, 2**replay * 2)
        if delay > SQS_MAX_DELAY_SECONDS:
            if not variant.capped:
                return Outcome(checks, detected_at=None, gave_up_at=redriven)
            delay = SQS_MAX_DELAY_SECONDS
        check = redriven + delay + QUEUE_DELAY_SECONDS
        checks.append(check)
    if check >= duration:
        return Outcome(checks, detected_at=check, gave_up_at=None)
    return Outcome(checks, detected_at=None, gave_up_at=check + VISIBILITY_TIMEOUT_SECONDS)


def give_up_times(variant: Variant, seeds: int) -> list[float]:
    """When the original stops trying for a restore that never finishes, one time per seed."""
    times = []
    for seed in range(seeds):
        outcome = simulate(float("inf"), variant, random.Random(seed))
        assert outcome.gave_up_at is not None
        times.append(outcome.gave_up_at)
    return times

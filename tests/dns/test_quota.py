"""Cloudflare's API quota as its headers state it, and the budget a command's runs share:
reserved calls that fit go ahead, calls that fit a window but not what is left wait for the
next one, calls no window holds are refused in one line."""

from __future__ import annotations

import threading

import pytest

from sesame import output
from sesame.dns import quota
from sesame.errors import PreflightError

# The example answers of Cloudflare's rate-limit documentation, with the global policy
POLICY = {"Ratelimit-Policy": '"default";q=1200;w=300'}


def answer(remaining: int, reset: int) -> dict[str, str]:
    return {**POLICY, "Ratelimit": f'"default";r={remaining};t={reset}'}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def budget(clock: Clock) -> quota.Budget:
    return quota.Budget(clock=clock, sleep=clock.sleep)


def test_the_quota_is_read_from_the_headers_not_assumed():
    raised = {"Ratelimit-Policy": '"default";q=6000;w=300', "Ratelimit": '"default";r=5990;t=42'}

    stated = quota.parse(raised, now=10.0)

    assert stated == quota.Quota(limit=6000, window=300, remaining=5990, reset_at=52.0)


def test_the_default_policy_is_used_among_several():
    headers = {
        "Ratelimit-Policy": '"burst";q=100;w=60, "default";q=1200;w=300',
        "Ratelimit": '"burst";r=99;t=59, "default";r=1100;t=200',
    }

    assert quota.parse(headers, now=0.0) == quota.Quota(1200, 300, 1100, 200.0)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Ratelimit": '"default";r=5;t=3'},  # no policy
        {**POLICY, "Ratelimit": "not a structured field ;;"},
        {**POLICY, "Ratelimit": '"default";t=3'},  # no remaining
        {**POLICY, "Ratelimit": '"other";r=5;t=3'},  # no state for the policy
    ],
)
def test_an_answer_without_usable_headers_states_nothing(headers):
    assert quota.parse(headers, now=0.0) is None


def test_nothing_is_counted_before_the_api_states_a_quota(budget, clock):
    budget.reserve(quota.Needed(reads=50_000), "this run")

    assert budget.quota is None and clock.slept == []


def test_calls_that_fit_what_is_left_go_ahead_and_are_counted(budget, clock):
    budget.observe(answer(remaining=1000, reset=200))

    budget.reserve(quota.Needed(lookups=100, listings=200, reads=600), "this run")
    budget.reserve(quota.Needed(writes=100), "this apply")

    assert clock.slept == []
    budget.reserve(quota.Needed(reads=200), "another run")  # 100 left: this one waits
    assert clock.slept == [200.0]


def test_calls_that_do_not_fit_what_is_left_wait_for_the_next_window(budget, clock, capsys):
    output.show_steps(True)
    budget.observe(answer(remaining=300, reset=120))

    budget.reserve(quota.Needed(lookups=100, listings=200, reads=600), "this run")

    assert clock.slept == [120.0]
    said = capsys.readouterr().err
    assert "Cloudflare API: this run needs about 900 more calls and 300 of 1,200 per 300 s" in said
    assert "waiting 120 s for the next window" in said


def test_calls_already_made_are_not_reserved_again(budget, clock):
    budget.observe(answer(remaining=10, reset=120))

    made = quota.Needed(lookups=1, listings=2)
    budget.reserve(quota.Needed(lookups=1, listings=2, reads=10), "this run", made=made)

    assert clock.slept == []


def test_calls_no_window_holds_are_refused_in_one_line_before_any(budget, clock):
    budget.observe(answer(remaining=1200, reset=300))
    needed = quota.Needed(lookups=150, listings=300, reads=900)

    with pytest.raises(PreflightError) as refused:
        budget.reserve(needed, "this run")

    line = str(refused.value)
    assert "\n" not in line and clock.slept == []
    assert line.startswith("this run needs about 1,350 Cloudflare API calls (150 zone lookups")
    assert "over the token's limit of 1,200 per 300 s" in line
    assert "fix: split the domains into shards" in line


def test_a_lower_remaining_from_the_api_wins_within_a_window(budget, clock):
    budget.observe(answer(remaining=1000, reset=200))
    budget.reserve(quota.Needed(reads=100), "this run")  # 900 left by sesame's count
    clock.now += 5
    budget.observe(answer(remaining=400, reset=195))  # someone else spent 500

    budget.reserve(quota.Needed(reads=500), "another run")

    assert clock.slept == [195.0]


def test_a_new_window_gives_the_whole_quota_back(budget, clock):
    budget.observe(answer(remaining=100, reset=30))
    clock.now += 31

    budget.reserve(quota.Needed(reads=1000), "this run")

    assert clock.slept == []


def test_runs_of_one_command_share_the_budget_of_their_token():
    one = quota.budget_for("http://127.0.0.1:1/client/v4", "t" * 40)

    assert quota.budget_for("http://127.0.0.1:1/client/v4", "t" * 40) is one
    assert quota.budget_for("http://127.0.0.1:1/client/v4", "u" * 40) is not one


def test_parallel_reservations_never_overspend(clock):
    budget = quota.Budget(clock=clock, sleep=lambda s: None)
    budget.observe(answer(remaining=1000, reset=300))
    granted: list[int] = []

    def run() -> None:
        budget.reserve(quota.Needed(reads=100), "a shard")
        granted.append(100)

    threads = [threading.Thread(target=run) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sum(granted) == 1000 and budget._available == 0

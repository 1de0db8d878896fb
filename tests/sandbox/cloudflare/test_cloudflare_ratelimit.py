"""The global API rate limit: headers on every answer, 429 past the limit, a block that
outlasts the window's count, per token, and counters that survive a world snapshot."""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import cloudflare
import httpx
import pytest

from sesame.sandbox.cloudflare import ratelimit
from sesame.sandbox.cloudflare.models import CloudflareBackend

ACCOUNT = "0123456789abcdef0123456789abcdef"
TOKEN = "sandbox-token-" + "a" * 40  # the conftest's token
OTHER_TOKEN = "sandbox-token-" + "b" * 40


@pytest.fixture
def limited(backend: CloudflareBackend) -> Iterator[CloudflareBackend]:
    backend.limit = ratelimit.Limit(requests=3, seconds=300)
    yield backend
    backend.limit = None


def _get(server, token: str = TOKEN) -> httpx.Response:
    return httpx.get(f"{server.url}/client/v4/zones", headers={"Authorization": f"Bearer {token}"})


def test_every_answer_states_the_policy_and_what_remains(server, limited):
    answers = [_get(server) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert {a.headers["Ratelimit-Policy"] for a in answers} == {'"default";q=3;w=300'}
    remaining = [a.headers["Ratelimit"].split(";")[1] for a in answers]
    assert remaining == ["r=2", "r=1", "r=0"]
    assert "Retry-After" not in answers[0].headers


def test_a_call_past_the_limit_is_a_429_that_blocks_the_token_for_the_window(server, limited):
    for _ in range(3):
        _get(server)

    over = _get(server)
    after = _get(server)

    assert over.status_code == after.status_code == 429
    assert over.json()["errors"][0]["code"] == 971
    assert "More than 3 requests per 300 seconds" in over.json()["errors"][0]["message"]
    assert over.headers["Retry-After"] == "300"
    assert 299 <= int(after.headers["Retry-After"]) <= 300
    assert "x-should-retry" not in over.headers  # the SDKs retry a 429 after Retry-After


def test_the_limit_is_per_token(server, limited):
    limited.add_token(OTHER_TOKEN, ACCOUNT)
    for _ in range(4):
        _get(server)

    assert _get(server).status_code == 429
    assert _get(server, OTHER_TOKEN).status_code == 200


def test_a_refused_token_is_not_counted(server, limited):
    for _ in range(5):
        assert _get(server, "not-a-token-" + "c" * 40).status_code == 401

    assert _get(server).headers["Ratelimit"].startswith('"default";r=2;')


def test_the_python_sdk_sees_a_rate_limit_error(limited, make_client):
    client = make_client(TOKEN)
    for _ in range(3):
        client.zones.list()

    with pytest.raises(cloudflare.RateLimitError):
        client.zones.list()


def test_a_new_window_starts_only_after_the_block_ends():
    limit = ratelimit.Limit(requests=2, seconds=10)
    windows: dict[str, ratelimit.Window] = {}
    now = [1000.0]

    def take() -> dict[str, str]:
        return ratelimit.take(windows, limit, TOKEN, clock=lambda: now[0])

    take()
    take()
    now[0] = 1008.0
    with pytest.raises(ratelimit.RateLimited):
        take()  # the third call in the window blocks the token until 1018
    now[0] = 1012.0  # the window (1000-1010) is over, the block is not
    with pytest.raises(ratelimit.RateLimited) as blocked:
        take()
    assert blocked.value.retry_after == 6
    now[0] = 1018.0
    assert take()["Ratelimit"] == '"default";r=1;t=10'


def test_the_counters_survive_a_world_snapshot(limited):
    ratelimit.take(limited.rate_windows, limited.limit, TOKEN)

    restored = pickle.loads(pickle.dumps(limited))

    assert [w.count for w in restored.rate_windows.values()] == [1]
    assert TOKEN not in pickle.dumps(restored.rate_windows).decode("latin-1")


@pytest.mark.parametrize(
    ("setting", "limit"),
    [("", ratelimit.Limit(1200, 300)), ("off", None), (" 60/20 ", ratelimit.Limit(60, 20))],
)
def test_the_setting_defaults_to_cloudflares_limit(setting, limit):
    assert ratelimit.parse_limit(setting) == limit


@pytest.mark.parametrize("setting", ["1200", "0/300", "many/300", "1200/-5", "on"])
def test_a_bad_setting_is_one_line_naming_it(setting):
    with pytest.raises(ValueError, match=r"SESAME_SANDBOX_CLOUDFLARE_LIMIT=.*fix: ") as err:
        ratelimit.parse_limit(setting)
    assert "\n" not in str(err.value)

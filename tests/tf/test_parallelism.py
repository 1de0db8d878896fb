"""-parallelism keeps a throttled write's wait inside the provider's retry window."""

from __future__ import annotations

import pytest

from sesame.tf.parallelism import for_ses_write_rate, window


def test_the_backoff_window_follows_the_sdks_full_jitter_rule():
    assert window(1) == 0
    assert window(3) == pytest.approx(1 + 2)  # E[U * 2] + E[U * 4]
    assert window(25) > 300  # the provider's default: minutes


@pytest.mark.parametrize(
    ("rate", "attempts", "expected"),
    [
        (None, None, 10),  # quota unknown: Terraform's default
        (2, None, 10),  # the provider's 25 attempts: the window is minutes
        (0.01, None, 4),  # one write per 100 s: floor(0.01 x 402 s)
        (2, 3, 6),  # three attempts: ~3 s of backoff, two writes a second
        (0.1, 3, 1),
        (50, 3, 10),
    ],
)
def test_parallelism_fits_the_retry_window(rate, attempts, expected):
    assert for_ses_write_rate(rate, attempts) == expected

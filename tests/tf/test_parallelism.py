"""-parallelism follows the SES v2 write quota: two seconds of writes in flight, 1..10."""

from __future__ import annotations

import pytest

from sesame.tf.parallelism import for_ses_write_rate


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(None, 10), (0.1, 1), (0.5, 1), (1, 2), (2, 4), (2.2, 5), (5, 10), (50, 10)],
)
def test_parallelism_is_two_seconds_of_writes_within_terraforms_range(rate, expected):
    assert for_ses_write_rate(rate) == expected

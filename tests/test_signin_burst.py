"""A burst of sign-ins at a real `komitmen api` process stays within its memory bound.

Each argon2id check takes 64 MiB; without a bound, FastAPI's 40 threads check 40 at
once (about 2.5 GB). With KOMITMEN_MAX_CONCURRENT_PASSWORD_CHECKS at its default (4),
the process's peak resident memory stays under baseline + (4 + 2) x 70 MiB.
`python -m bench.signin_burst` measures the same with and without the bound.
"""

from __future__ import annotations

from pathlib import Path

from bench.signin_burst import MIB, burst
from services.settings import Settings


async def test_a_burst_of_sign_ins_keeps_the_api_within_its_memory_bound(
    db_url: str, tmp_path: Path
) -> None:
    checks = Settings().max_concurrent_password_checks
    assert checks == 4
    # More at once than the 40 threads that run them, each for a username nobody has,
    # from 25 addresses: no throttle refuses any, so every one checks a password.
    result = await burst(db_url, tmp_path, checks=checks, attempts=60)
    assert result.answers == {401: 60}
    assert result.peak_hwm <= result.bound, (
        f"peak {result.peak_hwm / MIB:.0f} MB over the bound {result.bound / MIB:.0f} MB "
        f"(baseline {result.baseline_rss / MIB:.0f} MB)"
    )

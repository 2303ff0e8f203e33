"""The lockout rule (issue 16) on hand-made timelines: the expected lock ends are worked out by
hand from the rule in docs/access.md (5 free per user and address, then 1, 2, 4, 8 and at most
15 minutes from the failure; 20 free per address and per user name; one address adds at most
5 to a user name's count; attempts while locked do not count)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.lockout import (
    PAIR,
    Failure,
    ProxySettingError,
    client_address,
    decide,
    lock_message,
    locked_until,
    trusted_proxies,
)

T0 = dt.datetime(2026, 3, 2, 9, 0)
A, B = "203.0.113.7", "198.51.100.20"


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def fails(user: str, client: str | None, *minutes: float) -> list[Failure]:
    return [Failure(at(m), user, client) for m in minutes]


def test_backoff_grows_from_the_fifth_failure_and_stops_at_fifteen_minutes():
    # failures at 0..4: the 5th (09:04) locks 1 min → 09:05
    assert locked_until([at(m) for m in range(5)], PAIR) == at(5)
    assert locked_until([at(m) for m in range(4)], PAIR) is None
    # then one failure as each lock ends: 09:05 → +2 = 09:07, 09:07 → +4 = 09:11,
    # 09:11 → +8 = 09:19, 09:19 → +15 (16 capped) = 09:34, 09:34 → +15 = 09:49
    times = [at(m) for m in (0, 1, 2, 3, 4, 5, 7, 11, 19, 34)]
    assert locked_until(times, PAIR) == at(49)
    assert [PAIR.lock_after(n).seconds // 60 for n in range(4, 11)] == [0, 1, 2, 4, 8, 15, 15]


def test_attempts_while_locked_do_not_extend_the_lock():
    base = [at(m) for m in range(5)]  # locked 09:04 → 09:05
    flood = [at(4 + k / 100) for k in range(1, 100)]  # 99 more inside the lock
    assert locked_until(base + flood, PAIR) == at(5)
    timeline = fails("titular", A, *range(5), *[4 + k / 100 for k in range(1, 100)])
    v = decide(at(4.5), "titular", A, timeline, [])
    assert v.locked and v.locked_until == at(5) and v.key == "pair"
    assert not decide(at(5), "titular", A, fails("titular", A, *range(5)), []).locked


def test_a_flood_from_one_address_never_locks_the_user_elsewhere():
    # the attacker at A fails on "titular" every time a lock ends, for ten hours
    times = [0.0, 1, 2, 3, 4]
    while times[-1] < 590:
        until = locked_until([at(m) for m in times], PAIR)
        times.append((until - T0).total_seconds() / 60)  # the moment the lock ends
    flood = fails("titular", A, *times)
    assert len(flood) > 40
    now = at(times[-1] + 0.5)  # half a minute after its latest failure
    from_a = decide(now, "titular", A, flood, flood)
    assert from_a.locked and from_a.locked_until == at(times[-1] + 15)  # capped, not growing
    from_b = decide(now, "titular", B, flood, [])
    assert not from_b.locked  # the division head signs in from her own computer
    # and the attacker's other user names are free until the address itself reaches 20
    assert not decide(now, "otro", A, flood, flood[:19]).locked


def test_failures_from_four_addresses_lock_the_user_name_everywhere():
    clients = [f"10.1.0.{i}" for i in range(1, 5)]
    # each address fails 5 times, one every 15 s, interleaved: 20th failure at 09:04:45
    timeline = [
        Failure(T0 + dt.timedelta(seconds=15 * (4 * k + i)), "titular", c)
        for k in range(5)
        for i, c in enumerate(clients)
    ]
    last = T0 + dt.timedelta(seconds=15 * 19)
    v = decide(last + dt.timedelta(seconds=1), "titular", B, timeline, [])
    assert v.locked and v.key == "user" and v.locked_until == last + dt.timedelta(minutes=1)
    # three addresses (15 counted failures) do not
    three = [f for f in timeline if f.client != clients[3]]
    assert not decide(last, "titular", B, three, []).locked
    # an address repeating itself counts at most 5 times towards the user name
    repeated = timeline[:-1] + fails("titular", clients[0], *[4.9 + k / 100 for k in range(30)])
    assert not decide(at(5.5), "titular", B, repeated, []).locked


def test_one_address_spraying_many_user_names_is_locked():
    spray = [Failure(T0 + dt.timedelta(seconds=10 * i), f"u{i}", A) for i in range(20)]
    # the 20th failure at 09:03:10 locks the address 1 minute, whatever the user name
    v = decide(at(3.5), "nuevo", A, [], spray)
    assert v.locked and v.key == "client"
    assert v.locked_until == T0 + dt.timedelta(seconds=190 + 60)
    assert not decide(at(3.5), "nuevo", B, [], []).locked
    assert not decide(at(3.5), "nuevo", A, [], spray[:19]).locked
    # an unknown origin (loopback: no proxy listed) has no address-wide lock: 20 failures
    # there must not lock everybody out
    unknown = [Failure(f.at, f.username, None) for f in spray]
    assert not decide(at(3.5), "nuevo", None, [], unknown).locked


def test_a_success_and_the_look_back_forget_old_failures():
    five = fails("ana", A, 0, 1, 2, 3, 4)
    assert decide(at(4.5), "ana", A, five, []).locked
    ok_here, ok_there = Failure(at(4.2), "ana", A), Failure(at(4.2), "ana", B)
    assert not decide(at(4.5), "ana", A, five, [], successes=[ok_here]).locked
    assert decide(at(4.5), "ana", A, five, [], successes=[ok_there]).locked  # pair kept
    day_later = T0 + dt.timedelta(hours=24, minutes=4, seconds=30)
    recent = [Failure(f.at + dt.timedelta(hours=24), "ana", A) for f in five[:3]]
    assert not decide(day_later, "ana", A, five + recent, []).locked  # 3 in the last 24 h


def test_the_lock_message_is_spanish_and_rounds_up():
    # 5th failure 09:04 → 09:05; 6th at 09:05:30 → 2 min → 09:07:30; at 09:06, 90 s are left
    v = decide(at(6), "ana", A, fails("ana", A, 0, 1, 2, 3, 4, 5.5), [])
    msg = lock_message(v, at(6))
    assert msg.startswith("Acceso bloqueado por demasiados intentos fallidos")
    assert "2 minutos" in msg and "09:07" in msg and "no lo alargan" in msg
    v = decide(at(4) + dt.timedelta(seconds=10), "ana", A, fails("ana", A, 0, 1, 2, 3, 4), [])
    assert "1 minuto " in lock_message(v, at(4) + dt.timedelta(seconds=10))


@given(
    st.lists(st.integers(min_value=0, max_value=24 * 3600), min_size=1, max_size=60),
    st.integers(min_value=0, max_value=3600),
)
def test_no_timeline_locks_beyond_the_cap_after_its_last_counted_failure(secs, extra):
    times = [T0 + dt.timedelta(seconds=s) for s in secs]
    until = locked_until(times, PAIR)
    if until is not None:
        assert until - max(t for t in times if t < until) <= PAIR.cap
        # one more attempt inside the running lock changes nothing
        inside = until - dt.timedelta(seconds=1 + extra % 60)
        if inside > max(times):
            assert locked_until([*times, inside], PAIR) == until


def test_the_client_address_trusts_forwarded_for_only_from_listed_proxies():
    proxies = trusted_proxies("127.0.0.1, 10.0.0.0/24")
    assert client_address(None, None, proxies) is None  # local: origin unknown
    assert client_address(A, "6.6.6.6", proxies) == A  # not a proxy: the header is ignored
    assert client_address(None, B, ()) is None  # a proxy nobody listed: unknown, not B
    assert client_address(None, B, proxies) == B  # nginx on the same host
    assert client_address("10.0.0.5", f"6.6.6.6, {B}, 10.0.0.9", proxies) == B  # forged left
    assert client_address("10.0.0.5", "no-es-ip", proxies) == "10.0.0.5"
    assert client_address("::1", "2001:db8::5", trusted_proxies("::1")) == "2001:db8::5"
    assert trusted_proxies("") == ()
    with pytest.raises(ProxySettingError, match="MIRADOR_TRUSTED_PROXIES"):
        trusted_proxies("127.0.0.1, proxy.imss")

"""The sign-in lockout rule, as pure functions of a timeline of failed sign-ins (issue 16).

Nothing here reads the database or Streamlit: ``lib.users`` reads the failures from the audit
log and asks :func:`decide`; ``lib.ui.auth`` finds the client address with
:func:`client_address`. Tests feed hand-made timelines.

The rule (docs/access.md, "Bloqueo por intentos fallidos"):

- Failures are counted on three keys, each with exponential backoff and a cap:
  the **pair** (user name, client address): 5 failures are free, the 5th locks that pair
  1 minute, the 6th 2, then 4, 8, and 15 minutes at most;
  the **client** (any user names from one address, password spraying): 20 free, same backoff;
  the **user name** from all addresses (distributed guessing): 20 free, same backoff, but each
  address contributes at most its first 5 failures, so one address alone, however many
  attempts it makes, never locks the user name for other addresses.
- A lock runs from the time of the failure that caused it. Attempts made while locked are
  refused without checking the password and recorded as "bloqueado", never as failures, so
  they neither count nor extend the lock: a lock ends at most 15 minutes after the last
  counted failure.
- Failures older than 24 hours are forgotten. A successful password sign-in resets the user
  name's count, and the pair's when it comes from the same address (so the division head
  signing in from her office does not free an attacker's address); the address's own count
  is never reset by a success.

The threat this answers: someone with one computer hammering the division head's user name
locks only that user name *from that computer*; the division head signs in from her own
computer at once. To lock her out everywhere an attacker needs failures from at least four
addresses, and even then the lock lasts at most 15 minutes after the last counted failure.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LOOKBACK = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Backoff:
    """``free`` failures pass; the ``free``-th locks ``base``, each further one doubles the
    lock, up to ``cap``."""

    free: int
    base: dt.timedelta = dt.timedelta(minutes=1)
    cap: dt.timedelta = dt.timedelta(minutes=15)

    def lock_after(self, n: int) -> dt.timedelta:
        """The lock that the ``n``-th counted failure starts (zero below ``free``)."""
        if n < self.free:
            return dt.timedelta(0)
        doublings = min(n - self.free, 30)  # past the cap long before; no overflow on floods
        return min(self.cap, self.base * 2**doublings)


PAIR = Backoff(free=5)
CLIENT = Backoff(free=20)
USER = Backoff(free=20)
PER_CLIENT_FOR_USER = 5  # failures one address can add to a user name's count


@dataclass(frozen=True)
class Failure:
    """One failed sign-in (wrong user or password), as the audit log has it."""

    at: dt.datetime
    username: str
    client: str | None


@dataclass(frozen=True)
class Verdict:
    locked_until: dt.datetime | None  # None: the attempt may go ahead
    key: str | None = None  # "pair" | "client" | "user": which lock applies

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def locked_until(times: Iterable[dt.datetime], rule: Backoff) -> dt.datetime | None:
    """When the lock built by these failure times ends (None: never locked). A failure that
    falls inside a running lock is not counted: it cannot extend the lock."""
    count, until = 0, None
    for t in sorted(times):
        if until is not None and t < until:
            continue  # made while locked: refused, not a failure
        count += 1
        lock = rule.lock_after(count)
        if lock:
            until = t + lock
    return until


def _capped_per_client(failures: Sequence[Failure], per_client: int) -> list[dt.datetime]:
    seen: Counter[str | None] = Counter()
    kept = []
    for f in sorted(failures, key=lambda f: f.at):
        seen[f.client] += 1
        if seen[f.client] <= per_client:
            kept.append(f.at)
    return kept


def decide(
    now: dt.datetime,
    username: str,
    client: str | None,
    user_failures: Sequence[Failure],
    client_failures: Sequence[Failure],
    successes: Sequence[Failure] = (),
) -> Verdict:
    """May ``client`` try to sign in as ``username`` at ``now``?

    ``user_failures``: the failures on this user name from every address; ``client_failures``:
    the failures from this address on every user name; ``successes``: the user name's password
    sign-ins (same shape). What is outside the look-back is ignored here."""
    since = now - LOOKBACK
    mine_ok = [s.at for s in successes if s.username == username and s.at <= now]
    here_ok = [s.at for s in successes if s.username == username and s.client == client
               and s.at <= now]  # fmt: skip
    user_since = max([since, *mine_ok])  # any sign-in of the user resets its name's count
    pair_since = max([since, *here_ok])  # only one from this address resets the pair
    mine = [f for f in user_failures if f.username == username and f.at > since]
    candidates = [
        ("pair", locked_until((f.at for f in mine if f.client == client and f.at > pair_since),
                              PAIR)),  # fmt: skip
        ("user", locked_until(
            _capped_per_client([f for f in mine if f.at > user_since], PER_CLIENT_FOR_USER),
            USER)),  # fmt: skip
        (
            "client",
            locked_until((f.at for f in client_failures if f.client == client and f.at > since),
                         CLIENT),
        ),
    ]  # fmt: skip
    if client is None:  # origin unknown (local, or a proxy not listed): no address-wide lock
        candidates = [c for c in candidates if c[0] != "client"]
    running = [(until, key) for key, until in candidates if until is not None and until > now]
    if not running:
        return Verdict(None)
    until, key = max(running)
    return Verdict(until, key)


def lock_message(verdict: Verdict, now: dt.datetime) -> str:
    """What the sign-in form says (the same whether or not the user name exists)."""
    assert verdict.locked_until is not None
    minutes = max(1, -(-int((verdict.locked_until - now).total_seconds()) // 60))
    where = {
        "pair": "para este usuario desde este equipo",
        "client": "desde este equipo",
        "user": "para este usuario",
    }[verdict.key or "pair"]
    unit = "minuto" if minutes == 1 else "minutos"
    return (
        f"Acceso bloqueado por demasiados intentos fallidos {where}. Vuelva a intentarlo en "
        f"{minutes} {unit} (a las {verdict.locked_until:%H:%M}). Los intentos durante el "
        "bloqueo no lo alargan."
    )


# --- the client address ---------------------------------------------------------------------


class ProxySettingError(ValueError):
    """MIRADOR_TRUSTED_PROXIES holds something that is not an address or network."""


def trusted_proxies(
    raw: str | None = None,
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The reverse proxies whose X-Forwarded-For is believed (MIRADOR_TRUSTED_PROXIES: addresses
    or networks separated by commas, e.g. ``127.0.0.1,10.0.0.0/24``; empty by default, so the
    header is ignored and the connection's own address is used)."""
    raw = os.environ.get("MIRADOR_TRUSTED_PROXIES", "") if raw is None else raw
    nets = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ProxySettingError(
                f"MIRADOR_TRUSTED_PROXIES debe listar direcciones o redes separadas por comas, "
                f"no {part!r}"
            ) from None
    return tuple(nets)


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def client_address(
    peer: str | None,
    forwarded_for: str | None,
    trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> str | None:
    """The address a sign-in is counted against.

    ``peer`` is the connection's address (Streamlit gives None for 127.0.0.1 and ::1, taken
    here as 127.0.0.1). X-Forwarded-For is read only when the peer is a trusted proxy, from
    the right: the first address that is not itself a trusted proxy is the client (entries
    further left were written by the client and can be forged). None when the origin is
    unknown (loopback): then only the per-name locks apply (see decide)."""
    peer_ip = _ip(peer) if peer else ipaddress.ip_address("127.0.0.1")
    if peer_ip is None:
        return peer

    def is_trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(ip.version == n.version and ip in n for n in trusted)

    found = peer_ip
    if forwarded_for and is_trusted(peer_ip):
        for hop in reversed([h for h in forwarded_for.split(",") if h.strip()]):
            ip = _ip(hop)
            if ip is None:
                break  # garbage in the chain: trust nothing beyond the last good hop
            found = ip
            if not is_trusted(ip):
                break
    # a loopback address is no client: a sign-in on the server itself, or through a proxy on
    # the same host that MIRADOR_TRUSTED_PROXIES does not list. Counting every such attempt
    # against one address would let 20 failures lock everybody out.
    return None if found.is_loopback else str(found)

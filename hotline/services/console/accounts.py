"""Staff accounts: creation with hashed passwords, sign-in with its throttles, session versions,
demo accounts.

Sign-in throttles (issue 21, finding 4):
- per address: `login_failures_per_address` wrong passwords within `login_lockout_seconds` lock
  that address (every username) until the lock ends;
- per username, from anywhere: from the `login_failures_per_username`-th failure on, the next try
  must wait 2, 4, 8... seconds (at most a minute): slowed down, never locked for the night;
- a browser that signed in as that user before (a "known device", its id verified by the web
  layer) is exempt from the username's slow-down and from a locked address (on the night the
  office is one address); its failures count against its own device counter only, and that many
  failures make it an unknown device again for a while.

What a stranger can make us write is bounded: refused tries (slowed, locked) write nothing here
(the web layer counts them in Redis), wrong passwords are logged only for usernames that exist
(whose tries the slow-down spaces out), and unknown usernames share UNKNOWN_BUCKETS counters, so
the counter table does not grow with the names an attacker invents (and a name's slow-down still
does not say whether it exists). Addresses are counted as `refusals.limited_as` has them: IPv6 per
/64, the block one subscriber holds.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hotline.adapters.models import County, StaffCounty, StaffUser, utcnow
from hotline.adapters.refusals import limited_as
from hotline.config import Config
from hotline.domain import lockout
from hotline.domain.verification import normalize_phone
from hotline.services.log import chain as vlog
from hotline.services.records import limits
from hotline.services.units import Units

ROLES = ("staff", "admin")
MIN_PASSWORD = 8
SLOWDOWN_CAP_SECONDS = 60  # the longest wait between tries on a slowed-down username
LOG_FIELD_MAX = 64  # a username or address as written to the log: never attacker-sized


class StaffError(ValueError):
    """An account cannot be created or changed as asked; the message says why in plain words."""


@dataclass(frozen=True)
class Account:
    """A staff account as pages and the signed-in request see it (never its password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    phone: str | None
    active: bool
    last_login_at: datetime | None
    session_version: int = 0
    counties: tuple[str, ...] = ()  # the counties whose items the queue shows them first


def account(user: StaffUser) -> Account:
    """The account's plain values."""
    return Account(user.id, user.username, user.display_name, user.role, user.phone, user.active,
                   user.last_login_at, user.session_version or 0)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


# Local demo accounts only; `ensure_demo_users` refuses to create them in production.
DEMO_ACCOUNTS = (DemoAccount("staff", "staff-demo-1", "staff"), DemoAccount("admin", "admin-demo-1", "admin"))
DEMO_PHONES = {"staff": "+15155550901", "admin": "+15155550902"}


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check against for unknown usernames, so timing does not reveal which names exist."""
    return generate_password_hash("not-a-real-password")


def by_username(s: Session, username: str) -> StaffUser | None:
    """The account with this username (case-insensitive), active or not."""
    return s.execute(select(StaffUser).where(func.lower(StaffUser.username) == username.strip().lower())
                     ).scalar_one_or_none()


def create_user(s: Session, username: str, password: str, role: str, *, actor: str,
                display_name: str = "", phone: str | None = None) -> StaffUser:
    """Create an account; raise StaffError for a taken name, a short password or a bad role or phone."""
    username = username.strip().lower()
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise StaffError("Usernames use letters, digits, '.', '-' and '_' only.")
    if role not in ROLES:
        raise StaffError(f"Role must be one of: {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"Passwords need at least {MIN_PASSWORD} characters.")
    if by_username(s, username) is not None:
        raise StaffError(f"There is already an account named {username}.")
    user = StaffUser(username=username, display_name=display_name.strip() or username,
                     password_hash=generate_password_hash(password), role=role,
                     phone=_phone(phone), active=True)
    s.add(user)
    s.flush()
    vlog.record(s, "staff_user_created", actor=actor, username=username, role=role)
    return user


def _phone(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    phone = normalize_phone(raw)
    if phone is None:
        raise StaffError(f"'{raw}' is not a phone number; write it like +15155550100.")
    return phone


def update_user(s: Session, user: StaffUser, *, actor: str, role: str | None = None,
                active: bool | None = None, phone: str | None = None, password: str | None = None) -> None:
    """Change role, active flag, phone or password; every change is logged (never the password).
    A new password, role or active flag ends the account's signed-in sessions everywhere."""
    changes: dict[str, object] = {}
    if role is not None and role != user.role:
        if role not in ROLES:
            raise StaffError(f"Role must be one of: {', '.join(ROLES)}.")
        user.role = changes["role"] = role
    if active is not None and active != user.active:
        user.active = changes["active"] = active
    if phone is not None and _phone(phone) != user.phone:
        user.phone = _phone(phone)
        changes["phone"] = user.phone
    if password:
        if len(password) < MIN_PASSWORD:
            raise StaffError(f"Passwords need at least {MIN_PASSWORD} characters.")
        user.password_hash = generate_password_hash(password)
        changes["password"] = "changed"
    if changes.keys() & {"role", "active", "password"}:
        end_sessions(user)
    if changes:
        vlog.record(s, "staff_user_changed", actor=actor, username=user.username, **changes)


def end_sessions(user: StaffUser) -> None:
    """Every browser session signed in as `user` ends at its next request."""
    user.session_version = (user.session_version or 0) + 1


# Why a sign-in was refused before its password was checked (SignIn.refused).
ADDRESS_LOCKED = "address locked"
USERNAME_SLOWED = "username slowed down"


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the account, or why not.

    `refused`: sign-in is refused for now (ADDRESS_LOCKED, USERNAME_SLOWED): the password was not
    checked, or this wrong one just locked the address. `wait_seconds`: how long until the address
    lock ends or the username may be tried again (0: at once). `unknown`: a wrong try for a
    username that does not exist (not logged; the web layer counts it)."""

    user: Account | None
    refused: str = ""
    wait_seconds: int = 0
    unknown: bool = False

    @property
    def locked(self) -> bool:
        """This address may not sign in for a while (the form says for how long)."""
        return self.refused == ADDRESS_LOCKED


def sign_in(units: Units, username: str, password: str, remote: str, device: str | None = None) -> SignIn:
    """Check a password from address `remote` (and a known-device id the web layer verified for
    this username, if the browser has one); failures count towards the throttles, all is logged."""
    with units.begin() as uow:
        return authenticate(uow.session, username, password, remote, config=uow.config, device=device)


def signed_in(units: Units, user_id: int, session_version: int | None) -> Account | None:
    """The account a browser session names, while it exists, is switched on and the session was
    started at the account's current session version (sign-out elsewhere, a new password or role
    end the session)."""
    with units.reading() as s:
        user = s.get(StaffUser, user_id)
        if user is None or not user.active or (user.session_version or 0) != session_version:
            return None
        return account(user)


def sign_out(units: Units, username: str) -> None:
    """Log that `username` signed out and end that account's sessions everywhere (a cookie copied
    before sign-out is useless after it)."""
    with units.begin() as uow:
        user = by_username(uow.session, username)
        if user is not None:
            end_sessions(user)
        vlog.record(uow.session, "logout", actor=username)


UNKNOWN_BUCKETS = 1024  # counters shared by usernames that do not exist


def _username_key(user: StaffUser | None, name: str) -> str:
    if user is not None:
        return f"login-user:{user.username}"
    bucket = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") % UNKNOWN_BUCKETS
    return f"login-user:?{bucket}"


def device_epoch(units: Units, username: str) -> str:
    """What a known-device cookie for `username` is bound to: a digest of the account's password
    hash, so a new password (after a stolen laptop, say) ends every browser's exemption at once.
    Empty for a username that does not exist."""
    with units.reading() as s:
        user = by_username(s, username.strip().lower()[:80])
        if user is None:
            return ""
        return hashlib.sha256(f"device epoch\0{user.password_hash}".encode()).hexdigest()[:16]


def _device_key(device: str) -> str:
    return "login-device:" + hashlib.sha256(device.encode()).hexdigest()[:40]


def authenticate(s: Session, username: str, password: str, remote: str, *, config: Config | None = None,
                 device: str | None = None) -> SignIn:
    """Check a password against the throttles (module docstring); everything is logged, with the
    username and address cut to LOG_FIELD_MAX characters."""
    config = config or Config()
    window = config.login_lockout_seconds
    name = username.strip().lower()[:80]  # usernames are at most 80 characters
    who, remote = name[:LOG_FIELD_MAX], (remote or "?")[:LOG_FIELD_MAX]
    address_key = f"login-addr:{limited_as(remote)}"
    device_key = _device_key(device) if device else None
    known = device_key is not None and not limits.locked_until(s, device_key)
    # A browser that has signed in as this user before answers only to its own counter: on the
    # night every volunteer shares the office's address, and strangers' (or colleagues') wrong
    # passwords from it must not lock out the staff already at work.
    until = None if known else limits.locked_until(s, address_key)
    if until:
        return SignIn(None, refused=ADDRESS_LOCKED, wait_seconds=lockout.seconds_left(until, utcnow()))
    user = by_username(s, name)
    username_key = _username_key(user, name)
    # Held until commit: concurrent guesses at one username wait here, each seeing the last's count.
    until = None if known else limits.locked_until(s, username_key, for_update=True)
    if until:
        return SignIn(None, refused=USERNAME_SLOWED, wait_seconds=lockout.seconds_left(until, utcnow()))
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is None or not ok or not user.active:
        reason = "inactive" if user is not None and ok else "wrong password"
        if known and device_key:  # counts against this browser only (see above)
            limits.hit(s, device_key, limit=config.login_failures_per_username,
                       window_seconds=window, lock_seconds=window)
            vlog.record(s, "login_failed", actor=who, remote=remote, reason=reason, device="known")
            return SignIn(None)
        address = limits.hit(s, address_key, limit=config.login_failures_per_address, window_seconds=window,
                             lock_seconds=window)
        slowed = limits.slow(s, username_key, after=config.login_failures_per_username,
                             window_seconds=window, cap_seconds=SLOWDOWN_CAP_SECONDS).locked_until
        if user is not None:
            vlog.record(s, "login_failed", actor=who, remote=remote, reason=reason)
        now = utcnow()
        if address.locked_until is not None:
            wait = lockout.seconds_left(address.locked_until, now)
            return SignIn(None, refused=ADDRESS_LOCKED, wait_seconds=wait, unknown=user is None)
        return SignIn(None, wait_seconds=lockout.seconds_left(slowed, now), unknown=user is None)
    # A success clears its address's count (staff behind one office address mistype too) and its
    # device's, never the username's: a stranger's guesses stay slowed down.
    limits.clear(s, address_key)
    if known and device_key:
        limits.clear(s, device_key)
    user.last_login_at = utcnow()
    vlog.record(s, "login", actor=user.username, remote=remote, role=user.role,
                **({"device": "known"} if known else {}))
    return SignIn(account(user))


def is_admin(user: StaffUser | Account | None) -> bool:
    """A switched-on administrator."""
    return user is not None and user.active and user.role == "admin"


def list_users(s: Session) -> list[StaffUser]:
    """Every account, administrators first, by name."""
    return list(s.execute(select(StaffUser).order_by(StaffUser.role, StaffUser.username)).scalars())


def everyone(units: Units) -> list[Account]:
    """Every account, administrators first, by name (for the accounts page), with its counties."""
    with units.reading() as s:
        held = _counties_by_user(s)
        return [dataclasses.replace(account(u), counties=tuple(held.get(u.id, ()))) for u in list_users(s)]


def _counties_by_user(s: Session, user_id: int | None = None) -> dict[int, list[str]]:
    q = select(StaffCounty.staff_user_id, County.name).join(County, County.id == StaffCounty.county_id)
    if user_id is not None:
        q = q.where(StaffCounty.staff_user_id == user_id)
    out: dict[int, list[str]] = {}
    for uid, name in s.execute(q.order_by(County.name)):
        out.setdefault(uid, []).append(name)
    return out


def counties_of(units: Units, username: str) -> list[str]:
    """The counties `username` looks after (empty: none set, the queue shows everything alike)."""
    with units.reading() as s:
        user = by_username(s, username)
        return _counties_by_user(s, user.id).get(user.id, []) if user is not None else []


def county_names(units: Units) -> list[str]:
    """Every county on the roster, by name (for the accounts page's hint)."""
    with units.reading() as s:
        return list(s.execute(select(County.name).order_by(County.name)).scalars())


def set_counties(s: Session, user: StaffUser, raw: str, *, actor: str) -> None:
    """Replace `user`'s counties with those named in `raw` (separated by commas or semicolons,
    any case); StaffError names any county not on the roster. Logged when it changes."""
    wanted = [w.strip() for w in raw.replace(";", ",").split(",") if w.strip()]
    known = {name.lower(): (cid, name) for cid, name in s.execute(select(County.id, County.name))}
    unknown = [w for w in wanted if w.lower() not in known]
    if unknown:
        raise StaffError(f"No county named {', '.join(unknown)} on the roster.")
    chosen = {known[w.lower()] for w in wanted}
    before = set(_counties_by_user(s, user.id).get(user.id, []))
    if before == {name for _, name in chosen}:
        return
    s.execute(delete(StaffCounty).where(StaffCounty.staff_user_id == user.id))
    s.add_all(StaffCounty(staff_user_id=user.id, county_id=cid) for cid, _ in chosen)
    s.flush()
    vlog.record(s, "staff_user_changed", actor=actor, username=user.username,
                counties=sorted(name for _, name in chosen))


def add(units: Units, username: str, password: str, role: str, *, actor: str, display_name: str = "",
        phone: str | None = None) -> str:
    """Create an account (StaffError says why not); its username as stored."""
    with units.begin() as uow:
        return create_user(uow.session, username, password, role, actor=actor, display_name=display_name,
                           phone=phone).username


def change(units: Units, user_id: int, *, actor: str, role: str | None = None, active: bool | None = None,
           phone: str | None = None, password: str | None = None, counties: str | None = None) -> None:
    """An administrator changes an account; nobody can switch off or demote their own."""
    with units.begin() as uow:
        user = uow.session.get(StaffUser, user_id)
        if user is None:
            raise StaffError("No such account.")
        if user.username == actor and (active is False or role == "staff"):
            raise StaffError("You cannot switch off or demote your own account.")
        update_user(uow.session, user, actor=actor, role=role, active=active, phone=phone, password=password)
        if counties is not None:
            set_counties(uow.session, user, counties, actor=actor)


def set_phone(units: Units, username: str, phone: str) -> None:
    """Save a staff member's own phone, which click-to-call rings first."""
    with units.begin() as uow:
        user = by_username(uow.session, username)
        if user is None:
            raise StaffError("No such account.")
        update_user(uow.session, user, actor=username, phone=phone)


def demo_accounts(units: Units) -> list[DemoAccount]:
    """The local demo accounts, created or reset so the credentials printed at start are true."""
    with units.begin() as uow:
        return ensure_demo_users(uow.session, uow.config)


def ensure_demo_users(s: Session, config: Config) -> list[DemoAccount]:
    """Create (or reset) the local demo staff and admin accounts; none in production."""
    if config.production:
        return []
    for demo in DEMO_ACCOUNTS:
        user = by_username(s, demo.username)
        if user is None:
            create_user(s, demo.username, demo.password, demo.role, actor="demo",
                        display_name=f"Demo {demo.role}", phone=DEMO_PHONES[demo.username])
        elif not check_password_hash(user.password_hash, demo.password) or not user.active:
            # Keep the printed credentials true even if someone changed them locally.
            update_user(s, user, actor="demo", password=demo.password, active=True)
    return list(DEMO_ACCOUNTS)

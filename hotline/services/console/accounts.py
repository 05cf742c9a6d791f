"""Staff accounts: creation with hashed passwords, sign-in with a lock-out, demo accounts."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hotline.adapters.models import StaffUser, utcnow
from hotline.config import Config
from hotline.domain.verification import normalize_phone
from hotline.services.log import chain as vlog
from hotline.services.records import limits
from hotline.services.units import Units

ROLES = ("staff", "admin")
MIN_PASSWORD = 8
LOGIN_MAX_FAILURES = 5  # wrong passwords per username and address before a lock-out
LOGIN_LOCK_SECONDS = 15 * 60


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


def account(user: StaffUser) -> Account:
    """The account's plain values."""
    return Account(user.id, user.username, user.display_name, user.role, user.phone, user.active,
                   user.last_login_at)


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
    """Change role, active flag, phone or password; every change is logged (never the password)."""
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
    if changes:
        vlog.record(s, "staff_user_changed", actor=actor, username=user.username, **changes)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the account, or why not."""

    user: Account | None
    locked: bool = False


def sign_in(units: Units, username: str, password: str, remote: str) -> SignIn:
    """Check a password from address `remote`; failures count towards a lock-out, all is logged."""
    with units.begin() as uow:
        return authenticate(uow.session, username, password, remote)


def signed_in(units: Units, user_id: int) -> Account | None:
    """The account a browser session names, while it exists and is switched on."""
    with units.reading() as s:
        user = s.get(StaffUser, user_id)
        return account(user) if user is not None and user.active else None


def sign_out(units: Units, username: str) -> None:
    """Log that `username` signed out."""
    with units.begin() as uow:
        vlog.record(uow.session, "logout", actor=username)


def authenticate(s: Session, username: str, password: str, remote: str) -> SignIn:
    """Check a password, counting failures per username and address; everything is logged."""
    name = username.strip().lower()[:80]
    key = f"login:{name}:{remote}"
    if limits.locked_until(s, key):
        vlog.record(s, "login_refused", actor=name, remote=remote, reason="locked")
        return SignIn(None, locked=True)
    user = by_username(s, name)
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is None or not ok or not user.active:
        tally = limits.hit(s, key, limit=LOGIN_MAX_FAILURES, window_seconds=LOGIN_LOCK_SECONDS,
                           lock_seconds=LOGIN_LOCK_SECONDS)
        reason = "inactive" if user is not None and ok else "wrong password or unknown user"
        vlog.record(s, "login_failed", actor=name, remote=remote, reason=reason)
        return SignIn(None, locked=tally.locked_until is not None)
    limits.clear(s, key)
    user.last_login_at = utcnow()
    vlog.record(s, "login", actor=user.username, remote=remote, role=user.role)
    return SignIn(account(user))


def is_admin(user: StaffUser | Account | None) -> bool:
    """A switched-on administrator."""
    return user is not None and user.active and user.role == "admin"


def list_users(s: Session) -> list[StaffUser]:
    """Every account, administrators first, by name."""
    return list(s.execute(select(StaffUser).order_by(StaffUser.role, StaffUser.username)).scalars())


def everyone(units: Units) -> list[Account]:
    """Every account, administrators first, by name (for the accounts page)."""
    with units.reading() as s:
        return [account(u) for u in list_users(s)]


def add(units: Units, username: str, password: str, role: str, *, actor: str, display_name: str = "",
        phone: str | None = None) -> str:
    """Create an account (StaffError says why not); its username as stored."""
    with units.begin() as uow:
        return create_user(uow.session, username, password, role, actor=actor, display_name=display_name,
                           phone=phone).username


def change(units: Units, user_id: int, *, actor: str, role: str | None = None, active: bool | None = None,
           phone: str | None = None, password: str | None = None) -> None:
    """An administrator changes an account; nobody can switch off or demote their own."""
    with units.begin() as uow:
        user = uow.session.get(StaffUser, user_id)
        if user is None:
            raise StaffError("No such account.")
        if user.username == actor and (active is False or role == "staff"):
            raise StaffError("You cannot switch off or demote your own account.")
        update_user(uow.session, user, actor=actor, role=role, active=active, phone=phone, password=password)


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

"""Staff sign-in and sign-out, the signed-in user on `g.user`, role decorators, where sign-in
sends you next, and the "known device" cookie that spares a staff member's own browser the
slow-down a stranger's guesses put on their username."""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.urls import iri_to_uri

from hotline.adapters import refusals
from hotline.services.console import accounts as staff
from hotline.web import csrf, runtime

bp = Blueprint("auth", __name__)

# The session carries the account's id and the session version it was signed in at; a sign-out
# anywhere, a new password, a role change or switching the account off bumps the version.
UID, VERSION = "uid", "sv"


def _load_user() -> None:
    """Read the account on every request, so a switched-off account or an ended session loses
    access at once."""
    g.user = None
    uid = session.get(UID)
    if uid is None or request.endpoint == "static":
        return
    user = staff.signed_in(runtime().units, uid, session.get(VERSION))
    if user is None:
        session.clear()
        flash("Your session has ended (you signed out on another browser, or your account was "
              "changed). Sign in again.", "error")
        return
    g.user = user


def _denied(status: int, message: str) -> Any:
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message), status
    if status == 401:
        # full_path's path part is decoded: quote it again so the form's `next` is a plain URL.
        return redirect(url_for("auth.login", next=iri_to_uri(request.full_path.rstrip("?"))))
    if status == 403:
        # A volunteer who follows a link to an admin page keeps the header and navigation.
        return render_template("console/forbidden.html", message=message), 403
    abort(status, description=message)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Any signed-in staff member or administrator."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return _denied(401, "Sign in first.")
        return view(*args, **kwargs)
    return wrapper


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Administrators only; staff get 403."""
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return _denied(401, "Sign in first.")
        if not staff.is_admin(g.user):
            return _denied(403, "Only administrators can open this page.")
        return view(*args, **kwargs)
    return wrapper


def username() -> str:
    """The signed-in user's name (views behind login_required only)."""
    return g.user.username


def _leaves_the_site(url: str) -> bool:
    """Whether a browser could read `url` as another site: browsers drop tab, CR and LF anywhere,
    trim leading control characters and spaces, and read a backslash as a slash."""
    url = url.replace("\t", "").replace("\n", "").replace("\r", "").lstrip("".join(map(chr, range(33))))
    url = url.replace("\\", "/")
    if not url.startswith("/") or url.startswith("//"):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return True
    return bool(parts.scheme or parts.netloc)


def safe_next(target: str | None) -> str:
    """A local path to go to next, or the queue.

    A crafted ?next= must not send someone to another site after sign-in (nor break the redirect):
    the target must be printable ASCII (no whitespace or control characters), without backslashes,
    a path on this site as a browser reads it, and still one after percent-decoding (a few rounds,
    in case something decodes it again). Anything else goes to the queue."""
    fallback = url_for("console.queue")
    if not isinstance(target, str) or not 0 < len(target) <= 2000 or "\\" in target:
        return fallback
    if any(not "\x21" <= ch <= "\x7e" for ch in target):
        return fallback
    decoded = target
    for _ in range(3):
        if _leaves_the_site(decoded) or any(ch < "\x20" or ch == "\x7f" for ch in decoded):
            return fallback
        decoded, before = unquote(decoded), decoded
        if decoded == before:
            return target
    return fallback


# --- The known-device cookie (OWASP's "device cookies" against username lock-out attacks) ---
# Each entry: a random nonce, an HMAC (the app's SECRET_KEY) over the username, the nonce and the
# account's device epoch (from its password hash: a new password voids every entry), the username.
# A browser keeps entries for the last few staff members who signed in on it.
DEVICE_COOKIE = "hotline_device"
DEVICE_MAX_AGE = 400 * 24 * 3600  # long-lived: about as long as browsers keep a cookie
DEVICE_ENTRIES = 5


def _device_signature(name: str, nonce: str, epoch: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"hotline known device\0{name}\0{nonce}\0{epoch}".encode(),
                    hashlib.sha256).hexdigest()


def _device_entries() -> list[tuple[str, str, str]]:
    """(username, nonce, signature) for each entry in the browser's cookie, unverified."""
    raw = request.cookies.get(DEVICE_COOKIE, "")[:4096]
    entries = []
    for part in raw.split("~")[:DEVICE_ENTRIES]:
        bits = part.split(".", 2)
        if len(bits) == 3 and all(bits):
            entries.append((bits[2], bits[0], bits[1]))
    return entries


def known_device(name: str) -> str | None:
    """The device id (nonce) if this browser signed in as `name` before, its cookie entry intact."""
    name = name.strip().lower()
    mine = [(nonce, signature) for who, nonce, signature in _device_entries() if who == name]
    if not mine:
        return None
    epoch = staff.device_epoch(runtime().units, name)
    for nonce, signature in mine:
        if epoch and hmac.compare_digest(signature.encode(), _device_signature(name, nonce, epoch).encode()):
            return nonce
    return None


def _remember_device(resp: Response, name: str) -> None:
    """Give the browser a fresh entry for `name` (it signed in), keeping other staff members' entries."""
    nonce = secrets.token_hex(16)
    epoch = staff.device_epoch(runtime().units, name)
    entries = [f"{nonce}.{_device_signature(name, nonce, epoch)}.{name}"]
    entries += [f"{n}.{sig}.{who}" for who, n, sig in _device_entries() if who != name]
    resp.set_cookie(DEVICE_COOKIE, "~".join(entries[:DEVICE_ENTRIES]), max_age=DEVICE_MAX_AGE,
                    path=url_for("auth.login"), secure=runtime().config.production, httponly=True,
                    samesite="Lax")


def _in_words(seconds: int) -> str:
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = -(-seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _refusal(result: staff.SignIn) -> str:
    """What the sign-in form says when the account is not signed in."""
    wait = _in_words(max(1, result.wait_seconds))
    if result.refused == staff.ADDRESS_LOCKED:
        return (f"Too many wrong passwords have been tried from your network address, so sign-in "
                f"from it is paused. Try again in {wait}.")
    if result.refused == staff.USERNAME_SLOWED:
        return (f"There have been many wrong passwords for this username, so its sign-in is slowed "
                f"down. Wait {wait} and try again. (A browser you have signed in on before is not "
                f"slowed down.)")
    if result.wait_seconds:
        return (f"That username and password do not match. There have been many wrong passwords "
                f"for this username: wait {wait} before the next try.")
    return "That username and password do not match. Try again."


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form."""
    if request.method == "GET":
        return render_template("console/login.html", next=request.args.get("next", ""))
    name, password = request.form.get("username", ""), request.form.get("password", "")
    result = staff.sign_in(runtime().units, name, password, request.remote_addr or "?",
                           device=known_device(name))
    if result.user is None:
        status = 429 if result.refused else 401
        page = render_template("console/login.html", error=_refusal(result), username=name[:80],
                               next=request.form.get("next", "")[:2000])
        headers = {}
        if result.refused:
            headers["Retry-After"] = str(max(1, result.wait_seconds))
            reason = "login-locked" if result.locked else "login-slowed"
            refusals.count(runtime().redis, "/login", reason, request.remote_addr)
        elif result.unknown:  # not in the verification log: a stranger could invent names without end
            refusals.count(runtime().redis, "/login", "login-unknown-user", request.remote_addr)
        return page, status, headers
    session.clear()  # a new session at sign-in: nothing set before it carries over
    session[UID] = result.user.id
    session[VERSION] = result.user.session_version
    csrf.rotate()
    resp = redirect(safe_next(request.form.get("next")))
    _remember_device(resp, result.user.username)
    return resp


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST with the form token, so another site cannot sign you out). It ends every
    session of the account, on every browser, so a copied cookie is useless afterwards."""
    user = g.get("user")
    if user is not None:
        staff.sign_out(runtime().units, user.username)
    session.clear()
    flash("You are signed out, here and on every other browser or device where you were signed in.")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    """Load the user before each request and show the sign-in state in every template."""
    app.before_request(_load_user)
    app.context_processor(lambda: {"current_user": g.get("user"),
                                   "is_admin": staff.is_admin(g.get("user")),
                                   "dev_tools": not runtime().config.production})

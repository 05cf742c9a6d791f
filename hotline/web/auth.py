"""Staff sign-in and sign-out, the signed-in user on `g.user`, and role decorators."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from hotline.services.console import accounts as staff
from hotline.web import csrf, runtime

bp = Blueprint("auth", __name__)


def _load_user() -> None:
    """Read the account on every request, so a deactivated account loses access at once."""
    g.user = None
    uid = session.get("uid")
    if uid is None or request.endpoint == "static":
        return
    user = staff.signed_in(runtime().units, uid)
    if user is None:
        session.clear()
        return
    g.user = user


def _denied(status: int, message: str) -> Any:
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message), status
    if status == 401:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
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


def safe_next(target: str | None) -> str:
    """A local path to go to next, or the queue."""
    # Only local paths: a crafted ?next= must not send someone to another site after sign-in.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("console.queue")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form."""
    if request.method == "GET":
        return render_template("console/login.html", next=request.args.get("next", ""))
    name, password = request.form.get("username", ""), request.form.get("password", "")
    result = staff.sign_in(runtime().units, name, password, request.remote_addr or "?")
    if result.user is None:
        message = ("Too many wrong tries. Wait 15 minutes or ask an administrator to help."
                   if result.locked else "That username and password do not match. Try again.")
        return render_template("console/login.html", error=message, username=name,
                               next=request.form.get("next", "")), 401
    session.clear()  # a new session at sign-in: nothing set before it carries over
    session["uid"] = result.user.id
    csrf.rotate()
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST with the form token, so another site cannot sign you out)."""
    user = g.get("user")
    if user is not None:
        staff.sign_out(runtime().units, user.username)
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    """Load the user before each request and show the sign-in state in every template."""
    app.before_request(_load_user)
    app.context_processor(lambda: {"current_user": g.get("user"),
                                   "is_admin": staff.is_admin(g.get("user")),
                                   "dev_tools": not runtime().config.production})

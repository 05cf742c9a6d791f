"""/healthz, /readyz and /metrics: cheap, no detail for strangers, /metrics only for admins or a token."""
from __future__ import annotations

import timeit
from dataclasses import replace

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from hotline.adapters.queues import connect
from tests.support.chairs import Phone, load_roster
from tests.support.stack import ACCOUNT_SID, sign, twilio_sid
from tests.web.console.staff import _fast_hashes, accounts, alice, carol  # noqa: F401

TOKEN = "metrics-token-0123456789abcdef"


def test_healthz_answers_ok_without_the_database_or_redis(rt, client):
    rt.redis.close()
    rt.redis = connect("redis://127.0.0.1:1/0")
    rt.db.dispose()
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "ok\n"


def test_readyz_is_ok_when_the_database_redis_and_schema_are(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json() == {"database": "ok", "redis": "ok", "migrations": "ok"}


def test_readyz_names_redis_when_it_is_down(rt, client):
    rt.redis.close()
    rt.redis = connect("redis://127.0.0.1:1/0")
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json() == {"database": "ok", "redis": "failed", "migrations": "ok"}  # no error detail


def test_readyz_names_the_migrations_when_the_schema_is_behind(rt, client):
    with rt.db.engine.begin() as conn:
        (head,) = conn.execute(text("SELECT version_num FROM alembic_version")).one()
        conn.execute(text("UPDATE alembic_version SET version_num = 'behind'"))
    try:
        resp = client.get("/readyz")
    finally:
        with rt.db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert resp.status_code == 503 and resp.get_json()["migrations"] == "failed"


def _samples(page: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(page) for s in family.samples}


def test_metrics_are_for_administrators_and_the_token_only(rt, client, carol, alice):  # noqa: F811
    assert client.get("/metrics").status_code == 404  # strangers: nothing there
    assert alice.get("/metrics").status_code == 404  # staff who are not administrators
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 401  # no token set
    rt.config = replace(rt.config, metrics_token=TOKEN)
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    by_token = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert by_token.status_code == 200 and by_token.mimetype == "text/plain"
    page = carol.get("/metrics")
    assert page.status_code == 200
    found = _samples(page.get_data(as_text=True))
    assert found[("hotline_scrape_ok", ())] == 1
    assert found[("hotline_precincts", ())] > 0  # the roster is loaded by the accounts fixture
    assert found[("hotline_queue_depth", (("queue", "inbound"),))] == 0
    assert found[("hotline_failed_jobs", (("queue", "inbound"),))] == 0


def test_a_text_shows_in_the_webhook_histogram_and_the_figures(rt, client, carol):  # noqa: F811
    before = _samples(carol.get("/metrics").get_data(as_text=True))
    Phone(client, rt, "+15155550101").send("HELP", process=False)
    rt.config = replace(rt.config, metrics_token=TOKEN)
    client.application.extensions["hotline_scraped"].ttl = 0  # read the figures again at once
    after = _samples(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True))
    key = ("hotline_webhook_seconds_count", (("endpoint", "sms.inbound_sms"),))
    assert after[key] - before.get(key, 0) == 1
    assert after[("hotline_texts_waiting", ())] == 1
    assert sum(v for (name, _), v in after.items() if name == "hotline_queue_depth") == 1  # its job waits


def test_the_webhook_cost_with_and_without_the_hooks(rt, app, client, capsys):
    """Not a pass/fail speed test: prints what the histogram and request-id hooks cost per webhook
    (the timing goes to the report; the assertion only checks both runs answered)."""
    load_roster(rt)

    def post() -> None:
        form = {"MessageSid": twilio_sid(), "AccountSid": ACCOUNT_SID, "From": "+15155559999",
                "To": "+15155550100", "Body": "HELP"}
        assert client.post("/twilio/sms", data=form,
                           headers={"X-Twilio-Signature": sign("/twilio/sms", form)}).status_code == 200

    n, with_hooks, without = 50, [], []
    hooks = app.before_request_funcs[None][0], app.teardown_request_funcs[None][-1]
    post()
    for _ in range(5):  # interleaved: the machine's other load falls on both alike
        with_hooks.append(timeit.timeit(post, number=n) / n)
        app.before_request_funcs[None].remove(hooks[0])
        app.teardown_request_funcs[None].remove(hooks[1])
        try:
            without.append(timeit.timeit(post, number=n) / n)
        finally:
            app.before_request_funcs[None].insert(0, hooks[0])
            app.teardown_request_funcs[None].append(hooks[1])
    with_hooks, without = min(with_hooks), min(without)  # type: ignore[assignment]
    with capsys.disabled():
        print(f"\nwebhook: {with_hooks * 1e3:.3f} ms with the metrics/request-id hooks, "
              f"{without * 1e3:.3f} ms without ({(with_hooks - without) * 1e6:+.0f} µs)")

"""The Operations page: RQ's queues, workers and registries; requeueing and deleting failed jobs."""
from __future__ import annotations

import html
import re

from rq import Queue, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from hotline.adapters.models import LogEntry
from hotline.adapters.queues import Q_DEFAULT, connect
from tests.support.stack import work
from tests.web.console.staff import flashes


def _failed_jobs(rt, n: int) -> list[str]:
    """`n` jobs that fail for real: queued on RQ, run by a real RQ worker in burst mode."""
    queue = Queue(Q_DEFAULT, connection=rt.redis)
    ids = [queue.enqueue("builtins.int", "not a number", job_id=f"test-fails-{i}").id for i in range(n)]
    work(rt, (Q_DEFAULT,))
    assert sorted(FailedJobRegistry(Q_DEFAULT, connection=rt.redis).get_job_ids()) == sorted(ids)
    return ids


def _entries(rt, kind: str) -> list[LogEntry]:
    with rt.db.transaction() as uow:
        return list(uow.session.execute(select(LogEntry).where(LogEntry.kind == kind)).scalars())


def test_the_page_shows_queues_workers_and_failed_jobs_with_their_error(rt, carol):
    _failed_jobs(rt, 2)
    worker = Worker([Q_DEFAULT], connection=rt.redis, name="ops-test-worker")
    worker.register_birth()
    try:
        page = html.unescape(carol.text("/admin/operations"))
    finally:
        worker.register_death()
    assert "default: failed (2)" in page
    assert "test-fails-0" in page and "test-fails-1" in page and "builtins.int" in page
    assert "ValueError: invalid literal for int() with base 10: 'not a number'" in page  # the last line only
    assert "Traceback" not in page
    assert "ops-test-worker" in page
    rows = [re.sub(r"<[^>]+>", " ", r).split() for r in re.findall(r"<dt>(.*?)</dd>", page, re.DOTALL)]
    assert ["Failed", "jobs", "2"] in rows and ["Texts", "waiting", "0"] in rows
    assert 'href="/admin/operations"' in carol.text("/admin/")  # in the admin navigation


def test_requeue_and_delete_are_logged_and_do_what_they_say(rt, carol):
    requeued, deleted = _failed_jobs(rt, 2)
    resp = carol.post(f"/admin/operations/jobs/{requeued}/requeue")
    assert resp.status_code == 302
    assert Queue(Q_DEFAULT, connection=rt.redis).get_job_ids() == [requeued]
    carol.post(f"/admin/operations/jobs/{deleted}/delete")
    assert not Job.exists(deleted, connection=rt.redis)
    assert FailedJobRegistry(Q_DEFAULT, connection=rt.redis).get_job_ids() == []
    page = carol.text("/admin/operations")
    assert f"Job {deleted} was deleted" in html.unescape(" ".join(flashes(page)))
    (req,), (dele,) = _entries(rt, "job_requeued"), _entries(rt, "job_deleted")
    assert req.actor == "carol" and req.detail == {"job": requeued, "queue": Q_DEFAULT}
    assert dele.actor == "carol" and dele.detail == {"job": deleted, "queue": Q_DEFAULT}
    # Gone already: said so, nothing logged.
    carol.post(f"/admin/operations/jobs/{deleted}/requeue")
    assert "not among the failed jobs" in " ".join(flashes(carol.text("/admin/operations")))
    assert len(_entries(rt, "job_requeued")) == 1


def test_only_administrators_and_only_with_the_csrf_token(rt, carol, alice, client):
    (job,) = _failed_jobs(rt, 1)
    assert alice.get("/admin/operations").status_code == 403
    assert alice.post(f"/admin/operations/jobs/{job}/delete").status_code == 403
    assert client.get("/admin/operations").status_code == 302  # to the sign-in form
    no_token = carol.client.post(f"/admin/operations/jobs/{job}/delete", data={})
    assert no_token.status_code == 400 and Job.exists(job, connection=rt.redis)


def test_the_page_says_when_redis_is_down(rt, carol):
    rt.redis.close()
    rt.redis = connect("redis://127.0.0.1:1/0")
    resp = carol.get("/admin/operations")
    assert resp.status_code == 503 and "Redis is unreachable" in resp.get_data(as_text=True)

"""A unit of work's after-commit calls: each distinct call once, in the order first asked."""
from __future__ import annotations

from hotline.config import Config
from hotline.services.units import UnitOfWork


class Jobs:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def results_changed(self) -> None:
        self.calls.append("results")

    def send(self, n: int) -> None:
        self.calls.append(f"send {n}")


def test_the_same_notice_asked_twice_runs_once_and_distinct_calls_all_run():
    jobs, after = Jobs(), []
    uow = UnitOfWork(None, Config(), jobs, after)  # type: ignore[arg-type]
    uow.after_commit(jobs.results_changed)
    uow.after_commit(lambda: jobs.send(1))
    uow.after_commit(jobs.results_changed)
    uow.after_commit(lambda: jobs.send(2))
    for fn in after:
        fn()
    assert jobs.calls == ["results", "send 1", "send 2"]

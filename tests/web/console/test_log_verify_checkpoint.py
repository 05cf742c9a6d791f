"""The admin page's verify button checks the log against the latest signed checkpoint too."""
from __future__ import annotations

from sqlalchemy import text

from hotline.services.log import chain, checkpoints
from tests.web.console.staff import flashes


def test_verify_button_reports_a_rollback_past_the_latest_checkpoint(rt, carol):
    page = flashes(carol.post("/admin/log/verify", follow_redirects=True).get_data(as_text=True))
    assert any("is intact" in f for f in page) and any("No signed checkpoint" in f for f in page)
    with rt.db.transaction() as uow:
        for n in range(5):
            chain.record(uow.session, "test_entry", n=n)
    signed = checkpoints.take(rt.units, rt.redis).checkpoint
    page = flashes(carol.post("/admin/log/verify", follow_redirects=True).get_data(as_text=True))
    assert any(f"extends the checkpoint of {signed.log_size} entries" in f for f in page)
    keep = signed.log_size - 2
    with rt.db.transaction() as uow:  # the newest entries deleted and the head reset
        uow.session.execute(text("DELETE FROM log_entries WHERE seq > :keep"), {"keep": keep})
        uow.session.execute(text("UPDATE log_head SET seq = :keep, hash = (SELECT hash FROM log_entries "
                                 "WHERE seq = :keep) WHERE id = 1"), {"keep": keep})
    page = " ".join(flashes(carol.post("/admin/log/verify", follow_redirects=True).get_data(as_text=True)))
    assert "The log is BROKEN" in page
    assert f"rolled back or truncated: the log has {keep} entries, the checkpoint signed {signed.log_size}" in page

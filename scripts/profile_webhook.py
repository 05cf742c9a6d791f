"""Profile the SMS webhook in-process (a developer aid, not part of the suite)."""
from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

from twilio.request_validator import RequestValidator

from hotline.adapters import migrate
from hotline.app import create_app
from hotline.config import Config
from hotline.adapters.embedded_redis import EmbeddedRedis
from hotline.runtime import build
from tests.support.chairs import load_roster

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
KIND = sys.argv[2] if len(sys.argv) > 2 else "chair"
folder = Path(tempfile.mkdtemp())
with EmbeddedRedis(folder / "r", persist=False) as redis:
    url = f"sqlite:///{folder / 'w.sqlite3'}"
    migrate.upgrade(url)
    cfg = Config(env="test", instance_path=folder, database_url=url, redis_url=redis.url,
                 secret_key="x" * 32, twilio_auth_token="t", twilio_auth_token_set=True,
                 public_base_url="https://h.test", texts_per_hour_registered=10**6)
    rt = build(cfg)
    load_roster(rt)
    client = create_app(runtime=rt).test_client()
    validator = RequestValidator("t")
    forms = []
    for i in range(N):
        phone = {"chair": "+15155550142", "unknown": "+12025550199"}.get(KIND) or f"+1303{i:07d}"  # "fresh": a new number each
        form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": "AC" + "0" * 32, "From": phone, "To": "+1",
                "Body": "first: Biden 1"}
        forms.append((form, validator.compute_signature("https://h.test/twilio/sms", form)))
    prof = cProfile.Profile()
    if "--profile" in sys.argv:
        prof.enable()
    started, cpu = time.perf_counter(), time.process_time()
    for form, sig in forms:
        assert client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": sig}).status_code == 200
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    prof.disable()
    print(f"{N} {KIND} webhooks in {elapsed:.2f}s = {elapsed / N * 1000:.2f} ms each "
          f"({cpu / N * 1000:.2f} ms of this process's CPU)")
    if "--profile" in sys.argv:
        pstats.Stats(prof).sort_stats("cumulative").print_stats("hotline/|rq/queue|redis/client|sqlalchemy/orm/session.py:.*(commit|flush)|werkzeug/test", 30)

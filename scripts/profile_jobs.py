"""Profile processing of inbound texts in-process (a developer aid, not part of the suite)."""
from __future__ import annotations

import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

from hotline.adapters import migrate
from hotline.config import Config
from hotline.adapters.embedded_redis import EmbeddedRedis
from hotline.runtime import build
from workers.context import install
from hotline.services.sms import inbox
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere
from tests.support.stack import BurstWorker  # noqa: E402
from tests.support.chairs import load_roster  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
folder = Path(tempfile.mkdtemp())
with EmbeddedRedis(folder / "r", persist=False) as redis:
    url = f"sqlite:///{folder / 'p.sqlite3'}"
    migrate.upgrade(url)
    cfg = Config(env="test", instance_path=folder, database_url=url, redis_url=redis.url,
                 secret_key="x" * 32, texts_per_hour_registered=10**6)
    rt = build(cfg)
    install(rt)
    load_roster(rt)
    phones = ["+15155550142", "+15155550107", "+15155550201", "+13195550105"]
    for i in range(N):
        body = "STATUS" if (i % 2 or "--status" in sys.argv) else "first: Biden 12, Pete 45, Bernie 40"
        stored = inbox.store(rt.units, "sms", f"SMprof{i}", {"From": [phones[i % 4]], "Body": [body]})
        rt.queues.inbound(stored.inbound_id, True, phones[i % 4])
    worker = BurstWorker(["inbound"], connection=rt.redis)
    prof = cProfile.Profile()
    started = time.perf_counter()
    if "--no-profile" not in sys.argv:
        prof.enable()
    worker.work(burst=True, logging_level="ERROR")
    prof.disable()
    elapsed = time.perf_counter() - started
    print(f"{N} inbound jobs in {elapsed:.2f}s = {N / elapsed:.0f}/s")
    if "--no-profile" in sys.argv:
        sys.exit(0)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats(sys.argv[2] if len(sys.argv) > 2 else "cumulative").print_stats(int(sys.argv[3]) if len(sys.argv) > 3 else 45)
    print(out.getvalue()[:9000])

"""Which of the product's modules run when a chair texts "YES <code>", from webhook to Twilio.

Developer aid for reading the code (not part of the suite): it plays one chair in-process (the
real webhook through Flask's test client, the real jobs through an in-process RQ worker, a real
redis-server, SQLite), then traces the YES alone and prints the modules it ran, in first-call
order, and how often control crossed from one module into another.

    .venv/bin/python scripts/trace_yes.py [--calls]
"""
from __future__ import annotations

import argparse
import importlib
import io
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

from rq import SimpleWorker
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TOKEN, BASE = "trace-token", "https://hotline.test"
CHAIR = "+15155550142"
ROSTER = "precinct,county,name,delegates,chair,phones,pin\nDSM-42,Polk,Des Moines 42,7,Maria Nguyen,+15155550142,4321\n"


def first_of(*names: str):  # type: ignore[no-untyped-def]
    """The first of these modules that exists (the code has moved between layouts)."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError(names)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", action="store_true", help="print every cross-module call")
    args = parser.parse_args()
    from hotline.app import create_app
    from hotline.config import Config
    from hotline.runtime import build
    embedded = first_of("hotline.adapters.embedded_redis", "hotline.embedded_redis")
    migrate = first_of("hotline.adapters.migrate", "hotline.migrate")
    importing = first_of("hotline.services.ops.importing", "hotline.services.importing")
    demo = first_of("hotline.services.ops.demo_roster", "hotline.demo")
    jobs_context = first_of("workers.context", "hotline.runtime")
    folder = Path(tempfile.mkdtemp(prefix="trace-yes-"))
    redis = embedded.EmbeddedRedis(folder / "redis", persist=False)
    redis.start()
    try:
        url = f"sqlite:///{folder / 'db.sqlite3'}"
        migrate.upgrade(url)
        rt = build(Config(env="test", instance_path=folder, database_url=url, redis_url=redis.url,
                          twilio_auth_token=TOKEN, twilio_auth_token_set=True, public_base_url=BASE,
                          secret_key="trace-secret-key-0123456789"))
        jobs_context.install(rt)
        with rt.db.transaction() as uow:
            importing.import_candidates(uow.session, io.StringIO(demo.candidates_csv()))
            importing.import_roster(uow.session, io.StringIO(ROSTER))
        client = create_app(runtime=rt).test_client()

        def text(body: str, n: int) -> None:
            form = {"MessageSid": f"SM{n:032d}", "AccountSid": "AC" + "0" * 32, "From": CHAIR, "To": "+15155550100",
                    "Body": body}
            signature = RequestValidator(TOKEN).compute_signature(f"{BASE}/twilio/sms", form)
            assert client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}).status_code == 200
            worker = SimpleWorker(["replies", "inbound", "outbound", "default", "unknown"], connection=rt.redis)
            worker.work(burst=True, with_scheduler=False, logging_level="ERROR")

        text("first: Biden 12, Pete 45, Klobuchar 8, Bernie 40, Warren 30", 1)
        with rt.db.transaction() as uow:
            body = uow.session.execute(
                __import__("sqlalchemy").text("SELECT body FROM outbound_messages ORDER BY id DESC LIMIT 1")).scalar()
        code = re.search(r"YES (\d+)", body).group(1)  # type: ignore[union-attr]

        order: list[str] = []
        crossings: Counter[tuple[str, str]] = Counter()
        stack: list[str] = []
        product = (str(ROOT / "hotline") + "/", str(ROOT / "workers") + "/")

        def module_of(frame) -> str | None:  # type: ignore[no-untyped-def]
            path = frame.f_code.co_filename
            if not path.startswith(product):
                return None
            return str(Path(path).relative_to(ROOT).with_suffix("")).replace("/", ".")

        def profile(frame, event, _arg):  # type: ignore[no-untyped-def]
            if event == "call":
                mod = module_of(frame)
                caller = stack[-1] if stack else None
                stack.append(mod or (caller or ""))
                if mod is None:
                    return
                if mod not in order:
                    order.append(mod)
                if caller and caller != mod:
                    crossings[(caller, mod)] += 1
            elif event == "return" and stack:
                stack.pop()

        sys.setprofile(profile)
        try:
            text(f"YES {code}", 2)
        finally:
            sys.setprofile(None)
        print(f"{len(order)} product modules ran for one YES (first call order):")
        for m in order:
            print(f"  {m}")
        print(f"{sum(crossings.values())} calls crossed from one product module into another, "
              f"over {len(crossings)} distinct module pairs")
        both = sorted({tuple(sorted(pair)) for pair in crossings if pair[::-1] in crossings})
        print(f"{len(both)} module pairs called each other both ways: "
              + (", ".join(f"{a} <-> {b}" for a, b in both) or "none"))
        outside = [m for m in order if not m.startswith("hotline.domain")]
        print(f"{len(outside)} of them outside the domain core")
        if args.calls:
            for (a, b), n in crossings.most_common():
                print(f"  {n:4}  {a} -> {b}")
        rt.close()
    finally:
        redis.stop()


if __name__ == "__main__":
    main()

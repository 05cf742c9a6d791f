"""Alembic environment: the URL comes from hotline's config (or the caller), never from alembic.ini."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from hotline.adapters.models import Base
from hotline.config import Config

url = context.config.attributes.get("url") or Config.from_env().database_url


def run() -> None:
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        # Batch mode lets later migrations alter tables on SQLite too.
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()

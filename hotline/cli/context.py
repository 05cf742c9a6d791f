"""What every command starts from: the checked configuration and a unit of work on its database."""
from __future__ import annotations

from typing import ContextManager

from hotline.adapters.db import UnitOfWork, one_transaction
from hotline.config import Config


def config() -> Config:
    """The environment's configuration, refused when unsafe (as the app factory does)."""
    return Config.from_env().validate()


def transaction() -> ContextManager[UnitOfWork]:
    """One unit of work on the configured database, closed afterwards."""
    return one_transaction(config().database_url)

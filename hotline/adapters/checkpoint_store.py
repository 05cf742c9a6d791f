"""Where signed checkpoints are kept: files in the checkpoint folder, and the latest in Redis.

The folder (`config.checkpoints_path`) holds one file per checkpoint, named by the log size it
signs (`checkpoint-000000012345.json`), and `latest.json`, a copy of the largest. Redis holds
the latest too (`REDIS_KEY`), so every web process can serve it. Both only ever move forward:
a checkpoint smaller than the one already there does not replace it.
"""
from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from redis import Redis

REDIS_KEY = "hotline:log:checkpoint"
LATEST = "latest.json"
PATTERN = "checkpoint-*.json"

# Replace the published checkpoint unless the one there signs a larger log.
_PUBLISH = """
local current = redis.call('GET', KEYS[1])
if current then
  local ok, doc = pcall(cjson.decode, current)
  if ok and type(doc) == 'table' and tonumber(doc['log_size']) and
     tonumber(doc['log_size']) > tonumber(ARGV[1]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""


class CheckpointFiles:
    """The checkpoint folder on this host's disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def write(self, name: str, size: int, text: str) -> Path:
        """Write `name`, and `latest.json` unless it holds a larger checkpoint; the file's path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        with self._locked():
            _replace(path, text)
            if _size(self.latest()) <= size:
                _replace(self.folder / LATEST, text)
        return path

    def latest(self) -> str | None:
        return _read(self.folder / LATEST)

    def texts(self) -> Iterator[tuple[Path, str]]:
        """Every stored checkpoint file (not `latest.json`), smallest log first."""
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob(PATTERN)):
            text = _read(path)
            if text is not None:
                yield path, text

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def write_copy(path: Path, text: str) -> Path:
    """A copy somewhere else (`hotline log checkpoint --out FILE`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace(path, text)
    return path


def publish(redis: Redis, size: int, text: str) -> bool:
    """Make `text` the published checkpoint unless a larger one is there; whether it is now."""
    return bool(redis.eval(_PUBLISH, 1, REDIS_KEY, size, text))


def published(redis: Redis) -> str | None:
    value = redis.get(REDIS_KEY)
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _size(text: str | None) -> int:
    try:
        return int(json.loads(text)["log_size"]) if text else 0
    except (ValueError, KeyError, TypeError):
        return 0


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):  # missing or unreadable: no checkpoint there
        return None


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)

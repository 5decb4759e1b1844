"""Content-addressed blob folder: ``<dir>/ab/cd/abcd...`` named by the content's sha256."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_HASH_RE = re.compile(r"^[0-9a-f]{64}$")


class BlobStore:
    """Write-once files keyed by sha256; writes are atomic (temp file + fsync + rename)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, digest: str) -> Path:
        if not _HASH_RE.match(digest):
            raise ValueError(f"not a sha256 hex digest: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        """Store ``data`` (once) and return its sha256 hex digest."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes | None:
        try:
            return self.path_for(digest).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def delete(self, digest: str) -> bool:
        try:
            self.path_for(digest).unlink()
        except (FileNotFoundError, ValueError):
            return False
        return True

    def size(self) -> int:
        """Total bytes stored."""
        if not self.root.exists():
            return 0
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())

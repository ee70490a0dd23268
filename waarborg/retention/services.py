"""Backups that keep erasures erased (invariant 5): make one, restore one into an empty database
and replay the erasure ledger over it, and verify one in a scratch database.

A backup holds the wrapped data keys of everyone who was not yet erased when it was made. The
erasure ledger (waarborg/vault/erasures.py), kept outside the database, names everyone erased
since; ``backup_restore`` erases each of them again, with the copies other apps keep of them
(what data-subject requests gathered: ``vault.erasures.copies_erase``), before it drops the
restore marker, and nothing serves a database that still has the marker (markers.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from waarborg.audit.models import AuditEntry, AuditSeal
from waarborg.audit.services import audit_seal
from waarborg.core.actors import Actor
from waarborg.policy.selectors import policy_current
from waarborg.retention.engines import Engine, Progress, engine_current
from waarborg.retention.markers import (
    LOADING,
    REPLAYING,
    Marker,
    marker_drop,
    marker_read,
    marker_state,
    restore_refusal,
)
from waarborg.retention.sealed import (
    BackupDamaged,
    BackupError,
    BackupKey,
    SealedReader,
    SealedWriter,
    backup_key,
)
from waarborg.vault.erasures import (
    ErasureRecord,
    LedgerError,
    LedgerReading,
    erasures_replay,
    fsync_dir,
)

BATCH = 1000  # ledger records replayed per transaction


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def backup_create(*, path: Path, progress: Progress) -> dict[str, Any]:
    """Write an encrypted backup of the configured database to ``path`` (never overwritten; an
    interrupted run leaves at most ``path.partial``, never ``path``). Returns its manifest and
    checksum."""
    key = backup_key()
    engine = engine_current()
    if path.exists():
        raise BackupError(f"{path} exists already; a backup never overwrites a file")
    if refusal := restore_refusal():
        raise BackupError(refusal)
    audit_seal()  # the manifest then names the newest link of everything committed so far
    manifest = {
        "backup_id": uuid.uuid4().hex,
        "created_at": _now(),
        "engine": engine.vendor,
        "compression": "zlib" if engine.vendor == "sqlite" else "pg_dump",
        **backup_facts(),
    }
    partial = path.with_name(path.name + ".partial")
    try:
        out = partial.open("wb")
    except OSError as exc:
        raise BackupError(f"{partial} cannot be written: {exc.strerror}") from None
    try:
        with out:
            writer = SealedWriter(out, key, manifest)
            closing = _seal_dump(engine, writer, progress)
            out.flush()
            os.fsync(out.fileno())
        partial.rename(path)
        fsync_dir(path.resolve().parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return {**writer.manifest, **closing, "file_bytes": writer.written}


def _seal_dump(engine: Engine, writer: SealedWriter, progress: Progress) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    # pg_dump's custom format is compressed already; a SQLite file is compressed here.
    deflate = zlib.compressobj(6) if engine.vendor == "sqlite" else None
    for piece in engine.dump(progress):
        digest.update(piece)
        size += len(piece)
        writer.write(deflate.compress(piece) if deflate else piece)
    if deflate:
        writer.write(deflate.flush())
    closing = {"sha256": digest.hexdigest(), "bytes": size}
    writer.finish(closing)
    return closing


def _dump_stream(reader: SealedReader, key: BackupKey) -> Iterator[bytes]:
    """The dump as it was made, piece by piece; raises at the end, before its consumer can
    finish, when the checksum in the closing record does not match."""
    digest, size = hashlib.sha256(), 0
    inflate = zlib.decompressobj() if reader.manifest.get("compression") == "zlib" else None
    for piece in reader.records(key):
        plain = inflate.decompress(piece) if inflate else piece
        digest.update(plain)
        size += len(plain)
        yield plain
    if inflate:
        tail = inflate.flush()
        digest.update(tail)
        size += len(tail)
        yield tail
    closing = reader.closing or {}
    if closing.get("sha256") != digest.hexdigest() or closing.get("bytes") != size:
        raise BackupDamaged("the backup's content does not match its checksum")


def _open(path: Path, key: BackupKey, engine: Engine) -> tuple[SealedReader, Any]:
    try:
        inp = path.open("rb")
    except OSError as exc:
        raise BackupError(f"{path} cannot be read: {exc.strerror}") from None
    try:
        reader = SealedReader(inp)
        reader.key_check(key)
        if reader.manifest.get("engine") != engine.vendor:
            raise BackupError(
                f"this is a backup of a {reader.manifest.get('engine')} database; DATABASE_URL "
                f"names a {engine.vendor} one"
            )
    except BaseException:
        inp.close()
        raise
    return reader, inp


@dataclass
class Restored:
    manifest: dict[str, Any]
    loaded: bool  # False: the data was there already, an interrupted replay was finished
    records: int = 0
    erased: int = 0
    already: int = 0
    absent: int = 0
    damaged: list[str] = field(default_factory=list)


def _ledger(directory: Path) -> LedgerReading:
    reading = LedgerReading(directory)
    try:
        reading.files()
    except LedgerError as exc:
        raise BackupError(
            f"{exc}. Without the erasure ledger a restore would bring erased people back: copy "
            "it here from where it is kept (or give its place with --ledger); if nobody has been "
            "erased since this backup was made, create the directory empty."
        ) from None
    return reading


def backup_restore(
    *,
    path: Path,
    ledger: Path,
    progress: Progress,
    after_batch: Callable[[int, int], None],
    batch: int = BATCH,
) -> Restored:
    """Restore ``path`` into the configured, empty database and replay the erasure ledger over
    it. Run again after an interruption, with the same file: a finished load is kept and the
    replay goes on (records already carried out are skipped)."""
    key = backup_key()
    engine = engine_current()
    reader, inp = _open(path, key, engine)
    with inp:
        reading = _ledger(ledger)
        with engine.locked():
            result = _load(reader, key, engine, progress)
            _replay(reading, result, batch=batch, after_batch=after_batch, progress=progress)
            audit_seal(scan_all=True)
            marker_drop()
    return result


def _load(reader: SealedReader, key: BackupKey, engine: Engine, progress: Progress) -> Restored:
    """Load the backup unless an interrupted restore of the same backup already did."""
    manifest = reader.manifest
    marker = marker_read()
    if marker is not None and marker.backup_id != manifest.get("backup_id"):
        raise BackupError(
            f"this database holds the unfinished restore of another backup (made "
            f"{marker.backup_made}); finish it with that file, or start from an empty database"
        )
    result = Restored(manifest, loaded=marker is None or marker.state == LOADING)
    if not result.loaded:
        return result
    if not engine.empty():
        raise BackupError(
            f"the database {engine.name} is not empty; a backup is restored only into an "
            "empty database (create a new one, or drop and create this one again)"
        )
    state = LOADING if engine.vendor == "postgresql" else REPLAYING
    made = str(manifest.get("created_at"))
    progress(f"loading the backup made {made}")
    engine.load(
        _dump_stream(reader, key), Marker(str(manifest["backup_id"]), made, _now(), state), progress
    )
    marker_state(REPLAYING)
    return result


def _replay(
    reading: LedgerReading,
    result: Restored,
    *,
    batch: int,
    after_batch: Callable[[int, int], None],
    progress: Progress,
) -> None:
    total = sum(1 for _ in LedgerReading(reading.directory))
    progress(f"replaying the erasure ledger: {total} records")
    actor = Actor.job("backup-restore")
    now = dt.datetime.now(dt.UTC)
    chunk: list[ErasureRecord] = []

    def run() -> None:
        done = erasures_replay(actor=actor, records=chunk, now=now)
        result.records += len(chunk)
        result.erased += done.erased
        result.already += done.already
        result.absent += done.absent
        chunk.clear()
        after_batch(result.records, total)

    for record in reading:
        chunk.append(record)
        if len(chunk) >= batch:
            run()
    if chunk:
        run()
    result.damaged = reading.damaged


@dataclass(frozen=True)
class Verified:
    manifest: dict[str, Any]
    closing: dict[str, Any]
    audit: str  # what 'audit verify' said about the restored copy
    problem: str  # empty when the backup is sound

    @property
    def sound(self) -> bool:
        return not self.problem


def backup_verify(*, path: Path, progress: Progress) -> Verified:
    """Decrypt and load ``path`` into a scratch database, check its audit chain with ``waarborg
    audit verify`` (in a process of its own, on that database) and that the chain holds the
    link the manifest names; the scratch database is removed afterwards. A damaged file raises
    ``BackupDamaged``."""
    key = backup_key()
    engine = engine_current()
    reader, inp = _open(path, key, engine)
    with inp:
        progress("decrypting into a scratch database")
        with engine.scratch(_dump_stream(reader, key), progress) as scratch:
            progress("checking the audit chain")
            env = {**os.environ, "DATABASE_URL": scratch.url}
            command = [sys.executable, "-m", "waarborg", "audit", "--skip-checks", "verify"]
            done = subprocess.run(  # noqa: S603 - our own argv, no shell
                command, env=env, capture_output=True, text=True, check=False
            )
            said = (done.stdout + done.stderr).strip()
            audit = reader.manifest.get("audit") or {}
            head = audit.get("position") or 0
            stored = scratch.seal_hash(head) if head else None
    problem = "" if done.returncode == 0 else f"audit chain: {said}"
    if not problem and head and stored != audit.get("hash"):
        problem = f"the audit chain does not hold the link its manifest names (position {head})"
    return Verified(reader.manifest, reader.closing or {}, said, problem)


def backup_facts() -> dict[str, Any]:
    """The policy version in force and the newest link of the audit chain (its position and
    hash; a restored database must hold that link) and the newest entry, sealed or not."""
    head = AuditSeal.objects.order_by("-position").values_list("position", "hash").first()
    newest = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    return {
        "policy_version": policy_current().digest,
        "audit": {
            "position": head[0] if head else 0,
            "hash": head[1] if head else None,
            "last_entry": newest,
        },
    }

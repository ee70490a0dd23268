from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from waarborg.core.commands import SubcommandCommand, Subcommands
from waarborg.retention.sealed import BackupDamaged, BackupError
from waarborg.retention.services import (
    BATCH,
    Restored,
    backup_create,
    backup_restore,
    backup_verify,
)
from waarborg.vault.erasures import ledger_dir

# Tests only: stop after the first replayed batch until a line arrives on stdin, so a test can
# kill the restore mid-replay at a known point.
PAUSE = "WAARBORG_TEST_PAUSE_REPLAY"


def _mib(size: object) -> str:
    return f"{int(size) / (1 << 20):,.1f} MiB" if isinstance(size, int) else "?"


class Command(SubcommandCommand):
    help = (
        "Backups that keep erasures erased. 'create FILE' writes an encrypted, compressed dump of "
        "the database (key: WAARBORG_BACKUP_KEY) with a manifest. 'restore FILE' loads it into "
        "an empty database, then erases again everyone the erasure ledger names "
        "(WAARBORG_ERASURE_LEDGER); until that has finished no server serves the database, and "
        "running it again with the same file finishes an interrupted restore. 'verify FILE' "
        "loads it into a scratch database and checks the audit chain. Exit 0: done; 1: the "
        "backup is damaged, changed or its audit chain broken; 2: it cannot be done (setting, "
        "key, database)."
    )
    # restore must run on a database whose restore is unfinished, which the system check refuses
    requires_system_checks: list[str] = []

    def add_subcommands(self, sub: Subcommands) -> None:
        create = sub.add_parser("create", help="write an encrypted backup to FILE")
        create.add_argument("file", type=Path)
        restore = sub.add_parser("restore", help="restore FILE into an empty database")
        restore.add_argument("file", type=Path)
        restore.add_argument(
            "--ledger", type=Path, help="the erasure ledger's directory (default: the setting)"
        )
        restore.add_argument(
            "--batch", type=int, default=BATCH, help="ledger records replayed per transaction"
        )
        verify = sub.add_parser("verify", help="check FILE in a scratch database")
        verify.add_argument("file", type=Path)

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except BackupDamaged as exc:
            self._fail(str(exc), 1)
        except BackupError as exc:
            self._fail(str(exc), 2)
        except KeyboardInterrupt:
            self._fail("interrupted; run the same command again to finish", 130)

    def _fail(self, message: str, code: int) -> None:
        self.stderr.write(f"backup: {message}")
        sys.exit(code)

    def _progress(self, message: str) -> None:
        self.stderr.write(message)

    def handle_create(self, options: dict[str, Any]) -> None:
        made = backup_create(path=options["file"], progress=self._progress)
        self.stdout.write(f"backup written: {options['file']} ({_mib(made['file_bytes'])})")
        self._manifest(made)
        self.stdout.write(f"  checksum: sha256 {made['sha256']} of {made['bytes']:,} bytes")

    def _manifest(self, manifest: dict[str, Any]) -> None:
        audit = manifest.get("audit") or {}
        head = str(audit.get("hash") or "")[:16]
        self.stdout.write(f"  made:     {manifest.get('created_at')} ({manifest.get('engine')})")
        self.stdout.write(f"  policy:   {str(manifest.get('policy_version'))[:12]}")
        self.stdout.write(
            f"  audit:    chain position {audit.get('position')} ({head}...), newest entry "
            f"{audit.get('last_entry')}"
        )
        self.stdout.write(f"  key:      backup key {manifest.get('key_id')}")

    def handle_restore(self, options: dict[str, Any]) -> None:
        self._last = time.monotonic()
        restored = backup_restore(
            path=options["file"],
            ledger=options["ledger"] or ledger_dir(),
            batch=max(1, options["batch"]),
            progress=self._progress,
            after_batch=self._after_batch,
        )
        self._restored(options["file"], restored)

    def _after_batch(self, done: int, total: int) -> None:
        if done == total or time.monotonic() - self._last >= 2:
            self._last = time.monotonic()
            self._progress(f"  {done}/{total} ledger records replayed")
        if os.environ.get(PAUSE) == "1" and done < total:
            os.environ[PAUSE] = "done"
            self.stdout.write(f"replay paused after {done} records ({PAUSE})")
            self.stdout.flush()
            sys.stdin.readline()

    def _restored(self, path: Path, restored: Restored) -> None:
        how = "restored" if restored.loaded else "finished the interrupted restore of"
        self.stdout.write(f"{how} {path} (backup made {restored.manifest.get('created_at')})")
        self.stdout.write(
            f"erasure ledger: {restored.records} records; {restored.erased} people erased again, "
            f"{restored.already} already erased in the backup, {restored.absent} not in it"
        )
        if restored.damaged:
            self.stdout.write(
                f"warning: {len(restored.damaged)} ledger lines could not be read "
                f"({', '.join(restored.damaged[:5])}); every subject id found in them was erased"
            )
        self.stdout.write("the restore has finished; the database may be served")

    def handle_verify(self, options: dict[str, Any]) -> None:
        verified = backup_verify(path=options["file"], progress=self._progress)
        self.stdout.write(f"backup {options['file']}")
        self._manifest(verified.manifest)
        closing = verified.closing
        self.stdout.write(f"  checksum: sha256 {closing.get('sha256')} matches")
        self.stdout.write(f"  audit chain in the backup: {verified.audit}")
        if not verified.sound:
            self._fail(f"the backup is not sound: {verified.problem}", 1)
        self.stdout.write("the backup is sound")

"""The backup file: a readable manifest, then the dump encrypted in chunks with the backup key.

Layout: ``MAGIC``, the manifest as JSON (4-byte length first), then records of ``length (4
bytes), kind (1 byte), AES-256-GCM ciphertext``: data records of at most ``CHUNK`` bytes each and
one closing record holding the checksum of the dump (``{"sha256", "bytes"}``). Memory stays flat
whatever the database's size.

- The file key is derived (HKDF-SHA256) from the backup key and a random salt in the manifest, so
  no two backups share a key and the counter nonces below never repeat under one key.
- The nonce of record ``n`` is ``n`` (11 bytes) and its kind (1 byte): records cannot be
  reordered, dropped or turned into the closing record, and a file cut short misses its closing
  record.
- Every record is authenticated together with the SHA-256 of everything before the first record,
  so the manifest cannot be changed either (it is readable without the key, to say which backup
  a file is; ``verified`` says whether a record has confirmed it yet).
- The backup key is never the KEK: a backup is no use to whoever has only one of the two.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from waarborg.conf import env_secret
from waarborg.vault.selectors import key_is_a_kek

MAGIC = b"WAARBORG BACKUP\n"
FORMAT = 1
CHUNK = 1 << 20
_DATA, _END = 0, 1
_RECORD = struct.Struct(">IB")
_LENGTH = struct.Struct(">I")
_TAG = 16


class BackupError(Exception):
    """The backup cannot be made or used; the message is one line an operator can act on."""


class BackupDamaged(BackupError):
    """The file is not an intact waarborg backup (changed, damaged, cut short)."""


@dataclass(frozen=True)
class BackupKey:
    raw: bytes

    @property
    def key_id(self) -> str:
        """A public fingerprint, written into the manifest to name the key a backup needs."""
        return hashlib.sha256(b"waarborg backup key id\x00" + self.raw).hexdigest()[:16]


def backup_key() -> BackupKey:
    """``WAARBORG_BACKUP_KEY`` (or ``_FILE``): 32 random bytes in base64. Refused when missing,
    malformed, or equal to a key-encryption key."""
    text = env_secret("WAARBORG_BACKUP_KEY")
    if text is None:
        raise BackupError(
            "WAARBORG_BACKUP_KEY (or WAARBORG_BACKUP_KEY_FILE) is not set; backups are encrypted "
            "with a key of their own. Create one with 'waarborg keys generate' and keep it apart "
            "from the KEK."
        )
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BackupError("WAARBORG_BACKUP_KEY is not valid base64.") from None
    if len(raw) != 32:
        raise BackupError(f"WAARBORG_BACKUP_KEY must be 32 random bytes (base64), got {len(raw)}.")
    if key_is_a_kek(raw):
        raise BackupError(
            "WAARBORG_BACKUP_KEY is the key-encryption key; a backup needs a key of its own, so "
            "that neither key alone opens the personal data in a backup."
        )
    return BackupKey(raw)


def _aead(key: BackupKey, salt: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=salt, info=b"waarborg backup v1")
    return AESGCM(hkdf.derive(key.raw))


def _nonce(counter: int, kind: int) -> bytes:
    return counter.to_bytes(11, "big") + bytes([kind])


class SealedWriter:
    """Writes ``manifest`` and then everything given to ``write``, encrypted; ``finish`` closes."""

    def __init__(self, out: BinaryIO, key: BackupKey, manifest: dict[str, Any]) -> None:
        salt = os.urandom(16)
        self.manifest = {**manifest, "format": FORMAT, "key_id": key.key_id, "salt": salt.hex()}
        raw = json.dumps(self.manifest, sort_keys=True).encode("utf-8")
        prefix = MAGIC + _LENGTH.pack(len(raw)) + raw
        out.write(prefix)
        self._out = out
        self._aad = hashlib.sha256(prefix).digest()
        self._aead = _aead(key, salt)
        self._counter = 0
        self._buffer = bytearray()
        self.written = len(prefix)

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), _DATA)
            del self._buffer[:CHUNK]

    def finish(self, closing: dict[str, Any]) -> None:
        if self._buffer:
            self._emit(bytes(self._buffer), _DATA)
            self._buffer.clear()
        self._emit(json.dumps(closing, sort_keys=True).encode("utf-8"), _END)

    def _emit(self, plain: bytes, kind: int) -> None:
        sealed = self._aead.encrypt(_nonce(self._counter, kind), plain, self._aad)
        self._out.write(_RECORD.pack(len(sealed), kind) + sealed)
        self._counter += 1
        self.written += _RECORD.size + len(sealed)


def _exactly(inp: BinaryIO, size: int) -> bytes:
    data = inp.read(size)
    if len(data) != size:
        raise BackupDamaged("the backup file ends early (cut short or damaged)")
    return data


class SealedReader:
    """Reads the manifest at once; ``records(key)`` yields the dump's pieces, each checked, and
    then sets ``closing``. Anything wrong raises ``BackupDamaged`` before the next piece."""

    def __init__(self, inp: BinaryIO) -> None:
        if inp.read(len(MAGIC)) != MAGIC:
            raise BackupDamaged("this file is not a waarborg backup")
        (length,) = _LENGTH.unpack(_exactly(inp, _LENGTH.size))
        if length > 1 << 20:
            raise BackupDamaged("the backup's manifest is damaged")
        raw = _exactly(inp, length)
        try:
            manifest = json.loads(raw)
        except ValueError:
            raise BackupDamaged("the backup's manifest is damaged") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupDamaged("the backup's manifest is damaged or of an unknown format")
        self.manifest: dict[str, Any] = manifest
        self.closing: dict[str, Any] | None = None
        self.verified = False
        self._inp = inp
        self._aad = hashlib.sha256(MAGIC + _LENGTH.pack(length) + raw).digest()

    def key_check(self, key: BackupKey) -> None:
        made_with = self.manifest.get("key_id")
        if made_with != key.key_id:
            raise BackupError(
                f"this backup was made with backup key {made_with}, but WAARBORG_BACKUP_KEY is "
                f"key {key.key_id}; set the key the backup was made with."
            )

    def records(self, key: BackupKey) -> Iterator[bytes]:
        self.key_check(key)
        try:
            salt = bytes.fromhex(str(self.manifest.get("salt")))
        except ValueError:
            raise BackupDamaged("the backup's manifest is damaged") from None
        aead = _aead(key, salt)
        counter = 0
        while True:
            head = self._inp.read(_RECORD.size)
            if len(head) < _RECORD.size:
                raise BackupDamaged("the backup file ends early (cut short or damaged)")
            length, kind = _RECORD.unpack(head)
            if kind not in (_DATA, _END) or not _TAG <= length <= CHUNK + _TAG:
                raise BackupDamaged(f"the backup is damaged at part {counter + 1}")
            sealed = _exactly(self._inp, length)
            try:
                plain = aead.decrypt(_nonce(counter, kind), sealed, self._aad)
            except InvalidTag:
                raise BackupDamaged(
                    f"the backup was changed or damaged: part {counter + 1} does not decrypt"
                ) from None
            self.verified = True
            counter += 1
            if kind == _END:
                self.closing = json.loads(plain)
                if self._inp.read(1):
                    raise BackupDamaged("the backup has data after its closing record")
                return
            yield plain

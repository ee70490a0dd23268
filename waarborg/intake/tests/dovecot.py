"""A real, throw-away Dovecot IMAP server for the tests, and a proxy that can stall its client.

The server runs from a config in a temporary folder (users from a passwd-file, Maildirs in the
same folder, plain IMAP and IMAP over TLS with a self-signed certificate) on free ports of
127.0.0.1, in the foreground, and is stopped when the tests are done. Dovecot refuses to run its
login and mail processes as root, so as root they run as the package's ``dovenull`` and as
``nobody``; as anyone else, as that user.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import grp
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from imap_tools import MailBoxUnencrypted

DOVECOT = Path("/usr/sbin/dovecot")
USERS = [f"privacy{n}" for n in range(1, 31)]
PASSWORD = "throw-away-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot stopped: {log.read_text(errors='replace')[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # a server starting up: nothing to wait on but its port
    raise RuntimeError("dovecot did not open its port within 20 s")


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return cert_file, key_file


def _accounts() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid) for this process's user."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid()).pw_name
        return me, me, os.getuid(), os.getgid()
    nobody = pwd.getpwnam("nobody")
    return "dovenull", "dovecot", nobody.pw_uid, nobody.pw_gid


_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int
    tls_port: int
    cert: Path

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user

    def url(self, user: str, *, tls: bool = False) -> str:
        if tls:
            return f"imaps://{user}:{PASSWORD}@127.0.0.1:{self.tls_port}/INBOX"
        return f"imap://{user}:{PASSWORD}@127.0.0.1:{self.port}/INBOX"

    def box(self, user: str, folder: str = "INBOX") -> MailBoxUnencrypted:
        return MailBoxUnencrypted("127.0.0.1", self.port, timeout=30).login(
            user, PASSWORD, initial_folder=folder
        )

    def append(self, user: str, raw: bytes) -> None:
        with self.box(user) as box:
            box.append(raw, "INBOX")

    def flags(self, user: str, folder: str) -> list[tuple[str, ...]]:
        """The flags of every mail in ``folder``; [] when the folder does not exist."""
        with self.box(user, folder=None) as box:  # type: ignore[arg-type]
            if not box.folder.exists(folder):
                return []
            box.folder.set(folder)
            return [m.flags for m in box.fetch(mark_seen=False, headers_only=True)]


def dovecot_run() -> Iterator[Dovecot]:
    """Start a Dovecot on free ports; yields it, then stops it and removes its folder."""
    root = Path(tempfile.mkdtemp(prefix="waarborg-dovecot-"))
    root.chmod(0o755)  # the mail processes run as another user; they must reach their Maildir
    login_user, internal_user, uid, gid = _accounts()
    (root / "mail").mkdir()
    (root / "state").mkdir()
    os.chown(root / "mail", uid, gid)
    _certificate(root)
    (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{PASSWORD}::::::\n" for u in USERS))
    port, tls_port = free_port(), free_port()
    (root / "dovecot.conf").write_text(
        _CONFIG.format(
            root=root,
            login_user=login_user,
            internal_user=internal_user,
            internal_group=grp.getgrgid(pwd.getpwnam(internal_user).pw_gid).gr_name,
            uid=uid,
            gid=gid,
            port=port,
            tls_port=tls_port,
        )
    )
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, root / "dovecot.log")
        _wait_for_port(tls_port, process, root / "dovecot.log")
        yield Dovecot(root=root, port=port, tls_port=tls_port, cert=root / "cert.pem")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


class StallingProxy:
    """A TCP proxy to the IMAP server that stops passing the client's commands on at the first
    one containing ``marker`` (``b"UID STORE"``): the client then waits for an answer that never
    comes, frozen at exactly that point, until the test kills it."""

    def __init__(self, target_port: int, marker: bytes) -> None:
        self.target_port = target_port
        self.marker = marker
        self.stalled = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self._sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        try:
            while True:
                client, _ = self.listener.accept()
                server = socket.create_connection(("127.0.0.1", self.target_port))
                self._sockets += [client, server]
                threading.Thread(
                    target=self._pass, args=(client, server, True), daemon=True
                ).start()
                threading.Thread(
                    target=self._pass, args=(server, client, False), daemon=True
                ).start()
        except OSError:  # closed
            return

    def _pass(self, source: socket.socket, target: socket.socket, watch: bool) -> None:
        seen = b""
        try:
            while chunk := source.recv(65536):
                seen = (seen + chunk)[-4096:]
                if watch and self.marker in seen:
                    self.stalled.set()
                    return  # hold the command back for good
                target.sendall(chunk)
        except OSError:
            return

    def close(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()

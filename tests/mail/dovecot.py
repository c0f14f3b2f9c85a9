"""A throwaway Dovecot IMAP server for tests: Debian's dovecot-imapd on a free loopback port,
one user, maildir in a temporary directory, logs in that directory; stopped by PID."""

from __future__ import annotations

import contextlib
import datetime
import grp
import imaplib
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
USER = "support"
PASSWORD = "imap-test-password"


def dovecot_missing_message() -> str:
    return ("Debian's dovecot-imapd is not installed (/usr/sbin/dovecot): run `make system-deps` "
            "as root, or `apt-get install dovecot-imapd`, to run the IMAP tests")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    host: str
    port: int
    user: str
    password: str
    directory: Path
    process: subprocess.Popen[bytes]
    tls: bool
    cafile: Path | None

    def client(self) -> imaplib.IMAP4:
        if self.tls:
            context = ssl.create_default_context(cafile=str(self.cafile))
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=context,
                                                    timeout=10)
        else:
            conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client()
        try:
            if folder != "INBOX":
                conn.create(folder)  # NO when it exists: fine
            typ, data = conn.append(folder, "", None, raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def messages(self, folder: str = "INBOX") -> list[tuple[int, bytes]]:
        """(uid, flags) of every message in a folder."""
        conn = self.client()
        try:
            typ, _data = conn.select(folder)
            assert typ == "OK", _data
            _typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS)")
            found = []
            for item in data:
                if not item:
                    continue
                line = item[0] if isinstance(item, tuple) else item
                uid = int(line.split(b"UID ", 1)[1].split()[0].rstrip(b")"))
                flags = line.split(b"FLAGS (", 1)[1].split(b")", 1)[0]
                found.append((uid, flags))
            return found
        finally:
            conn.logout()

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        # Its own process group (started with a new session, group id = our PID): SIGTERM to
        # the whole group stops every process at once and the master still reaps its children.
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def _accounts() -> tuple[str, str, int, int, str]:
    """(internal user, login user, mail uid, mail gid, group) to run as."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid, grp.getgrgid(me.pw_gid).gr_name
    internal = pwd.getpwnam("dovecot")  # created by Debian's package
    login = pwd.getpwnam("dovenull")
    return (internal.pw_name, login.pw_name, internal.pw_uid, internal.pw_gid,
            grp.getgrgid(internal.pw_gid).gr_name)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def _config(directory: Path, port: int, tls: bool) -> str:
    internal, login, uid, gid, group = _accounts()
    if tls:
        cert, key = _self_signed(directory)
        ssl_lines = f"ssl = required\nssl_cert = <{cert}\nssl_key = <{key}\n"
        listeners = f"inet_listener imap {{\n    port = 0\n  }}\n  inet_listener imaps {{\n" \
                    f"    address = 127.0.0.1\n    port = {port}\n    ssl = yes\n  }}"
    else:
        ssl_lines = "ssl = no\n"
        listeners = f"inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n" \
                    f"  inet_listener imaps {{\n    port = 0\n  }}"
    return f"""
protocols = imap
listen = 127.0.0.1
instance_name = heedful-test-{port}
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = {min(uid, 500)}
first_valid_gid = {min(gid, 500)}
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
{ssl_lines}
mail_location = maildir:{directory}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {directory}/users
  default_fields = uid={uid} gid={gid} home={directory}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  {listeners}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""


def start_dovecot(*, tls: bool = False) -> Dovecot:
    directory = Path(tempfile.mkdtemp(prefix="heedful-dovecot-"))
    directory.chmod(0o755)  # the unprivileged users dovecot switches to must reach it
    port = free_port()
    for sub in ("run", "state", "mail", "home"):
        (directory / sub).mkdir()
    (directory / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    config = directory / "dovecot.conf"
    config.write_text(_config(directory, port, tls))
    if os.geteuid() == 0:
        _internal, _login, uid, gid, _group = _accounts()
        for sub in ("mail", "home"):
            os.chown(directory / sub, uid, gid)
    with open(directory / "stderr.log", "wb") as stderr:
        process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)],  # noqa: S603
                                   stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    server = Dovecot("127.0.0.1", port, USER, PASSWORD, directory, process, tls,
                     directory / "cert.pem" if tls else None)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            problem = (directory / "stderr.log").read_text(errors="replace") + server.log()
            server.stop()
            raise RuntimeError(f"dovecot exited at start: {problem}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.settimeout(2)
                if tls or probe.recv(100):  # the greeting: the login process is up
                    return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("dovecot did not answer within 15 seconds")

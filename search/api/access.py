"""Who the caller is, for documents only some groups may see (search.retrieve.views).

Two ways to say it, both read by the security middleware before any route runs:

- an API key listed in the keys file (SEARCH_KEYS_FILE, TOML), which holds only a hash of
  each key, the groups it speaks for and whether it is an admin key;
- a header naming the user's groups (X-Forwarded-Groups, or SEARCH_GROUPS_HEADER), set by a
  single sign-on proxy in front of the service and believed only when the request comes
  from one of the addresses in SEARCH_TRUST_PROXY.

Keys file::

    [keys.board-portal]
    hash = "scrypt$16384$8$1$<salt>$<hash>"   # python -m search hash-key
    groups = ["board"]

    [keys.ops]
    hash = "sha256$<64 hex digits>"
    admin = true
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
import threading
import tomllib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.types import Message, Send

from search.errors import SearchError
from search.model import group_names
from search.retrieve.views import ADMIN, Viewer

audit_log = logging.getLogger("search.audit")

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # about 80 ms and 16 MB a check
KNOWN_KEYS = 4096  # presented keys whose check is remembered (by keyed hash, never the key)


@dataclass(frozen=True)
class Caller:
    """What the presented key (if any) grants. key_id is a hash prefix, never the key."""

    role: str  # "anonymous", "invalid", "user" or "admin"
    key_id: str | None = None
    groups: frozenset[str] = frozenset()  # for documents with an audience
    name: str | None = None  # the key's name in the keys file, or "proxy"


class KeysFileError(SearchError):
    """The keys file is missing or malformed: the service does not start without it."""


@dataclass(frozen=True)
class KeyEntry:
    name: str
    scheme: str  # "sha256" or "scrypt"
    digest: bytes
    salt: bytes = b""
    cost: tuple[int, int, int] = (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    groups: frozenset[str] = frozenset()
    admin: bool = False


def hash_key(key: str, scheme: str = "scrypt") -> str:
    """The line to put in the keys file for a key: salted scrypt, or plain sha256 (enough
    for a long random key, and no cost per request)."""
    raw = key.encode()
    if scheme == "sha256":
        return "sha256$" + hashlib.sha256(raw).hexdigest()
    salt = secrets.token_bytes(16)
    digest = _scrypt(raw, salt, (SCRYPT_N, SCRYPT_R, SCRYPT_P))

    def b64(b: bytes) -> str:
        return base64.b64encode(b).decode()

    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt)}${b64(digest)}"


def _scrypt(raw: bytes, salt: bytes, cost: tuple[int, int, int]) -> bytes:
    n, r, p = cost
    return hashlib.scrypt(raw, salt=salt, n=n, r=r, p=p, maxmem=256 * r * n + (1 << 20), dklen=32)


def _parse_hash(value: str, where: str) -> dict[str, object]:
    parts = value.strip().split("$")
    try:
        if len(parts) == 1 and len(parts[0]) == 64:
            return {"scheme": "sha256", "digest": bytes.fromhex(parts[0])}
        if parts[0] == "sha256" and len(parts) == 2 and len(parts[1]) == 64:
            return {"scheme": "sha256", "digest": bytes.fromhex(parts[1])}
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(x) for x in parts[1:4])
            if n < 2 or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= 16 or n > 2**20:
                raise ValueError("bad cost")
            salt, digest = base64.b64decode(parts[4]), base64.b64decode(parts[5])
            return {"scheme": "scrypt", "salt": salt, "digest": digest, "cost": (n, r, p)}
    except ValueError:
        pass
    raise KeysFileError(
        f"{where}: 'hash' is not a key hash; make one with: python -m search hash-key"
    )


def load_keys_file(path: Path) -> tuple[KeyEntry, ...]:
    """The keys of a keys file; KeysFileError naming the file and the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KeysFileError(f"keys file {path}: cannot be read ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KeysFileError(f"keys file {path}: not valid TOML ({exc})") from exc
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or set(data) - {"keys"}:
        raise KeysFileError(f"keys file {path}: must hold only [keys.NAME] tables")
    entries = []
    for name, spec in keys.items():
        where = f"keys file {path}, [keys.{name}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("hash"), str):
            raise KeysFileError(f'{where}: needs hash = "..."')
        unknown = set(spec) - {"hash", "groups", "admin"}
        if unknown:
            raise KeysFileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        try:
            groups = frozenset(group_names(spec.get("groups", [])))
        except ValueError as exc:
            raise KeysFileError(f"{where}: 'groups' {exc}") from exc
        admin = spec.get("admin", False)
        if not isinstance(admin, bool):
            raise KeysFileError(f"{where}: 'admin' must be true or false")
        parsed = _parse_hash(spec["hash"], where)
        entries.append(KeyEntry(name=name, groups=groups, admin=admin, **parsed))  # type: ignore[arg-type]
    return tuple(entries)


class KeyRing:
    """The keys file's entries, checked in constant time against every one of them.

    A salted hash costs a scrypt run per entry, so the outcome for a presented key is
    remembered under an HMAC of it with a secret made at start-up (never the key itself):
    a known key costs one lookup after its first request.
    """

    def __init__(self, entries: tuple[KeyEntry, ...]) -> None:
        self.entries = entries
        self._fast = [e for e in entries if e.scheme == "sha256"]
        self._slow = [e for e in entries if e.scheme == "scrypt"]
        self._pepper = secrets.token_bytes(32)
        self._known: OrderedDict[bytes, KeyEntry | None] = OrderedDict()
        self._lock = threading.Lock()

    def _tag(self, raw: bytes) -> bytes:
        return hmac.new(self._pepper, raw, hashlib.sha256).digest()

    def costly(self, key: str) -> bool:
        """Whether checking key would run scrypt (so is better done off the event loop)."""
        return bool(self._slow) and self._tag(key.encode("latin-1", "replace")) not in self._known

    def match(self, key: str) -> KeyEntry | None:
        raw = key.encode("latin-1", "replace")
        tag = self._tag(raw)
        with self._lock:
            if tag in self._known:
                self._known.move_to_end(tag)
                return self._known[tag]
        found = None
        digest = hashlib.sha256(raw).digest()
        for entry in self._fast:  # no early exit: timing says nothing about which matched
            if hmac.compare_digest(digest, entry.digest):
                found = entry
        for entry in self._slow:
            if hmac.compare_digest(_scrypt(raw, entry.salt, entry.cost), entry.digest):
                found = entry
        with self._lock:
            self._known[tag] = found
            while len(self._known) > KNOWN_KEYS:
                self._known.popitem(last=False)
        return found


class TrustedProxies:
    """The addresses (and networks) whose groups header is believed."""

    def __init__(self, spec: str | None) -> None:
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for part in (spec or "").split(","):
            if part.strip():
                try:
                    self.networks.append(ipaddress.ip_network(part.strip(), strict=False))
                except ValueError as exc:
                    raise SearchError(
                        f"SEARCH_TRUST_PROXY: {part.strip()!r} is not an address or network "
                        "(e.g. 127.0.0.1 or 10.1.0.0/16)"
                    ) from exc

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, host: str | None) -> bool:
        if not self.networks or not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False  # "testclient", a Unix socket path: not an address we were told of
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in net for net in self.networks)


def header_groups(raw: str | None) -> frozenset[str]:
    """The groups a proxy's header names (comma-separated); malformed names are dropped."""
    if not raw:
        return frozenset()
    names: set[str] = set()
    for part in raw.split(","):
        try:
            names.update(group_names([part]))
        except ValueError:
            continue
    return frozenset(names)


def new_key() -> str:
    """A random key: 32 bytes, URL-safe."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def caller_of(request: Request) -> Caller:
    """The caller the security middleware identified (anonymous if it did not run)."""
    caller = request.scope.get("state", {}).get("caller")
    return caller if isinstance(caller, Caller) else Caller("anonymous")


def viewer_of(request: Request) -> Viewer:
    """Which documents the caller may see: admins all, others the open ones and those
    whose audience shares a group with theirs."""
    caller = caller_of(request)
    return ADMIN if caller.role == "admin" else Viewer(caller.groups)


def audited(send: Send, method: str, path: str, caller: Caller) -> Send:
    """send, logging who called which route and the status they got (never the query
    string or the body: the question stays with the asker)."""
    if not path.isprintable():  # one log line per request, whatever was typed
        path = path.encode("unicode_escape").decode("ascii")

    async def send_audited(message: Message) -> None:
        if message["type"] == "http.response.start":
            audit_log.info(
                "%s %s %d %s",
                method,
                path,
                message["status"],
                caller.name or caller.role,
                extra={
                    "method": method,
                    "path": path,
                    "status": message["status"],
                    "caller": caller.name or caller.role,
                    "role": caller.role,
                    "groups": sorted(caller.groups),
                },
            )
        await send(message)

    return send_audited

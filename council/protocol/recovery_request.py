"""The recovery request: what an operator signs and every member checks before releasing a share.

Canonical bytes (council/crypto/codec.py: fixed-width integers, 4-byte length-prefixed blobs):

    text "recovery-request" ‖ blob request_id (16..64) ‖ text key_id ‖ u64 epoch ‖ text app_id ‖
    u64 dump_version ‖ blob header ‖ blob header_signature ‖ blob trailer ‖
    blob target_key (empty, or a 33-byte SEC1 point) ‖ blob operator_key (32) ‖ u64 created_unix_ms

The operator signs those bytes with Ed25519, kind "recovery-request"; the wire form appends
`blob signature`. `verify_request` refuses anyone who is not an operator of the roster.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from functools import lru_cache

from council.crypto import signing
from council.crypto.codec import Reader, Writer
from council.crypto.group import POINT_LEN, Point
from council.crypto.signing import Signer
from council.errors import DecodeError, PolicyRefused
from council.protocol.dumpref import DumpReference
from council.protocol.errors import RequestInvalid
from council.roster import Roster

KIND = "recovery-request"
REQUEST_ID_LEN = 16


@dataclass(frozen=True, slots=True)
class RecoveryRequest:
    """A signed request to decrypt one dump's KEM ciphertext with the shares of one epoch."""

    request_id: bytes
    key_id: str
    epoch: int
    app_id: str
    dump_version: int
    dump: DumpReference
    target_key: Point | None
    operator_key: bytes
    created_unix_ms: int
    signature: bytes = b""
    _body: bytes | None = field(default=None, init=False, repr=False, compare=False)
    """`body()` once encoded: the object is frozen, and `replace` builds a new one without it."""

    def body(self) -> bytes:
        """The canonical bytes the operator signs (encoded once per object: a member checks the
        signature before its log admission and again in `decide_release`)."""
        if self._body is None:
            object.__setattr__(self, "_body", self._encode_body())
        assert self._body is not None
        return self._body

    def _encode_body(self) -> bytes:
        target = self.target_key.to_bytes() if self.target_key is not None else b""
        return (Writer().text(KIND).blob(self.request_id).text(self.key_id).uint(self.epoch, 8)
                .text(self.app_id).uint(self.dump_version, 8).blob(self.dump.header_bytes)
                .blob(self.dump.header_signature).blob(self.dump.trailer_bytes).blob(target)
                .blob(self.operator_key).uint(self.created_unix_ms, 8).getvalue())

    def to_bytes(self) -> bytes:
        return self.body() + Writer().blob(self.signature).getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> RecoveryRequest:
        """Decode untrusted bytes; RequestInvalid (a DecodeError) on any problem."""
        try:
            return _decode(Reader(data, "recovery request"))
        except RequestInvalid:
            raise
        except DecodeError as exc:
            raise RequestInvalid(str(exc)) from None

    @property
    def id_hex(self) -> str:
        return self.request_id.hex()


def _decode(r: Reader) -> RecoveryRequest:
    if r.text("type") != KIND:
        raise RequestInvalid("recovery request: wrong message type")
    request_id, key_id, epoch = r.blob("request_id"), r.text("key_id"), r.uint(8, "epoch")
    app_id, version = r.text("app_id"), r.uint(8, "dump_version")
    dump = DumpReference(r.blob("header"), r.blob("header_signature"), r.blob("trailer"))
    target_raw, operator_key, created = r.blob("target_key"), r.blob("operator_key"), r.uint(8, "created_unix_ms")
    signature = r.blob("signature")
    r.end()
    target = Point.from_bytes(target_raw, "recovery request.target_key") if target_raw else None
    request = RecoveryRequest(request_id, key_id, epoch, app_id, version, dump, target, operator_key,
                              created, signature)
    _check_shape(request)
    return request


def _check_shape(req: RecoveryRequest) -> None:
    if not REQUEST_ID_LEN <= len(req.request_id) <= 64:
        raise RequestInvalid(f"recovery request.request_id: {len(req.request_id)} bytes, expected 16..64")
    if not req.key_id or not req.app_id:
        raise RequestInvalid("recovery request: key_id and app_id must not be empty")
    if len(req.operator_key) != signing.PUBLIC_KEY_LEN:
        raise RequestInvalid("recovery request.operator_key: expected 32 bytes")
    if len(req.signature) != signing.SIGNATURE_LEN:
        raise RequestInvalid("recovery request.signature: expected 64 bytes")
    if req.target_key is not None and len(req.target_key.to_bytes()) != POINT_LEN:
        raise RequestInvalid("recovery request.target_key: expected a 33-byte point")


def sign_request(operator: Signer, *, key_id: str, epoch: int, dump: DumpReference, app_id: str,
                 dump_version: int, created_unix_ms: int, target_key: Point | None = None,
                 request_id: bytes | None = None) -> RecoveryRequest:
    """Step (2) of recovery: build and sign a request (a fresh random request id unless given)."""
    unsigned = RecoveryRequest(request_id or secrets.token_bytes(REQUEST_ID_LEN), key_id, epoch, app_id,
                               dump_version, dump, target_key, operator.public_key, created_unix_ms)
    signed = replace(unsigned, signature=operator.sign(KIND, unsigned.body()))
    _check_shape(signed)
    return signed


def verify_request(request: RecoveryRequest, roster: Roster) -> str:
    """Refuse unless a roster operator signed the request; return the operator's name."""
    operator = next((o for o in roster.operators if o.signing_key == request.operator_key), None)
    if operator is None:
        raise PolicyRefused(f"recovery request {request.id_hex}: signed by key "
                            f"{request.operator_key.hex()[:16]}…, which is not an operator of the roster")
    _signature_checked(request.operator_key, request.body(), request.signature,
                       f"recovery request {request.id_hex} (operator {operator.name})")
    return operator.name


@lru_cache(maxsize=256)
def _signature_checked(operator_key: bytes, body: bytes, signature: bytes, what: str) -> None:
    """`signing.verify`, kept for the exact (key, body, signature) bytes that verified: a member
    checks a request before its log admission and again in `decide_release`. A failure raises
    and is never cached."""
    signing.verify(operator_key, KIND, body, signature, what)

from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Evidence(_message.Message):
    __slots__ = ("type", "data")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    type: str
    data: bytes
    def __init__(self, type: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class DumpHeader(_message.Message):
    __slots__ = ("format_version", "app_id", "dump_version", "previous_digest", "created_unix_ms", "key_id", "epoch", "kem_ciphertext", "chunk_size", "sealer_public_key", "evidence", "roster_digest")
    FORMAT_VERSION_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    DUMP_VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CREATED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    KEM_CIPHERTEXT_FIELD_NUMBER: _ClassVar[int]
    CHUNK_SIZE_FIELD_NUMBER: _ClassVar[int]
    SEALER_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    ROSTER_DIGEST_FIELD_NUMBER: _ClassVar[int]
    format_version: int
    app_id: str
    dump_version: int
    previous_digest: bytes
    created_unix_ms: int
    key_id: str
    epoch: int
    kem_ciphertext: bytes
    chunk_size: int
    sealer_public_key: bytes
    evidence: Evidence
    roster_digest: bytes
    def __init__(self, format_version: _Optional[int] = ..., app_id: _Optional[str] = ..., dump_version: _Optional[int] = ..., previous_digest: _Optional[bytes] = ..., created_unix_ms: _Optional[int] = ..., key_id: _Optional[str] = ..., epoch: _Optional[int] = ..., kem_ciphertext: _Optional[bytes] = ..., chunk_size: _Optional[int] = ..., sealer_public_key: _Optional[bytes] = ..., evidence: _Optional[_Union[Evidence, _Mapping]] = ..., roster_digest: _Optional[bytes] = ...) -> None: ...

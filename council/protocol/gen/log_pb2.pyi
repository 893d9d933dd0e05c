from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProposeRequest(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: bytes
    def __init__(self, entry: _Optional[bytes] = ...) -> None: ...

class ProposeReply(_message.Message):
    __slots__ = ("status", "approval", "reason", "rule", "next_seq", "rival_entry")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[ProposeReply.Status]
        APPROVED: _ClassVar[ProposeReply.Status]
        PENDING: _ClassVar[ProposeReply.Status]
        REFUSED: _ClassVar[ProposeReply.Status]
    STATUS_UNSPECIFIED: ProposeReply.Status
    APPROVED: ProposeReply.Status
    PENDING: ProposeReply.Status
    REFUSED: ProposeReply.Status
    STATUS_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    NEXT_SEQ_FIELD_NUMBER: _ClassVar[int]
    RIVAL_ENTRY_FIELD_NUMBER: _ClassVar[int]
    status: ProposeReply.Status
    approval: bytes
    reason: str
    rule: str
    next_seq: int
    rival_entry: bytes
    def __init__(self, status: _Optional[_Union[ProposeReply.Status, str]] = ..., approval: _Optional[bytes] = ..., reason: _Optional[str] = ..., rule: _Optional[str] = ..., next_seq: _Optional[int] = ..., rival_entry: _Optional[bytes] = ...) -> None: ...

class AcceptRequest(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: bytes
    def __init__(self, record: _Optional[bytes] = ...) -> None: ...

class AcceptReply(_message.Message):
    __slots__ = ("status", "next_seq", "reason", "rule")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATUS_UNSPECIFIED: _ClassVar[AcceptReply.Status]
        APPENDED: _ClassVar[AcceptReply.Status]
        ALREADY: _ClassVar[AcceptReply.Status]
        BEHIND: _ClassVar[AcceptReply.Status]
        REFUSED: _ClassVar[AcceptReply.Status]
    STATUS_UNSPECIFIED: AcceptReply.Status
    APPENDED: AcceptReply.Status
    ALREADY: AcceptReply.Status
    BEHIND: AcceptReply.Status
    REFUSED: AcceptReply.Status
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NEXT_SEQ_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    status: AcceptReply.Status
    next_seq: int
    reason: str
    rule: str
    def __init__(self, status: _Optional[_Union[AcceptReply.Status, str]] = ..., next_seq: _Optional[int] = ..., reason: _Optional[str] = ..., rule: _Optional[str] = ...) -> None: ...

class GetLogRequest(_message.Message):
    __slots__ = ("key_id", "from_seq", "limit")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQ_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    from_seq: int
    limit: int
    def __init__(self, key_id: _Optional[str] = ..., from_seq: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class GetLogReply(_message.Message):
    __slots__ = ("records", "next_seq", "head")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_SEQ_FIELD_NUMBER: _ClassVar[int]
    HEAD_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedScalarFieldContainer[bytes]
    next_seq: int
    head: bytes
    def __init__(self, records: _Optional[_Iterable[bytes]] = ..., next_seq: _Optional[int] = ..., head: _Optional[bytes] = ...) -> None: ...

class AuthorRequest(_message.Message):
    __slots__ = ("key_id", "kind", "request_id")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    kind: str
    request_id: bytes
    def __init__(self, key_id: _Optional[str] = ..., kind: _Optional[str] = ..., request_id: _Optional[bytes] = ...) -> None: ...

class AuthorReply(_message.Message):
    __slots__ = ("entry", "statement")
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    entry: bytes
    statement: bytes
    def __init__(self, entry: _Optional[bytes] = ..., statement: _Optional[bytes] = ...) -> None: ...

class SignAnchorRequest(_message.Message):
    __slots__ = ("key_id", "purpose", "from_seq", "to_seq", "chain_id", "contract")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQ_FIELD_NUMBER: _ClassVar[int]
    TO_SEQ_FIELD_NUMBER: _ClassVar[int]
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    CONTRACT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    purpose: str
    from_seq: int
    to_seq: int
    chain_id: int
    contract: bytes
    def __init__(self, key_id: _Optional[str] = ..., purpose: _Optional[str] = ..., from_seq: _Optional[int] = ..., to_seq: _Optional[int] = ..., chain_id: _Optional[int] = ..., contract: _Optional[bytes] = ...) -> None: ...

class SignAnchorReply(_message.Message):
    __slots__ = ("partial",)
    PARTIAL_FIELD_NUMBER: _ClassVar[int]
    partial: bytes
    def __init__(self, partial: _Optional[bytes] = ...) -> None: ...

from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DecryptRequest(_message.Message):
    __slots__ = ("request", "log_record")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    LOG_RECORD_FIELD_NUMBER: _ClassVar[int]
    request: bytes
    log_record: bytes
    def __init__(self, request: _Optional[bytes] = ..., log_record: _Optional[bytes] = ...) -> None: ...

class DecryptReply(_message.Message):
    __slots__ = ("decision", "member", "request_id", "share", "sealed_share", "reason", "release_statement", "log_status")
    class Decision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        DECISION_UNSPECIFIED: _ClassVar[DecryptReply.Decision]
        RELEASED: _ClassVar[DecryptReply.Decision]
        PENDING: _ClassVar[DecryptReply.Decision]
        REFUSED: _ClassVar[DecryptReply.Decision]
    DECISION_UNSPECIFIED: DecryptReply.Decision
    RELEASED: DecryptReply.Decision
    PENDING: DecryptReply.Decision
    REFUSED: DecryptReply.Decision
    DECISION_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    SEALED_SHARE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RELEASE_STATEMENT_FIELD_NUMBER: _ClassVar[int]
    LOG_STATUS_FIELD_NUMBER: _ClassVar[int]
    decision: DecryptReply.Decision
    member: int
    request_id: str
    share: bytes
    sealed_share: bytes
    reason: str
    release_statement: bytes
    log_status: str
    def __init__(self, decision: _Optional[_Union[DecryptReply.Decision, str]] = ..., member: _Optional[int] = ..., request_id: _Optional[str] = ..., share: _Optional[bytes] = ..., sealed_share: _Optional[bytes] = ..., reason: _Optional[str] = ..., release_statement: _Optional[bytes] = ..., log_status: _Optional[str] = ...) -> None: ...

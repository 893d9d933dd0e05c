from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CeremonyRequest(_message.Message):
    __slots__ = ("body", "signature", "operator_key")
    BODY_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_KEY_FIELD_NUMBER: _ClassVar[int]
    body: bytes
    signature: bytes
    operator_key: bytes
    def __init__(self, body: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., operator_key: _Optional[bytes] = ...) -> None: ...

class DealRequest(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: CeremonyRequest
    def __init__(self, request: _Optional[_Union[CeremonyRequest, _Mapping]] = ...) -> None: ...

class DealReply(_message.Message):
    __slots__ = ("dealing",)
    DEALING_FIELD_NUMBER: _ClassVar[int]
    dealing: bytes
    def __init__(self, dealing: _Optional[bytes] = ...) -> None: ...

class CheckRequest(_message.Message):
    __slots__ = ("request", "dealings")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    DEALINGS_FIELD_NUMBER: _ClassVar[int]
    request: CeremonyRequest
    dealings: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, request: _Optional[_Union[CeremonyRequest, _Mapping]] = ..., dealings: _Optional[_Iterable[bytes]] = ...) -> None: ...

class CheckReply(_message.Message):
    __slots__ = ("response",)
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    response: bytes
    def __init__(self, response: _Optional[bytes] = ...) -> None: ...

class OutputRequest(_message.Message):
    __slots__ = ("request", "responses")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    request: CeremonyRequest
    responses: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, request: _Optional[_Union[CeremonyRequest, _Mapping]] = ..., responses: _Optional[_Iterable[bytes]] = ...) -> None: ...

class Verdict(_message.Message):
    __slots__ = ("member", "reason")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    member: int
    reason: str
    def __init__(self, member: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class OutputReply(_message.Message):
    __slots__ = ("commit_signature", "commit", "disqualified", "blamed", "share_problem")
    COMMIT_SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    DISQUALIFIED_FIELD_NUMBER: _ClassVar[int]
    BLAMED_FIELD_NUMBER: _ClassVar[int]
    SHARE_PROBLEM_FIELD_NUMBER: _ClassVar[int]
    commit_signature: bytes
    commit: bytes
    disqualified: _containers.RepeatedCompositeFieldContainer[Verdict]
    blamed: _containers.RepeatedCompositeFieldContainer[Verdict]
    share_problem: str
    def __init__(self, commit_signature: _Optional[bytes] = ..., commit: _Optional[bytes] = ..., disqualified: _Optional[_Iterable[_Union[Verdict, _Mapping]]] = ..., blamed: _Optional[_Iterable[_Union[Verdict, _Mapping]]] = ..., share_problem: _Optional[str] = ...) -> None: ...

class FinalizeRequest(_message.Message):
    __slots__ = ("request", "commit_signatures", "stored_confirmations")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    COMMIT_SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    STORED_CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    request: CeremonyRequest
    commit_signatures: _containers.RepeatedScalarFieldContainer[bytes]
    stored_confirmations: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, request: _Optional[_Union[CeremonyRequest, _Mapping]] = ..., commit_signatures: _Optional[_Iterable[bytes]] = ..., stored_confirmations: _Optional[_Iterable[bytes]] = ...) -> None: ...

class FinalizeReply(_message.Message):
    __slots__ = ("committed", "epoch", "holds_share", "erased_previous", "stored_confirmation", "old_shares_erased")
    COMMITTED_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    HOLDS_SHARE_FIELD_NUMBER: _ClassVar[int]
    ERASED_PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    STORED_CONFIRMATION_FIELD_NUMBER: _ClassVar[int]
    OLD_SHARES_ERASED_FIELD_NUMBER: _ClassVar[int]
    committed: bool
    epoch: int
    holds_share: bool
    erased_previous: bool
    stored_confirmation: bytes
    old_shares_erased: bool
    def __init__(self, committed: _Optional[bool] = ..., epoch: _Optional[int] = ..., holds_share: _Optional[bool] = ..., erased_previous: _Optional[bool] = ..., stored_confirmation: _Optional[bytes] = ..., old_shares_erased: _Optional[bool] = ...) -> None: ...

class GetTranscriptRequest(_message.Message):
    __slots__ = ("key_id", "epoch")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    epoch: int
    def __init__(self, key_id: _Optional[str] = ..., epoch: _Optional[int] = ...) -> None: ...

class GetTranscriptReply(_message.Message):
    __slots__ = ("request", "transcript")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    request: CeremonyRequest
    transcript: bytes
    def __init__(self, request: _Optional[_Union[CeremonyRequest, _Mapping]] = ..., transcript: _Optional[bytes] = ...) -> None: ...

class CatchUpRequest(_message.Message):
    __slots__ = ("request", "transcript", "stored_confirmations")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPT_FIELD_NUMBER: _ClassVar[int]
    STORED_CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    request: CeremonyRequest
    transcript: bytes
    stored_confirmations: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, request: _Optional[_Union[CeremonyRequest, _Mapping]] = ..., transcript: _Optional[bytes] = ..., stored_confirmations: _Optional[_Iterable[bytes]] = ...) -> None: ...

class CatchUpReply(_message.Message):
    __slots__ = ("epoch", "holds_share", "erased_previous", "stored_confirmation", "old_shares_erased")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    HOLDS_SHARE_FIELD_NUMBER: _ClassVar[int]
    ERASED_PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    STORED_CONFIRMATION_FIELD_NUMBER: _ClassVar[int]
    OLD_SHARES_ERASED_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    holds_share: bool
    erased_previous: bool
    stored_confirmation: bytes
    old_shares_erased: bool
    def __init__(self, epoch: _Optional[int] = ..., holds_share: _Optional[bool] = ..., erased_previous: _Optional[bool] = ..., stored_confirmation: _Optional[bytes] = ..., old_shares_erased: _Optional[bool] = ...) -> None: ...

class GetEpochRequest(_message.Message):
    __slots__ = ("key_id", "epoch", "current")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    epoch: int
    current: bool
    def __init__(self, key_id: _Optional[str] = ..., epoch: _Optional[int] = ..., current: _Optional[bool] = ...) -> None: ...

class GetEpochReply(_message.Message):
    __slots__ = ("key_id", "epoch", "commit", "commit_signatures", "roster_json", "verification_shares", "holds_share", "stored_confirmations", "signing_key", "holds_signing_share")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    COMMIT_SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    ROSTER_JSON_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_SHARES_FIELD_NUMBER: _ClassVar[int]
    HOLDS_SHARE_FIELD_NUMBER: _ClassVar[int]
    STORED_CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    HOLDS_SIGNING_SHARE_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    epoch: int
    commit: bytes
    commit_signatures: _containers.RepeatedScalarFieldContainer[bytes]
    roster_json: bytes
    verification_shares: _containers.RepeatedScalarFieldContainer[bytes]
    holds_share: bool
    stored_confirmations: _containers.RepeatedScalarFieldContainer[bytes]
    signing_key: bytes
    holds_signing_share: bool
    def __init__(self, key_id: _Optional[str] = ..., epoch: _Optional[int] = ..., commit: _Optional[bytes] = ..., commit_signatures: _Optional[_Iterable[bytes]] = ..., roster_json: _Optional[bytes] = ..., verification_shares: _Optional[_Iterable[bytes]] = ..., holds_share: _Optional[bool] = ..., stored_confirmations: _Optional[_Iterable[bytes]] = ..., signing_key: _Optional[bytes] = ..., holds_signing_share: _Optional[bool] = ...) -> None: ...

class StatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class KeyStatus(_message.Message):
    __slots__ = ("key_id", "epoch", "holds_share", "public_key", "roster_digest", "committed_unix_ms", "member_index", "signing_public_key", "holds_signing_share")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    HOLDS_SHARE_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    ROSTER_DIGEST_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_UNIX_MS_FIELD_NUMBER: _ClassVar[int]
    MEMBER_INDEX_FIELD_NUMBER: _ClassVar[int]
    SIGNING_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    HOLDS_SIGNING_SHARE_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    epoch: int
    holds_share: bool
    public_key: bytes
    roster_digest: bytes
    committed_unix_ms: int
    member_index: int
    signing_public_key: bytes
    holds_signing_share: bool
    def __init__(self, key_id: _Optional[str] = ..., epoch: _Optional[int] = ..., holds_share: _Optional[bool] = ..., public_key: _Optional[bytes] = ..., roster_digest: _Optional[bytes] = ..., committed_unix_ms: _Optional[int] = ..., member_index: _Optional[int] = ..., signing_public_key: _Optional[bytes] = ..., holds_signing_share: _Optional[bool] = ...) -> None: ...

class StatusReply(_message.Message):
    __slots__ = ("name", "version", "keys", "ceremonies", "insecure", "served_roster_digest", "recent", "chain")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    CEREMONIES_FIELD_NUMBER: _ClassVar[int]
    INSECURE_FIELD_NUMBER: _ClassVar[int]
    SERVED_ROSTER_DIGEST_FIELD_NUMBER: _ClassVar[int]
    RECENT_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    keys: _containers.RepeatedCompositeFieldContainer[KeyStatus]
    ceremonies: _containers.RepeatedScalarFieldContainer[str]
    insecure: bool
    served_roster_digest: bytes
    recent: _containers.RepeatedCompositeFieldContainer[CeremonyState]
    chain: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., keys: _Optional[_Iterable[_Union[KeyStatus, _Mapping]]] = ..., ceremonies: _Optional[_Iterable[str]] = ..., insecure: _Optional[bool] = ..., served_roster_digest: _Optional[bytes] = ..., recent: _Optional[_Iterable[_Union[CeremonyState, _Mapping]]] = ..., chain: _Optional[str] = ...) -> None: ...

class CeremonyState(_message.Message):
    __slots__ = ("ceremony_id", "state", "key_id", "epoch", "reason")
    CEREMONY_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ceremony_id: str
    state: str
    key_id: str
    epoch: int
    reason: str
    def __init__(self, ceremony_id: _Optional[str] = ..., state: _Optional[str] = ..., key_id: _Optional[str] = ..., epoch: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class GetCeremonyRequest(_message.Message):
    __slots__ = ("ceremony_id",)
    CEREMONY_ID_FIELD_NUMBER: _ClassVar[int]
    ceremony_id: bytes
    def __init__(self, ceremony_id: _Optional[bytes] = ...) -> None: ...

class GetCeremonyReply(_message.Message):
    __slots__ = ("request", "responses", "state")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    request: CeremonyRequest
    responses: _containers.RepeatedScalarFieldContainer[bytes]
    state: str
    def __init__(self, request: _Optional[_Union[CeremonyRequest, _Mapping]] = ..., responses: _Optional[_Iterable[bytes]] = ..., state: _Optional[str] = ...) -> None: ...

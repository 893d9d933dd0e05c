"""Mutual TLS pinned to the roster's certificates.

gRPC Python verifies a peer against a list of root certificates. Every roster certificate is
self-signed, so (1) the server takes all trusted roster certificates as roots and requires a client
certificate (re-read before each new connection); (2) the servicer then pins the exact peer certificate (`peer_cert`), so a certificate
merely issued by a roster key is refused too; (3) a client trusts only the one certificate of the
member it calls, under the fixed TLS name of `council.storage.identity`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import grpc

from council.errors import KeycouncilError
from council.storage.identity import TLS_NAME, cert_der

CLIENT_OPTIONS = (("grpc.ssl_target_name_override", TLS_NAME), ("grpc.default_authority", TLS_NAME))


def _roots(trusted_pems: Iterable[bytes]) -> bytes:
    return b"".join(p if p.endswith(b"\n") else p + b"\n" for p in sorted(set(trusted_pems)))


def server_credentials(key_pem: bytes, cert_pem: bytes,
                       trusted: Callable[[], Iterable[bytes]]) -> grpc.ServerCredentials:
    """Server side: own key and certificate, every trusted certificate as a root, clients must
    present a certificate. `trusted` is asked again before each new connection, so a roster
    learnt in a ceremony (a new operator) is trusted without a restart."""
    current = [_roots(trusted())]

    def config(roots: bytes) -> grpc.ServerCertificateConfiguration:
        return grpc.ssl_server_certificate_configuration([(key_pem, cert_pem)], root_certificates=roots)

    def fetch() -> grpc.ServerCertificateConfiguration | None:
        try:
            roots = _roots(trusted())
        except KeycouncilError:
            return None  # keep the roots in force; the servicer reports the storage problem
        if roots == current[0]:
            return None
        current[0] = roots
        return config(roots)

    return grpc.dynamic_ssl_server_credentials(config(current[0]), fetch, require_client_authentication=True)


def channel_credentials(peer_cert_pem: bytes, key_pem: bytes, cert_pem: bytes) -> grpc.ChannelCredentials:
    """Client side: trust exactly the called member's certificate; present our own."""
    return grpc.ssl_channel_credentials(root_certificates=peer_cert_pem, private_key=key_pem,
                                        certificate_chain=cert_pem)


def peer_cert(context: grpc.ServicerContext) -> bytes | None:
    """The DER certificate the TLS client presented, or None."""
    pems = context.auth_context().get("x509_pem_cert")
    if not pems:
        return None
    return _peer_der(pems[0])


@functools.lru_cache(maxsize=64)
def _peer_der(pem: bytes) -> bytes:
    """`cert_der` of a presented PEM, kept for the exact bytes: one client presents the same
    certificate on every call (a PEM that does not parse raises and is never kept)."""
    return cert_der(pem, "peer certificate")


def secure_channel(address: str, peer_cert_pem: bytes, key_pem: bytes, cert_pem: bytes) -> grpc.Channel:
    """A channel to one member, pinned to its certificate."""
    return grpc.secure_channel(address, channel_credentials(peer_cert_pem, key_pem, cert_pem),
                               options=list(CLIENT_OPTIONS))

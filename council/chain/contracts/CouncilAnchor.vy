# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title CouncilAnchor
@notice Proof of publication for keycouncil logs (docs/chain.md). Per key id it holds the
        council's BN254 BLS public key (G2), the anchored log head (sequence number, digest),
        the roster digest and the epoch. `anchor` accepts a new head only with a valid council
        signature over it and only if it extends the anchored head; every accepted batch of
        log entries is emitted in `Anchored`, so the chain alone is a full public record.
@dev    Signatures follow drand evmnet exactly (bls-bn254-unchained-on-g1): signature in G1,
        key in G2, H(m) = RFC 9380 hash_to_curve with expand_message_xmd(keccak-256),
        hash_to_field over the BN254 base field, the Shallue-van de Woestijne map (Z = 1) and
        DST "BLS_SIG_BN254G1_XMD:KECCAK-256_SVDW_RO_NUL_". Field inverses and square roots use
        the modexp precompile (0x05) in the view functions only: `register` and `anchor` take
        the inverse and square roots as a hint from the submitter and check each by one
        multiplication (a false one reverts). The point sum is 0x06, the check one pairing call
        (0x08): e(sig, -g2) * e(H(m), pk) == 1.
"""

# Maximum size of the log entries carried by one anchor: 16 KiB. It costs at most ~0.4M gas in
# calldata and log data, far below any block limit; a larger batch is anchored in several steps.
MAX_ENTRIES: constant(uint256) = 16384
# Longest message `hash_to_point` and `verify_signature` accept (the contract hashes 32 bytes).
MAX_MESSAGE: constant(uint256) = 1024

ANCHOR_TAG: constant(String[20]) = "KEYCOUNCIL-V1-ANCHOR"
REGISTER_TAG: constant(String[22]) = "KEYCOUNCIL-V1-REGISTER"
DST: constant(Bytes[43]) = b"BLS_SIG_BN254G1_XMD:KECCAK-256_SVDW_RO_NUL_"

# BN254 base field modulus and the constants that serve it.
P: constant(uint256) = 21888242871839275222246405745257275088696311157297823662689037894645226208583
P_MINUS_2: constant(uint256) = 21888242871839275222246405745257275088696311157297823662689037894645226208581
SQRT_EXP: constant(uint256) = 5472060717959818805561601436314318772174077789324455915672259473661306552146  # (p + 1) / 4
TWO_256_MOD_P: constant(uint256) = 6350874878119819312338956282401532409788428879151445726012394534686998597021
# SvdW constants for y^2 = x^3 + 3 with Z = 1 (RFC 9380 section 6.6.1).
SVDW_C1: constant(uint256) = 4  # g(Z)
SVDW_C2: constant(uint256) = 10944121435919637611123202872628637544348155578648911831344518947322613104291  # -Z / 2
SVDW_C3: constant(uint256) = 8815841940592487685674414971303048083897117035520822607866  # sqrt(-g(Z)(3Z^2 + 4A)), sgn0 = 0
SVDW_C4: constant(uint256) = 7296080957279758407415468581752425029565437052432607887563012631548408736189  # -4g(Z) / (3Z^2 + 4A)

# -g2 in EIP-197 order (x imaginary, x real, y imaginary, y real).
NEG_G2_X_IM: constant(bytes32) = 0x198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2
NEG_G2_X_RE: constant(bytes32) = 0x1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed
NEG_G2_Y_IM: constant(bytes32) = 0x275dc4a288d1afb3cbb1ac09187524c7db36395df7be3b99e673b13a075a65ec
NEG_G2_Y_RE: constant(bytes32) = 0x1d9befcd05a5323e6da4d435f3b617cdb3af83285c2df711ef39c01571827f9d

MODEXP: constant(address) = 0x0000000000000000000000000000000000000005
PAIRING: constant(address) = 0x0000000000000000000000000000000000000008


# seq and epoch share one slot with a "registered" bit, so the first anchor never writes a zero
# slot (20k gas) and each anchor reads and writes one slot fewer.
REGISTERED: constant(uint256) = 1 << 255
SEQ_MASK: constant(uint256) = 2**64 - 1


struct Record:
    pubkey: uint256[4]  # EIP-197 order
    meta: uint256  # REGISTERED | epoch << 64 | seq; zero = not registered
    head: bytes32
    roster_digest: bytes32


event Registered:
    key_id: indexed(bytes32)
    registrant: indexed(address)
    pubkey: Bytes[128]
    roster_digest: bytes32
    epoch: uint64
    head_seq: uint64
    head_digest: bytes32


event Anchored:
    key_id: indexed(bytes32)
    seq: indexed(uint64)
    prev_head: bytes32
    new_head: bytes32
    roster_digest: bytes32
    epoch: uint64
    signature: Bytes[64]
    entries: Bytes[MAX_ENTRIES]


records: HashMap[bytes32, Record]
# Who may register key ids; the zero address lets anyone register (first come, first served).
registrar: public(address)


@deploy
def __init__(registrar: address):
    self.registrar = registrar


# ---------------------------------------------------------------- field and curve helpers

@internal
@view
def _modexp(base: uint256, exponent: uint256) -> uint256:
    # Input: three 32-byte lengths, then base, exponent, modulus (six words: abi_encode lays them out).
    data: Bytes[192] = abi_encode(convert(32, uint256), convert(32, uint256), convert(32, uint256), base, exponent, P)
    out: Bytes[32] = raw_call(MODEXP, data, max_outsize=32, is_static_call=True)
    assert len(out) == 32, "CouncilAnchor: modexp precompile failed"
    return extract32(out, 0, output_type=uint256)


@internal
@pure
def _sub(a: uint256, b: uint256) -> uint256:
    return uint256_addmod(a, P - b, P)


@internal
@pure
def _g(x: uint256) -> uint256:
    # g(x) = x^3 + 3, the right-hand side of the BN254 G1 equation.
    return uint256_addmod(uint256_mulmod(uint256_mulmod(x, x, P), x, P), 3, P)


@internal
@pure
def _root(r: uint256, gx: uint256) -> bool:
    # True if r is a root of gx (gx is a square), False if r is a root of -gx (gx is not a
    # square: -1 is not one mod p); any other r is a false witness and reverts.
    rr: uint256 = uint256_mulmod(r, r, P)
    if rr == gx:
        return True
    assert gx != 0 and rr == P - gx, "CouncilAnchor: bad hash-to-curve witness"
    return False


@internal
@pure
def _map_to_curve(u: uint256, tv1: uint256, tv2: uint256, tv3: uint256, r: uint256[3]) -> uint256[2]:
    # RFC 9380 section 6.6.1 map_to_curve_svdw, steps numbered as there; steps 1-6 are done by
    # the caller for both field elements at once. The square roots are witnesses checked by one
    # multiplication each (`_root`): the candidate used is the first whose g(x) is a square,
    # exactly as the RFC picks it. Constant time is not a concern on chain: inputs are public.
    tv4: uint256 = uint256_mulmod(uint256_mulmod(uint256_mulmod(u, tv1, P), tv3, P), SVDW_C3, P)  # 7-9
    x: uint256 = self._sub(SVDW_C2, tv4)  # 10: x1
    y: uint256 = r[0]
    if not self._root(r[0], self._g(x)):  # 11-15: g(x1) is not a square
        x = uint256_addmod(SVDW_C2, tv4, P)  # 16: x2
        y = r[1]
        if not self._root(r[1], self._g(x)):  # 17-21: neither is; use x3
            x = uint256_mulmod(uint256_mulmod(tv2, tv2, P), tv3, P)  # 22-23
            x = uint256_mulmod(uint256_mulmod(x, x, P), SVDW_C4, P)  # 24-25
            x = uint256_addmod(x, 1, P)  # 26
            y = r[2]
            assert self._root(r[2], self._g(x)), "CouncilAnchor: bad hash-to-curve witness"  # 29-33
    if u % 2 != y % 2:  # 34-35: sgn0(y) = sgn0(u)
        y = P - y
    return [x, y]


@internal
@view
def _sqrt_or_witness(gx: uint256) -> uint256:
    # The witness `_root` accepts for gx: a root of gx if it is a square, else one of -gx.
    y: uint256 = self._modexp(gx, SQRT_EXP)
    if uint256_mulmod(y, y, P) == gx:
        return y
    return self._modexp(P - gx, SQRT_EXP)


@internal
@view
def _witnesses(u: uint256, tv1: uint256, tv2: uint256, tv3: uint256) -> uint256[3]:
    # What an anchor's submitter passes for u (council/crypto/bn254/hash_to_curve.py,
    # svdw_witnesses), computed here with modexp for the view functions.
    tv4: uint256 = uint256_mulmod(uint256_mulmod(uint256_mulmod(u, tv1, P), tv3, P), SVDW_C3, P)
    r: uint256[3] = empty(uint256[3])
    r[0] = self._sqrt_or_witness(self._g(self._sub(SVDW_C2, tv4)))
    if self._root(r[0], self._g(self._sub(SVDW_C2, tv4))):
        return r
    r[1] = self._sqrt_or_witness(self._g(uint256_addmod(SVDW_C2, tv4, P)))
    if self._root(r[1], self._g(uint256_addmod(SVDW_C2, tv4, P))):
        return r
    x: uint256 = uint256_mulmod(uint256_mulmod(tv2, tv2, P), tv3, P)
    x = uint256_addmod(uint256_mulmod(uint256_mulmod(x, x, P), SVDW_C4, P), 1, P)
    r[2] = self._sqrt_or_witness(self._g(x))
    return r


@internal
@pure
def _expand_message(message: Bytes[MAX_MESSAGE]) -> uint256[2]:
    # RFC 9380 expand_message_xmd with keccak-256 (block 136 bytes, output 32) for
    # len_in_bytes = 96, then hash_to_field: two 48-byte big-endian integers reduced mod p.
    dst_prime: Bytes[44] = concat(DST, convert(convert(len(DST), uint8), bytes1))
    z_pad: Bytes[136] = concat(empty(bytes32), empty(bytes32), empty(bytes32), empty(bytes32), empty(bytes8))
    b0: uint256 = convert(keccak256(concat(z_pad, message, x"006000", dst_prime)), uint256)
    b1: uint256 = convert(keccak256(concat(convert(b0, bytes32), x"01", dst_prime)), uint256)
    b2: uint256 = convert(keccak256(concat(convert(b0 ^ b1, bytes32), x"02", dst_prime)), uint256)
    b3: uint256 = convert(keccak256(concat(convert(b0 ^ b2, bytes32), x"03", dst_prime)), uint256)
    # u0 = b1 || b2[0:16], u1 = b2[16:32] || b3, each hi * 2^256 + lo mod p.
    u0: uint256 = uint256_addmod(uint256_mulmod(b1 >> 128, TWO_256_MOD_P, P), ((b1 << 128) | (b2 >> 128)) % P, P)
    u1: uint256 = uint256_addmod(uint256_mulmod(b2 & convert(max_value(uint128), uint256), TWO_256_MOD_P, P), b3 % P, P)
    return [u0, u1]


@internal
@pure
def _svdw_steps_1_4(u: uint256) -> uint256[2]:
    # Steps 1-4 of the map: tv1 = 1 - c1 u^2 and tv2 = 1 + c1 u^2.
    a: uint256 = uint256_mulmod(uint256_mulmod(u, u, P), SVDW_C1, P)
    return [self._sub(1, a), uint256_addmod(1, a, P)]


@internal
@view
def _inverses(d0: uint256, d1: uint256, hint: uint256) -> uint256[2]:
    # Steps 5-6, inv0(tv1 * tv2), for both field elements: `hint` is 1 / (d0 d1), checked by
    # one multiplication; a zero denominator (inv0 gives 0) is inverted by modexp instead.
    if d0 == 0 or d1 == 0:
        return [self._modexp(d0, P_MINUS_2), self._modexp(d1, P_MINUS_2)]
    assert uint256_mulmod(hint, uint256_mulmod(d0, d1, P), P) == 1, "CouncilAnchor: bad hash-to-curve witness"
    return [uint256_mulmod(hint, d1, P), uint256_mulmod(hint, d0, P)]


@internal
@view
def _hash_to_point(message: Bytes[MAX_MESSAGE], hint: uint256[7]) -> uint256[2]:
    # H(m) = map(u0) + map(u1) with the submitter's witnesses (`hint`: 1 / (d0 d1), then three
    # roots for u0 and three for u1); a false witness reverts, so H(m) is the RFC's or nothing.
    u: uint256[2] = self._expand_message(message)
    a: uint256[2] = self._svdw_steps_1_4(u[0])
    b: uint256[2] = self._svdw_steps_1_4(u[1])
    inv: uint256[2] = self._inverses(uint256_mulmod(a[0], a[1], P), uint256_mulmod(b[0], b[1], P), hint[0])
    q0: uint256[2] = self._map_to_curve(u[0], a[0], a[1], inv[0], [hint[1], hint[2], hint[3]])
    q1: uint256[2] = self._map_to_curve(u[1], b[0], b[1], inv[1], [hint[4], hint[5], hint[6]])
    return ecadd(q0, q1)  # cofactor is 1


@internal
@view
def _hint(message: Bytes[MAX_MESSAGE]) -> uint256[7]:
    # The witnesses of H(message), computed with modexp (for the view functions only).
    u: uint256[2] = self._expand_message(message)
    a: uint256[2] = self._svdw_steps_1_4(u[0])
    b: uint256[2] = self._svdw_steps_1_4(u[1])
    d0: uint256 = uint256_mulmod(a[0], a[1], P)
    d1: uint256 = uint256_mulmod(b[0], b[1], P)
    both: uint256 = self._modexp(uint256_mulmod(d0, d1, P), P_MINUS_2)
    inv: uint256[2] = self._inverses(d0, d1, both)
    r0: uint256[3] = self._witnesses(u[0], a[0], a[1], inv[0])
    r1: uint256[3] = self._witnesses(u[1], b[0], b[1], inv[1])
    return [both, r0[0], r0[1], r0[2], r1[0], r1[1], r1[2]]


@internal
@pure
def _g1_point(signature: Bytes[64]) -> uint256[2]:
    assert len(signature) == 64, "CouncilAnchor: signature must be 64 bytes (G1 x || y)"
    x: uint256 = extract32(signature, 0, output_type=uint256)
    y: uint256 = extract32(signature, 32, output_type=uint256)
    assert x < P and y < P, "CouncilAnchor: signature coordinate not below p"
    assert x | y != 0, "CouncilAnchor: signature is the point at infinity"
    assert uint256_mulmod(y, y, P) == self._g(x), "CouncilAnchor: signature is not on the G1 curve"
    return [x, y]


@internal
@pure
def _g2_words(pubkey: Bytes[128]) -> uint256[4]:
    assert len(pubkey) == 128, "CouncilAnchor: public key must be 128 bytes (EIP-197 G2)"
    w: uint256[4] = [
        extract32(pubkey, 0, output_type=uint256), extract32(pubkey, 32, output_type=uint256),
        extract32(pubkey, 64, output_type=uint256), extract32(pubkey, 96, output_type=uint256),
    ]
    assert w[0] < P and w[1] < P and w[2] < P and w[3] < P, "CouncilAnchor: public key coordinate not below p"
    assert w[0] | w[1] | w[2] | w[3] != 0, "CouncilAnchor: public key is the point at infinity"
    return w


@internal
@view
def _pairing_check(sig: uint256[2], pk: uint256[4], message: Bytes[MAX_MESSAGE], hint: uint256[7]) -> bool:
    # e(sig, -g2) * e(H(m), pk) == 1. The precompile checks that pk is on the twist and in
    # the order-r subgroup; a failed call means pk is not a valid G2 point (sig is checked).
    h: uint256[2] = self._hash_to_point(message, hint)
    data: Bytes[384] = abi_encode(
        sig[0], sig[1], NEG_G2_X_IM, NEG_G2_X_RE, NEG_G2_Y_IM, NEG_G2_Y_RE,
        h[0], h[1], pk[0], pk[1], pk[2], pk[3],
    )
    ok: bool = False
    out: Bytes[32] = b""
    ok, out = raw_call(PAIRING, data, max_outsize=32, is_static_call=True, revert_on_failure=False)
    assert ok and len(out) == 32, "CouncilAnchor: public key is not a valid G2 point"
    return extract32(out, 0, output_type=uint256) == 1


@internal
@pure
def _meta(seq: uint64, epoch: uint64) -> uint256:
    return REGISTERED | (convert(epoch, uint256) << 64) | convert(seq, uint256)


# ---------------------------------------------------------------- messages

@internal
@view
def _anchor_message(key_id: bytes32, seq: uint64, prev_head: bytes32, new_head: bytes32,
                    roster_digest: bytes32, epoch: uint64, entries_hash: bytes32) -> bytes32:
    return keccak256(abi_encode(ANCHOR_TAG, chain.id, self, key_id, seq, prev_head, new_head,
                                roster_digest, epoch, entries_hash))


@internal
@view
def _register_message(key_id: bytes32, pubkey: Bytes[128], roster_digest: bytes32, epoch: uint64,
                      head_seq: uint64, head_digest: bytes32) -> bytes32:
    return keccak256(abi_encode(REGISTER_TAG, chain.id, self, key_id, pubkey, roster_digest, epoch,
                                head_seq, head_digest))


# ---------------------------------------------------------------- state changes

@external
def register(key_id: bytes32, pubkey: Bytes[128], roster_digest: bytes32, epoch: uint64,
             head_seq: uint64, head_digest: bytes32, pop_signature: Bytes[64], hint: uint256[7]):
    """
    @notice Register a new key id with the council's G2 public key and its starting head. The
            signature over the registration message proves possession of the signing key.
    """
    # 1. Only a new key id, only by the registrar if one is set.
    assert self.registrar == empty(address) or msg.sender == self.registrar, "CouncilAnchor: caller is not the registrar"
    assert self.records[key_id].meta == 0, "CouncilAnchor: key id already registered"
    # 2. Well-formed points.
    pk: uint256[4] = self._g2_words(pubkey)
    sig: uint256[2] = self._g1_point(pop_signature)
    # 3. Proof of possession over (chain id, contract, key id, pubkey, roster, epoch, head).
    message: bytes32 = self._register_message(key_id, pubkey, roster_digest, epoch, head_seq, head_digest)
    assert self._pairing_check(sig, pk, concat(message, b""), hint), "CouncilAnchor: proof of possession does not verify"
    # 4. Store and publish.
    self.records[key_id] = Record(pubkey=pk, meta=self._meta(head_seq, epoch), head=head_digest, roster_digest=roster_digest)
    log Registered(key_id=key_id, registrant=msg.sender, pubkey=pubkey, roster_digest=roster_digest,
                   epoch=epoch, head_seq=head_seq, head_digest=head_digest)


@external
def anchor(key_id: bytes32, seq: uint64, prev_head: bytes32, new_head: bytes32,
           roster_digest: bytes32, epoch: uint64, entries: Bytes[MAX_ENTRIES], signature: Bytes[64],
           hint: uint256[7]):
    """
    @notice Anchor a new log head: accepted only if it extends the anchored head and the
            council's signature over it verifies under the registered key.
    """
    record: Record = self.records[key_id]
    # 1. The key id is registered.
    assert record.meta != 0, "CouncilAnchor: key id not registered"
    # 2. The new head extends the anchored one; the epoch never goes back.
    assert prev_head == record.head, "CouncilAnchor: prev_head is not the anchored head"
    assert convert(seq, uint256) > record.meta & SEQ_MASK, "CouncilAnchor: seq does not extend the anchored head"
    assert convert(epoch, uint256) >= (record.meta >> 64) & SEQ_MASK, "CouncilAnchor: epoch is older than the anchored epoch"
    # 3. The council signed exactly this head, for this chain, contract and key id.
    sig: uint256[2] = self._g1_point(signature)
    message: bytes32 = self._anchor_message(key_id, seq, prev_head, new_head, roster_digest, epoch, keccak256(entries))
    assert self._pairing_check(sig, record.pubkey, concat(message, b""), hint), "CouncilAnchor: council signature does not verify"
    # 4. Store the head and publish the entries.
    self.records[key_id].meta = self._meta(seq, epoch)
    self.records[key_id].head = new_head
    if roster_digest != record.roster_digest:
        self.records[key_id].roster_digest = roster_digest
    log Anchored(key_id=key_id, seq=seq, prev_head=prev_head, new_head=new_head, roster_digest=roster_digest,
                 epoch=epoch, signature=signature, entries=entries)


# ---------------------------------------------------------------- views

@external
@view
def record(key_id: bytes32) -> (Bytes[128], uint64, bytes32, bytes32, uint64):
    """
    @notice (pubkey, head seq, head digest, roster digest, epoch) of a key id; an empty
            pubkey means the key id is not registered.
    """
    r: Record = self.records[key_id]
    if r.meta == 0:
        return b"", 0, empty(bytes32), empty(bytes32), 0
    pubkey: Bytes[128] = concat(convert(r.pubkey[0], bytes32), convert(r.pubkey[1], bytes32),
                                convert(r.pubkey[2], bytes32), convert(r.pubkey[3], bytes32))
    return pubkey, convert(r.meta & SEQ_MASK, uint64), r.head, r.roster_digest, convert((r.meta >> 64) & SEQ_MASK, uint64)


@external
@view
def hash_to_point(message: Bytes[MAX_MESSAGE]) -> (uint256, uint256):
    """@notice H(message) in G1 as drand evmnet computes it; sign with sigma = sk * H(m)."""
    h: uint256[2] = self._hash_to_point(message, self._hint(message))
    return h[0], h[1]


@external
@view
def hash_to_point_hint(message: Bytes[MAX_MESSAGE]) -> uint256[7]:
    """@notice The witnesses `anchor` and `register` take for H(message) (computed here with modexp)."""
    return self._hint(message)


@external
@view
def verify_signature(pubkey: Bytes[128], message: Bytes[MAX_MESSAGE], signature: Bytes[64]) -> bool:
    """@notice True iff `signature` is a BLS signature of `message` under `pubkey` (reverts on malformed points)."""
    return self._pairing_check(self._g1_point(signature), self._g2_words(pubkey), message, self._hint(message))


@external
@view
def anchor_message(key_id: bytes32, seq: uint64, prev_head: bytes32, new_head: bytes32,
                   roster_digest: bytes32, epoch: uint64, entries_hash: bytes32) -> bytes32:
    """@notice The 32-byte message the council signs to anchor a head (hashed to G1 by `anchor`)."""
    return self._anchor_message(key_id, seq, prev_head, new_head, roster_digest, epoch, entries_hash)


@external
@view
def register_message(key_id: bytes32, pubkey: Bytes[128], roster_digest: bytes32, epoch: uint64,
                     head_seq: uint64, head_digest: bytes32) -> bytes32:
    """@notice The 32-byte message whose signature proves possession at registration."""
    return self._register_message(key_id, pubkey, roster_digest, epoch, head_seq, head_digest)

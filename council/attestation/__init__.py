"""TEE attestation: offline Intel DCAP quote verification and the council's admission policy.

See docs/attestation.md. Modules, inward to outward: `quote` (parse untrusted quote bytes),
`der` / `sgx_ext` (the PCK certificate's SGX extension), `collateral` / `tcb_info` (Intel
collateral files), `pki` (chains and CRLs), `tcb` (Intel's TCB status rules), `verify`
(the numbered verification steps), `verdict`, `binding` (report data <-> sealer key),
`policy` (admission). This module only re-exports.
"""

from council.attestation.binding import check_binding, expected_report_data_prefix
from council.attestation.collateral import Collateral, load_collateral
from council.attestation.errors import QuoteFormatError, QuoteVerificationError
from council.attestation.policy import Admission, Policy, PolicyFile, admit
from council.attestation.quote import Quote, parse_quote
from council.attestation.root import pinned_root
from council.attestation.verdict import Measurements, Verdict, simulated_verdict
from council.attestation.verify import VerifiedQuote, evaluate_quote, verify_quote

__all__ = [
    "Admission",
    "Policy",
    "PolicyFile",
    "admit",
    "check_binding",
    "expected_report_data_prefix",
    "Collateral",
    "Measurements",
    "Quote",
    "QuoteFormatError",
    "QuoteVerificationError",
    "Verdict",
    "VerifiedQuote",
    "evaluate_quote",
    "load_collateral",
    "parse_quote",
    "pinned_root",
    "simulated_verdict",
    "verify_quote",
]

"""Compile the Vyper contracts into committed artefacts, or check that they have not drifted.

`python tools/build_contracts.py` compiles council/chain/contracts/*.vy in-process with vyper and
writes <Name>.json beside each source (abi, bytecode, vyper version, evm version, source sha256);
`--check` compiles again and fails (exit 1) if a committed artefact differs, so CI catches an
edited source without rebuilt artefacts, a hand-edited artefact, or a different compiler.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "council" / "chain" / "contracts"
VYPER_VERSION = "0.4.3"
EVM_VERSION = "cancun"


def build(source: Path) -> str:
    """The artefact text for one contract source (deterministic for one compiler version)."""
    import vyper
    from vyper.compiler import compile_code

    if vyper.__version__ != VYPER_VERSION:
        sys.exit(f"vyper {vyper.__version__} installed, artefacts are built with {VYPER_VERSION}")
    text = source.read_text()
    if f"# pragma evm-version {EVM_VERSION}" not in text:
        sys.exit(f"{source.name}: missing `# pragma evm-version {EVM_VERSION}` (py-evm and Hardhat 2 both run it)")
    out = compile_code(text, contract_path=source.name, output_formats=["abi", "bytecode", "bytecode_runtime"])
    artefact = {
        "contract": source.stem,
        "source": source.relative_to(ROOT).as_posix(),
        "source_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "vyper_version": vyper.__version__,
        "evm_version": EVM_VERSION,
        "abi": out["abi"],
        "bytecode": out["bytecode"],
        "bytecode_runtime": out["bytecode_runtime"],
    }
    return json.dumps(artefact, indent=1, sort_keys=True) + "\n"


def main() -> None:
    sources = sorted(CONTRACTS.glob("*.vy"))
    check = "--check" in sys.argv
    drift = []
    for source in sources:
        target = source.with_suffix(".json")
        fresh = build(source)
        if not check:
            target.write_text(fresh)
            print(f"wrote {target.relative_to(ROOT)}")
        elif not target.exists() or target.read_text() != fresh:
            drift.append(target.relative_to(ROOT).as_posix())
    if drift:
        sys.exit(f"contract artefacts drifted from their sources: {', '.join(drift)}; run `make contracts`")
    if check:
        print(f"contract artefacts match their sources ({len(sources)} contract(s))")


if __name__ == "__main__":
    main()

//! Generates the Solidity Groth16 verifier of a shape from its verifying key.
//!
//! The contract checks `e(-A, B) · e(α, β) · e(vk_x, γ) · e(C, δ) = 1` with the EIP-196/197
//! precompiles, where `vk_x = IC₀ + Σ inputᵢ·ICᵢ₊₁`: four pairings (181,000 gas) plus one
//! `ecMul` and one `ecAdd` per public input (6,150 gas), with the rest written in assembly so
//! it stays close to that floor. Public inputs at or above the scalar field modulus revert
//! with `PublicInputNotInField(index)`; proof words at or above the base field modulus, or
//! points off the curve, make it return `false` (each precompile call gets exactly its
//! EIP-1108 price, so a failing one does not burn the caller's gas).

use crate::{
    Bn254,
    evm::{g1_words, g2_words},
};
use arcanum_protocol::{FR_MODULUS, Shape, U256};

use ark_groth16::VerifyingKey;
use std::fmt::Write;

/// BN254 base field modulus.
const FQ_MODULUS: &str =
    "21888242871839275222246405745257275088696311157297823662689037894645226208583";

/// A `uint256` constant declaration, wrapped as `forge fmt` wraps it (100 columns), so the
/// generated file is already formatted.
fn constant(name: &str, value: U256) -> String {
    let line = format!("    uint256 internal constant {name} = {value};");
    if line.len() <= 100 {
        line
    } else {
        format!("    uint256 internal constant {name} =\n        {value};")
    }
}

/// `bytes4(keccak256("PublicInputNotInField(uint256)"))`.
fn not_in_field_selector() -> u32 {
    let h = arcanum_protocol::keccak256(b"PublicInputNotInField(uint256)");
    u32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

/// Solidity source of the verifier contract for `shape` with key `vk`.
pub fn verifier_source(shape: &Shape, vk: &VerifyingKey<Bn254>, insecure_dev: bool) -> String {
    verifier_source_for(
        &Circuit {
            contract: shape.verifier_contract(),
            what: format!("shape `{}`", shape.name()),
            detail: format!(" (shape id {})", shape.id.0),
            inputs: "[job_id, worker, input_commitment, output_commitment]".into(),
        },
        vk,
        insecure_dev,
    )
}

/// What a generated verifier is named and documented as.
#[derive(Clone, Debug)]
pub struct Circuit {
    /// Contract name.
    pub contract: String,
    /// What the circuit is, for the header and the title.
    pub what: String,
    /// More for the title.
    pub detail: String,
    /// The public inputs, for the notice.
    pub inputs: String,
}

/// Solidity source of a verifier contract for any circuit with key `vk`. Verifiers of
/// four public inputs implement `IGroth16Verifier`; others have the same function with
/// their own input count.
pub fn verifier_source_for(
    circuit: &Circuit,
    vk: &VerifyingKey<Bn254>,
    insecure_dev: bool,
) -> String {
    let name = &circuit.contract;
    let n_inputs = vk.gamma_abc_g1.len() - 1;
    let mut consts = String::new();
    let mut c = |k: &str, v: U256| {
        let _ = writeln!(consts, "{}", constant(k, v));
    };
    let [ax, ay] = g1_words(&vk.alpha_g1);
    c("ALPHA_X", ax);
    c("ALPHA_Y", ay);
    for (prefix, p) in [
        ("BETA", &vk.beta_g2),
        ("GAMMA", &vk.gamma_g2),
        ("DELTA", &vk.delta_g2),
    ] {
        let [x1, x0, y1, y0] = g2_words(p);
        c(&format!("{prefix}_X1"), x1);
        c(&format!("{prefix}_X0"), x0);
        c(&format!("{prefix}_Y1"), y1);
        c(&format!("{prefix}_Y0"), y0);
    }
    for (i, p) in vk.gamma_abc_g1.iter().enumerate() {
        let [x, y] = g1_words(p);
        c(&format!("IC{i}_X"), x);
        c(&format!("IC{i}_Y"), y);
    }

    let mut range = String::new();
    for i in 0..n_inputs {
        let _ = write!(
            range,
            r#"
            if iszero(lt(calldataload(add(input, {off:#x})), R)) {{
                mstore(0, shl(224, NOT_IN_FIELD))
                mstore(4, {i})
                revert(0, 0x24)
            }}"#,
            off = i * 32,
        );
    }
    let mut proof_range = String::from("lt(calldataload(proof), Q)");
    for i in 1..8 {
        let _ = write!(
            proof_range,
            "\n            ok := and(ok, lt(calldataload(add(proof, {:#x})), Q))",
            i * 32
        );
    }

    let mut msm = String::new();
    for i in 0..n_inputs {
        let _ = write!(
            msm,
            r#"
            // vk_x += input[{i}] * IC{j}
            mstore(add(f, 0x40), IC{j}_X)
            mstore(add(f, 0x60), IC{j}_Y)
            mstore(add(f, 0x80), calldataload(add(input, {off:#x})))
            ok := and(ok, staticcall(ECMUL_GAS, 0x07, add(f, 0x40), 0x60, add(f, 0x40), 0x40))
            ok := and(ok, staticcall(ECADD_GAS, 0x06, f, 0x80, f, 0x40))"#,
            j = i + 1,
            off = i * 32,
        );
    }

    let standard = n_inputs == 4;
    let batch = if standard {
        batch_source(n_inputs)
    } else {
        String::new()
    };
    let warning = if insecure_dev {
        "\n// WARNING: generated from the INSECURE deterministic dev setup. Anyone can forge proofs\n// for this key. Use only on local devnets.\n"
    } else {
        "\n"
    };

    format!(
        r#"// SPDX-License-Identifier: MIT OR Apache-2.0
// GENERATED by arcanum-zk from the verifying key of {what}. Do not edit:
// regenerate with `make verifiers`.{warning}pragma solidity ^0.8.24;
{import}
/// @title Groth16 verifier for {what}{detail}
/// @notice Verifies a BN254 Groth16 proof over public inputs
///         `{inputs}`.
contract {name}{inherits} {{{error}
    /// @dev BN254 scalar field modulus: public inputs must be below it.
{r}
    /// @dev BN254 base field modulus: proof coordinates must be below it.
{q}
    /// @dev Selector of `PublicInputNotInField(uint256)`, for the assembly below.
    uint256 internal constant NOT_IN_FIELD = {not_in_field:#010x};
    /// @dev Precompile prices (EIP-1108): each call gets exactly its price, so an invalid
    ///      point fails the check instead of burning all the gas left.
    uint256 internal constant ECADD_GAS = 150;
    uint256 internal constant ECMUL_GAS = 6000;
    uint256 internal constant PAIRING_GAS = 45000;
    uint256 internal constant PAIR_GAS = 34000;

{consts}
    {doc}
    function verifyProof(uint256[8] calldata proof, uint256[{n_inputs}] calldata input)
        external
        view
        returns (bool)
    {{
        bool valid;
        assembly ("memory-safe") {{
            // Public inputs must be field elements: revert PublicInputNotInField(i).{range}
            // Proof coordinates must be canonical: otherwise the proof is invalid.
            let ok := {proof_range}
            let f := mload(0x40)
            mstore(f, IC0_X)
            mstore(add(f, 0x20), IC0_Y){msm}

            // Pairing input: (-A, B), (alpha, beta), (vk_x, gamma), (C, delta).
            let p := add(f, 0xc0)
            mstore(p, calldataload(proof))
            mstore(add(p, 0x20), mod(sub(Q, calldataload(add(proof, 0x20))), Q))
            calldatacopy(add(p, 0x40), add(proof, 0x40), 0x80)
            mstore(add(p, 0xc0), ALPHA_X)
            mstore(add(p, 0xe0), ALPHA_Y)
            mstore(add(p, 0x100), BETA_X1)
            mstore(add(p, 0x120), BETA_X0)
            mstore(add(p, 0x140), BETA_Y1)
            mstore(add(p, 0x160), BETA_Y0)
            mstore(add(p, 0x180), mload(f))
            mstore(add(p, 0x1a0), mload(add(f, 0x20)))
            mstore(add(p, 0x1c0), GAMMA_X1)
            mstore(add(p, 0x1e0), GAMMA_X0)
            mstore(add(p, 0x200), GAMMA_Y1)
            mstore(add(p, 0x220), GAMMA_Y0)
            calldatacopy(add(p, 0x240), add(proof, 0xc0), 0x40)
            mstore(add(p, 0x280), DELTA_X1)
            mstore(add(p, 0x2a0), DELTA_X0)
            mstore(add(p, 0x2c0), DELTA_Y1)
            mstore(add(p, 0x2e0), DELTA_Y0)
            ok := and(ok, staticcall(add(PAIRING_GAS, mul(4, PAIR_GAS)), 0x08, p, 0x300, p, 0x20))
            valid := and(ok, mload(p))
        }}
        return valid;
    }}{batch}
}}
"#,
        what = circuit.what,
        detail = circuit.detail,
        inputs = circuit.inputs,
        import = if standard {
            "\nimport {IGroth16Verifier} from \"../interfaces/IGroth16Verifier.sol\";\n"
        } else {
            ""
        },
        inherits = if standard { " is IGroth16Verifier" } else { "" },
        error = if standard {
            ""
        } else {
            "\n    /// @notice A public input is not below the BN254 scalar field modulus.\n    error PublicInputNotInField(uint256 index);\n"
        },
        doc = if standard {
            "/// @inheritdoc IGroth16Verifier"
        } else {
            "/// @notice Checks a proof (`A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y`) against\n    ///         the public inputs; true if and only if it verifies."
        },
        r = constant("R", FR_MODULUS),
        q = constant("Q", FQ_MODULUS.parse().expect("modulus literal")),
        not_in_field = not_in_field_selector(),
    )
}

/// `verifyBatch` of a verifier of `n` public inputs (see [`verifier_source_for`]): the
/// random-linear-combination check
/// `Π_k e(-r_k A_k, B_k) · e((Σ r_k) α, β) · e(Σ r_k vk_x_k, γ) · e(Σ r_k C_k, δ) = 1`,
/// with 128-bit coefficients `r_k = keccak256(seed, k) >> 128 | 1` and
/// `seed = keccak256(proofs ‖ inputs)` (the calldata of both arrays): `n + 3` pairings,
/// two `ecMul` per proof and `n + 2` in all for the folded public inputs
/// (`vk_x = (Σ r_k) IC_0 + Σ_j (Σ_k r_k input_kj) IC_{j+1}`).
fn batch_source(n: usize) -> String {
    let fold = 0x100;
    let pb = fold + n * 0x20;
    let mut msm = String::new();
    for j in 0..n {
        let _ = write!(
            msm,
            r#"
            mstore(add(f, 0x40), IC{k}_X)
            mstore(add(f, 0x60), IC{k}_Y)
            mstore(add(f, 0x80), mload(add(f, {off:#x})))
            ok := and(ok, staticcall(ECMUL_GAS, 0x07, add(f, 0x40), 0x60, add(f, 0x40), 0x40))
            ok := and(ok, staticcall(ECADD_GAS, 0x06, f, 0x80, f, 0x40))"#,
            k = j + 1,
            off = fold + j * 0x20,
        );
    }
    r#"

    /// @inheritdoc IGroth16Verifier
    function verifyBatch(uint256[8][] calldata proofs, uint256[__N__][] calldata inputs)
        external
        view
        returns (bool)
    {
        uint256 n = proofs.length;
        if (n == 0 || inputs.length != n) return false;
        bool valid;
        assembly ("memory-safe") {
            // Scratch at f (6 words), Σ r_k C_k at f + 0xc0, the folded inputs at f + 0x100,
            // the pairing input at pb.
            let f := mload(0x40)
            let pb := add(f, __PB__)
            // The coefficients' seed: a hash of every proof and every input.
            calldatacopy(pb, proofs.offset, mul(n, 0x100))
            calldatacopy(add(pb, mul(n, 0x100)), inputs.offset, mul(n, __INPUT_BYTES__))
            let seed := keccak256(pb, add(mul(n, 0x100), mul(n, __INPUT_BYTES__)))
            mstore(add(f, 0xc0), 0)
            mstore(add(f, 0xe0), 0)
            for { let j := 0 } lt(j, __N__) { j := add(j, 1) } {
                mstore(add(f, add(__FOLD__, mul(j, 0x20))), 0)
            }
            let sumR := 0
            let ok := 1
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                let p := add(proofs.offset, mul(k, 0x100))
                // Proof coordinates must be canonical: otherwise the batch is invalid.
                for { let i := 0 } lt(i, 0x100) { i := add(i, 0x20) } {
                    ok := and(ok, lt(calldataload(add(p, i)), Q))
                }
                mstore(f, seed)
                mstore(add(f, 0x20), k)
                let r := or(shr(128, keccak256(f, 0x40)), 1)
                sumR := addmod(sumR, r, R)
                // Public inputs must be field elements: revert
                // PublicInputNotInField(k * __N__ + j); fold them, r_k input_kj.
                let in := add(inputs.offset, mul(k, __INPUT_BYTES__))
                for { let j := 0 } lt(j, __N__) { j := add(j, 1) } {
                    let v := calldataload(add(in, mul(j, 0x20)))
                    if iszero(lt(v, R)) {
                        mstore(0, shl(224, NOT_IN_FIELD))
                        mstore(4, add(mul(k, __N__), j))
                        revert(0, 0x24)
                    }
                    let slot := add(f, add(__FOLD__, mul(j, 0x20)))
                    mstore(slot, addmod(mload(slot), mulmod(r, v, R), R))
                }
                // Pair k: (-r_k A_k, B_k).
                let q := add(pb, mul(k, 0xc0))
                mstore(f, calldataload(p))
                mstore(add(f, 0x20), calldataload(add(p, 0x20)))
                mstore(add(f, 0x40), r)
                ok := and(ok, staticcall(ECMUL_GAS, 0x07, f, 0x60, q, 0x40))
                mstore(add(q, 0x20), mod(sub(Q, mload(add(q, 0x20))), Q))
                calldatacopy(add(q, 0x40), add(p, 0x40), 0x80)
                // Σ r_k C_k.
                mstore(f, calldataload(add(p, 0xc0)))
                mstore(add(f, 0x20), calldataload(add(p, 0xe0)))
                mstore(add(f, 0x40), r)
                ok := and(ok, staticcall(ECMUL_GAS, 0x07, f, 0x60, f, 0x40))
                mstore(add(f, 0x40), mload(add(f, 0xc0)))
                mstore(add(f, 0x60), mload(add(f, 0xe0)))
                ok := and(ok, staticcall(ECADD_GAS, 0x06, f, 0x80, add(f, 0xc0), 0x40))
            }
            // Pair n: ((Σ r_k) alpha, beta).
            let q := add(pb, mul(n, 0xc0))
            mstore(f, ALPHA_X)
            mstore(add(f, 0x20), ALPHA_Y)
            mstore(add(f, 0x40), sumR)
            ok := and(ok, staticcall(ECMUL_GAS, 0x07, f, 0x60, q, 0x40))
            mstore(add(q, 0x40), BETA_X1)
            mstore(add(q, 0x60), BETA_X0)
            mstore(add(q, 0x80), BETA_Y1)
            mstore(add(q, 0xa0), BETA_Y0)
            // Pair n + 1: (Σ r_k vk_x_k, gamma), the inputs folded: (Σ r_k) IC0 + Σ_j s_j IC_j+1.
            mstore(f, IC0_X)
            mstore(add(f, 0x20), IC0_Y)
            mstore(add(f, 0x40), sumR)
            ok := and(ok, staticcall(ECMUL_GAS, 0x07, f, 0x60, f, 0x40))__MSM__
            q := add(q, 0xc0)
            mstore(q, mload(f))
            mstore(add(q, 0x20), mload(add(f, 0x20)))
            mstore(add(q, 0x40), GAMMA_X1)
            mstore(add(q, 0x60), GAMMA_X0)
            mstore(add(q, 0x80), GAMMA_Y1)
            mstore(add(q, 0xa0), GAMMA_Y0)
            // Pair n + 2: (Σ r_k C_k, delta).
            q := add(q, 0xc0)
            mstore(q, mload(add(f, 0xc0)))
            mstore(add(q, 0x20), mload(add(f, 0xe0)))
            mstore(add(q, 0x40), DELTA_X1)
            mstore(add(q, 0x60), DELTA_X0)
            mstore(add(q, 0x80), DELTA_Y1)
            mstore(add(q, 0xa0), DELTA_Y0)
            let pairingGas := add(PAIRING_GAS, mul(add(n, 3), PAIR_GAS))
            ok := and(ok, staticcall(pairingGas, 0x08, pb, mul(add(n, 3), 0xc0), f, 0x20))
            valid := and(ok, mload(f))
        }
        return valid;
    }"#
    .replace("__N__", &n.to_string())
    .replace("__PB__", &format!("{pb:#x}"))
    .replace("__FOLD__", &format!("{fold:#x}"))
    .replace("__INPUT_BYTES__", &format!("{:#x}", n * 0x20))
    .replace("__MSM__", &msm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fq;
    use ark_ff::PrimeField;

    #[test]
    fn error_selector_matches_cast_sig() {
        // `cast sig "PublicInputNotInField(uint256)"`
        assert_eq!(not_in_field_selector(), 0x065f_e5fc);
    }

    #[test]
    fn fq_modulus_constant_is_right() {
        assert_eq!(Fq::MODULUS.to_string(), FQ_MODULUS);
    }
}

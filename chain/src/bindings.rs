//! Typed bindings generated from the forge artifacts (ABI + creation bytecode).
#![allow(missing_docs, unreachable_pub, clippy::too_many_arguments)]

use alloy::{primitives::Bytes, sol};

sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    ArcanumToken,
    "artifacts/ArcanumToken.json"
);

sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    ComputeMarket,
    "artifacts/ComputeMarket.json"
);

sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    DataOracle,
    "artifacts/DataOracle.json"
);

sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    IrisStatsConsumer,
    "artifacts/IrisStatsConsumer.json"
);

sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    IGroth16Verifier,
    "artifacts/IGroth16Verifier.json"
);

/// Creation bytecode of a generated verifier contract, by contract name.
pub fn verifier_bytecode(contract: &str) -> Option<Bytes> {
    let json = match contract {
        "SecaggSum4x8Verifier" => include_str!("../artifacts/SecaggSum4x8Verifier.json"),
        "HeLinear4x8Verifier" => include_str!("../artifacts/HeLinear4x8Verifier.json"),
        "SecaggSum16x64Verifier" => include_str!("../artifacts/SecaggSum16x64Verifier.json"),
        "SecaggSum16x1152Verifier" => {
            include_str!("../artifacts/SecaggSum16x1152Verifier.json")
        }
        "ClerkSum4x8C5Verifier" => include_str!("../artifacts/ClerkSum4x8C5Verifier.json"),
        "DecryptShareC5Verifier" => include_str!("../artifacts/DecryptShareC5Verifier.json"),
        "FinalizeHeLinear4x8T3Verifier" => {
            include_str!("../artifacts/FinalizeHeLinear4x8T3Verifier.json")
        }
        "FinalizeSecaggSum8T2Verifier" => {
            include_str!("../artifacts/FinalizeSecaggSum8T2Verifier.json")
        }
        _ => return None,
    };
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v["bytecode"]["object"].as_str()?.parse().ok()
}

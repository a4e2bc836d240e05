//! A deployment of the Arcanum contracts on one chain, as the file `arcanum deploy` and
//! `contracts/script/Deploy.s.sol` both write: `<data-dir>/deployments/<chain-id>.json`.
//! A node finds its deployment by the chain id its RPC reports.

use crate::{Error, Result};
use alloy::primitives::Address;
use arcanum_protocol::ShapeId;
use serde::{Deserialize, Serialize};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

/// A verifier registered for a shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedShape {
    /// Shape id (the market's registry key).
    pub id: ShapeId,
    /// Job kind code the shape proves.
    pub kind: u8,
    /// Shape name, e.g. `secagg-sum-4x8`.
    pub name: String,
    /// Its verifier contract.
    pub verifier: Address,
}

/// Addresses of a deployed Arcanum system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// The chain.
    pub chain_id: u64,
    /// Block at which the deployment started: event scans start here, never at 0.
    pub deploy_block: u64,
    /// Reward and stake token.
    pub token: Address,
    /// The compute market.
    pub market: Address,
    /// The data oracle.
    pub data_oracle: Address,
    /// Verifier per registered shape.
    pub shapes: Vec<DeployedShape>,
    /// The data oracle's verifiers.
    #[serde(default)]
    pub oracle_circuits: Vec<crate::types::DeployedOracleCircuit>,
    /// ABI file per contract, relative to the repository root.
    #[serde(default)]
    pub abi: BTreeMap<String, String>,
}

impl Deployment {
    /// Where the deployment of `chain_id` lives under `data_dir`.
    pub fn path_for(data_dir: &Path, chain_id: u64) -> PathBuf {
        data_dir
            .join("deployments")
            .join(format!("{chain_id}.json"))
    }

    /// The ABI paths of the contracts, as written into deployment files.
    pub fn default_abi() -> BTreeMap<String, String> {
        ["ArcanumToken", "ComputeMarket", "DataOracle"]
            .into_iter()
            .map(|c| (c.to_string(), format!("chain/artifacts/{c}.json")))
            .collect()
    }

    /// The verifier of `shape`.
    pub fn verifier_of(&self, shape: ShapeId) -> Option<Address> {
        self.shapes
            .iter()
            .find(|s| s.id == shape)
            .map(|s| s.verifier)
    }

    /// Reads a deployment file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::Deploy(format!(
                "{}: {e}; run `arcanum deploy --rpc URL` (or the forge script contracts/script/Deploy.s.sol) or set chain.deployment in config.toml",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            Error::Deploy(format!(
                "{}: not a deployment file ({e}); regenerate it with `arcanum deploy`",
                path.display()
            ))
        })
    }

    /// Writes the deployment file (creating its folder).
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |e: std::io::Error| Error::Deploy(format!("{}: {e}", path.display()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Deploy(e.to_string()))?;
        std::fs::write(path, text + "\n").map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_file_the_forge_script_writes() {
        let text = r#"{
          "chain_id": 31337, "deploy_block": 1,
          "token": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
          "market": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
          "data_oracle": "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
          "shapes": [{"id": 2, "kind": 3, "name": "he-linear-4x8",
                      "verifier": "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"}],
          "abi": {"ComputeMarket": "chain/artifacts/ComputeMarket.json"}
        }"#;
        let d: Deployment = serde_json::from_str(text).expect("parse");
        assert_eq!(d.chain_id, 31337);
        assert_eq!(d.shapes[0].id, ShapeId(2));
        assert!(d.verifier_of(ShapeId(2)).is_some());
        assert!(d.verifier_of(ShapeId(1)).is_none());
        let err = Deployment::load(Path::new("/nonexistent/1.json")).expect_err("missing");
        assert!(err.to_string().contains("arcanum deploy"), "{err}");
    }
}

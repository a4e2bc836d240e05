//! Proof-bound oracle values for `secagg-sum` jobs: no oracle node, requester, worker or
//! clerk (below the threshold: any clerk at all, since each proves its own sum) can publish
//! a value that is not exactly the feed's statistic of the job's unmasked aggregate.
//!
//! ## What binds what
//!
//! - **Contributors anchor their pad shares.** Contributor `i` commits to the share vector
//!   it sends clerk `k` (`d_ik = commit(SHARE, s_ik)`), to the query it answered
//!   (`query_tag`) and to its masked vector (`c_i = commit(CONTRIBUTION, y_i)`): its anchor
//!   `a_i = commit(ANCHOR, [query_tag, c_i, d_i1, .., d_iM])` goes into the job's input
//!   commitment next to `c_i` (`commitment::inputs_anchored`), which the worker's proof and
//!   the market bind. For a data-oracle request the owner also signs `a_i` with the
//!   request's id, and the contract checks the signer is one of the feed's data owners.
//! - **Each clerk proves its sum** ([`clerk::ClerkSumCircuit`]): public
//!   `[input_commitment, query_tag, clerk_index, clerk_commitment]`; the sum
//!   `sigma_k = sum_i s_ik` over exactly the contributors present in the job, whose shares
//!   open the anchors of the job's input commitment at the clerk's position, and whose
//!   absent slots are the shape's padding.
//! - **The finalize proof** ([`finalize::FinalizeCircuit`]): public `[binding,
//!   input_commitment, params, value, x_1..x_t, clerk_commitment_1..t, a_1..a_n]`; the
//!   masked vectors and the anchors open the job's input commitment, `S` is their sum (the
//!   job's output, which its worker proved), the aggregate is
//!   `A = S - sum_k lambda_k(x) sigma_k` (Lagrange at the pads' secret point over the
//!   clerks' indices), and `value` is exactly the feed's statistic of `A`
//!   ([`finalize::Statistic`], packed in `params`). `binding` is the request and the
//!   fulfilling node ([`finalize::binding`]): a proof is neither replayed nor copied by
//!   another node. Binding the input commitment rather than the output's costs the circuit
//!   one Poseidon per contributor, and spares every settlement a storage write: the market
//!   stores only the input commitment.
//!
//! `DataOracle.fulfill` reads the completed job's input commitment from the market, the
//! query tag and `params` from the feed's on-chain definition, checks each present
//! anchor's signature by a distinct data owner of the feed (at least the feed's minimum),
//! and verifies the `t` clerk proofs and the finalize proof.
//!
//! What stays trusted: each contributor, for its own data (as for any aggregate). A
//! contributor that deals inconsistent shares only moves its own contribution, which it
//! could do by lying about its data.

pub mod clerk;
pub mod decrypt;
pub mod finalize;
pub mod finalize_he;
pub mod sample;
pub mod sample_he;

use crate::{
    Fr, Result,
    circuit::Circuit,
    commitment::{self, Domain},
    keys::Keyed,
    shapes,
};
use arcanum_protocol::Shape;

/// The oracle circuits of a job shape: for `secagg-sum`, up to `clerks` clerks and
/// reconstruction from exactly `threshold` of them; for `he-linear`, a key committee of up
/// to `clerks` members decrypting with exactly `threshold` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleShape {
    /// The job's shape.
    pub job: Shape,
    /// Most clerks a contribution's shares go to (anchors hold this many commitments), or
    /// most key-committee members (a key digest holds this many keys).
    pub clerks: usize,
    /// Clerk sums (or members' decryption shares) combined by the finalize proof (the
    /// sharing's threshold).
    pub threshold: usize,
}

/// Share commitments an anchor holds: contributions shared to more clerks anchor nothing.
/// Every oracle shape uses this many, so an owner anchors without knowing which.
pub const MAX_ANCHORED_CLERKS: usize = 5;

/// `secagg-sum-4x8` jobs with up to 5 clerks, threshold 2.
pub const SECAGG_SUM_4X8_C5_T2: OracleShape = OracleShape {
    job: shapes::SECAGG_SUM_4X8,
    clerks: MAX_ANCHORED_CLERKS,
    threshold: 2,
};

/// `he-linear-4x8` jobs under a key committee of up to 5 members, threshold 3.
pub const HE_LINEAR_4X8_C5_T3: OracleShape = OracleShape {
    job: shapes::HE_LINEAR_4X8,
    clerks: decrypt::MAX_MEMBERS,
    threshold: 3,
};

/// Every registered oracle shape.
pub const ALL: &[OracleShape] = &[SECAGG_SUM_4X8_C5_T2, HE_LINEAR_4X8_C5_T3];

impl OracleShape {
    /// The registered oracle shape for a job of `job` shared to `clerks` clerks with
    /// `threshold`, or an error naming what is registered.
    pub fn find(job: Shape, clerks: usize, threshold: usize) -> Result<Self> {
        ALL.iter()
            .copied()
            .find(|o| o.job == job && clerks <= o.clerks && threshold == o.threshold)
            .ok_or_else(|| crate::Error::Shape {
                shape: job.name(),
                detail: format!(
                    "no oracle circuit for {clerks} clerks at threshold {threshold}; registered: {}",
                    ALL.iter()
                        .map(|o| format!(
                            "{} with up to {} clerks at threshold {}",
                            o.job.name(),
                            o.clerks,
                            o.threshold
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }

    /// Whether its job is `he-linear` (the "clerks" are the key committee's members).
    pub fn is_he(self) -> bool {
        self.job.kind == arcanum_protocol::JobKind::HeLinear
    }

    /// The clerk-sum (or member decryption-share) circuit's identity (keys, verifier).
    pub fn clerk(self) -> ClerkCircuitId {
        ClerkCircuitId(self)
    }

    /// The finalize circuit's identity (keys, verifier).
    pub fn finalize(self) -> FinalizeCircuitId {
        FinalizeCircuitId(self)
    }

    /// Its name, e.g. `secagg-sum-4x8-c5-t2`.
    pub fn name(self) -> String {
        format!("{}-c{}-t{}", self.job.name(), self.clerks, self.threshold)
    }
}

/// The clerk-sum circuit of an [`OracleShape`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClerkCircuitId(pub OracleShape);

/// The finalize circuit of an [`OracleShape`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FinalizeCircuitId(pub OracleShape);

impl ClerkCircuitId {
    /// Solidity contract name of its verifier, e.g. `ClerkSum4x8C5Verifier`.
    pub fn verifier_contract(&self) -> String {
        let s = self.0;
        if s.is_he() {
            return format!("DecryptShareC{}Verifier", s.clerks);
        }
        format!(
            "ClerkSum{}x{}C{}Verifier",
            s.job.contributors, s.job.dims, s.clerks
        )
    }

    /// What the generated verifier's comment says it verifies, and its public inputs.
    pub fn describe(&self) -> (String, &'static str) {
        use crate::keys::Keyed;
        if self.0.is_he() {
            (
                format!(
                    "a key-committee member's decryption shares `{}`",
                    self.key_name()
                ),
                "[sum_digest, key_digest, member_index, share_commitment]",
            )
        } else {
            (
                format!("the clerk-sum circuit `{}`", self.key_name()),
                "[input_commitment, query_tag, clerk_index, clerk_commitment]",
            )
        }
    }
}

impl FinalizeCircuitId {
    /// Solidity contract name of its verifier, e.g. `FinalizeSecaggSum8T2Verifier`.
    pub fn verifier_contract(&self) -> String {
        let s = self.0;
        if s.is_he() {
            return format!(
                "FinalizeHeLinear{}x{}T{}Verifier",
                s.job.contributors, s.job.dims, s.threshold
            );
        }
        format!("FinalizeSecaggSum{}T{}Verifier", s.job.dims, s.threshold)
    }

    /// What the generated verifier's comment says it verifies, and its public inputs.
    pub fn describe(&self) -> (String, &'static str) {
        use crate::keys::Keyed;
        let inputs = if self.0.is_he() {
            "[request_id, input_commitment, params, value, x_1..x_t, share_commitment_1..t, anchor_1..n, query_tag, key_digest, sum_digest]"
        } else {
            "[request_id, input_commitment, params, value, x_1..x_t, clerk_commitment_1..t, anchor_1..n]"
        };
        (
            format!("the finalize circuit `{}`", self.key_name()),
            inputs,
        )
    }
}

impl Keyed for ClerkCircuitId {
    fn key_name(&self) -> String {
        let s = self.0;
        if s.is_he() {
            return format!("decrypt-share-c{}", s.clerks);
        }
        format!(
            "clerk-sum-{}x{}-c{}",
            s.job.contributors, s.job.dims, s.clerks
        )
    }

    fn blank_circuit(&self) -> Result<Box<dyn Circuit + Send + Sync>> {
        if self.0.is_he() {
            return Ok(Box::new(decrypt::DecryptShareCircuit::blank(self.0)));
        }
        Ok(Box::new(clerk::ClerkSumCircuit::blank(self.0)))
    }
}

impl Keyed for FinalizeCircuitId {
    fn key_name(&self) -> String {
        let s = self.0;
        if s.is_he() {
            return format!(
                "finalize-he-linear-{}x{}-t{}",
                s.job.contributors, s.job.dims, s.threshold
            );
        }
        format!("finalize-secagg-sum-{}-t{}", s.job.dims, s.threshold)
    }

    fn blank_circuit(&self) -> Result<Box<dyn Circuit + Send + Sync>> {
        if self.0.is_he() {
            return Ok(Box::new(finalize_he::FinalizeHeCircuit::blank(self.0)));
        }
        Ok(Box::new(finalize::FinalizeCircuit::blank(self.0)))
    }
}

/// `d = commit(SHARE, share)`: a contributor's commitment to the share vector it sends a
/// clerk.
pub fn share_commitment(share: &[Fr]) -> Fr {
    commitment::commit(Domain::Share, share)
}

/// A contributor's anchor over the query it answered, its masked vector's commitment
/// `contribution` and its share commitments (one per clerk, padded with zeros to
/// `max_clerks`). The owner signs it for the data-oracle request it answers.
pub fn anchor(
    query_tag: Fr,
    contribution: Fr,
    share_commitments: &[Fr],
    max_clerks: usize,
) -> Result<Fr> {
    if share_commitments.len() > max_clerks {
        return Err(crate::Error::Shape {
            shape: format!("anchor of {max_clerks} clerks"),
            detail: format!("{} share commitments", share_commitments.len()),
        });
    }
    let mut xs = Vec::with_capacity(2 + max_clerks);
    xs.push(query_tag);
    xs.push(contribution);
    xs.extend_from_slice(share_commitments);
    xs.resize(2 + max_clerks, Fr::from(0u64));
    Ok(commitment::commit(Domain::Anchor, &xs))
}

/// A clerk's commitment to its sum of shares.
pub fn clerk_commitment(sum: &[Fr]) -> Fr {
    commitment::commit(Domain::ClerkSum, sum)
}

/// The commitment of an absent contributor's slot (the shape's zero padding).
pub fn padding_contribution(dims: usize) -> Fr {
    commitment::contribution(&vec![Fr::from(0u64); dims])
}

/// The query tag of a canonical query description: `keccak256(description) mod r`, the
/// value a feed's on-chain definition holds.
pub fn query_tag(description: &str) -> Fr {
    use ark_ff::PrimeField;
    Fr::from_be_bytes_mod_order(arcanum_protocol::keccak256(description.as_bytes()).as_slice())
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_he;

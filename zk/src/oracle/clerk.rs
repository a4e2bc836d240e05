//! The clerk-sum circuit: a clerk's sum of pad shares, proven against the anchors the
//! contributors bound into the job's input commitment.
//!
//! Public inputs, in order: `input_commitment` (the job's, read from the market),
//! `query_tag` (the feed's), `clerk_index` (the clerk's 1-based Shamir point),
//! `clerk_commitment = commit(CLERK_SUM, sigma)`.

use super::{OracleShape, padding_contribution};
use crate::{
    Bn254, Error, Fr, Result,
    circuit::Circuit,
    commitment::{Domain, commit_sig},
    keys::CircuitKeys,
    prover,
    r1cs::{Builder, Sig},
};
use ark_ff::One;
use ark_groth16::Proof;
use ark_relations::gr1cs::SynthesisError;

/// What a clerk knows of one contributor slot of the job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Whether a contributor fills the slot (absent: the shape's zero padding).
    pub present: bool,
    /// The slot's contribution commitment (`commit(CONTRIBUTION, masked)`).
    pub contribution: Fr,
    /// The contributor's share commitments, one per clerk position (zeros past its
    /// clerks; ignored when absent).
    pub share_commitments: Vec<Fr>,
    /// The share this clerk received (zeros when absent).
    pub share: Vec<Fr>,
}

impl Slot {
    /// An absent contributor's slot.
    pub fn absent(shape: OracleShape) -> Self {
        Self {
            present: false,
            contribution: padding_contribution(shape.job.dims),
            share_commitments: vec![Fr::from(0u64); shape.clerks],
            share: vec![Fr::from(0u64); shape.job.dims],
        }
    }
}

/// The public statement of a clerk's proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClerkStatement {
    /// The job's input commitment.
    pub input_commitment: Fr,
    /// The query the contributors answered.
    pub query_tag: Fr,
    /// The clerk's Shamir index (1-based).
    pub index: u64,
    /// `commit(CLERK_SUM, sum)`.
    pub clerk_commitment: Fr,
}

impl ClerkStatement {
    /// Public inputs in circuit order.
    pub fn public_inputs(&self) -> [Fr; 4] {
        [
            self.input_commitment,
            self.query_tag,
            Fr::from(self.index),
            self.clerk_commitment,
        ]
    }
}

/// The circuit and its witness.
#[derive(Clone, Debug)]
pub struct ClerkSumCircuit {
    /// The oracle shape.
    pub shape: OracleShape,
    /// The statement.
    pub statement: ClerkStatement,
    /// One slot per contributor position of the job's shape.
    pub slots: Vec<Slot>,
}

impl ClerkSumCircuit {
    /// A blank circuit for key setup.
    pub fn blank(shape: OracleShape) -> Self {
        Self {
            shape,
            statement: ClerkStatement {
                input_commitment: Fr::from(0u64),
                query_tag: Fr::from(0u64),
                index: 1,
                clerk_commitment: Fr::from(0u64),
            },
            slots: vec![Slot::absent(shape); shape.job.contributors],
        }
    }
}

/// The sum of the present slots' shares.
pub fn sum_of(slots: &[Slot], dims: usize) -> Vec<Fr> {
    let mut sum = vec![Fr::from(0u64); dims];
    for s in slots.iter().filter(|s| s.present) {
        for (acc, x) in sum.iter_mut().zip(&s.share) {
            *acc += x;
        }
    }
    sum
}

impl Circuit for ClerkSumCircuit {
    fn synthesize(&self, b: &mut Builder) -> Result<(), SynthesisError> {
        let (n, d, m) = (
            self.shape.job.contributors,
            self.shape.job.dims,
            self.shape.clerks,
        );
        if self.slots.len() != n
            || self
                .slots
                .iter()
                .any(|s| s.share.len() != d || s.share_commitments.len() != m)
        {
            return Err(SynthesisError::Unsatisfiable);
        }
        let st = &self.statement;
        let input_commitment = b.input(st.input_commitment)?;
        let tag = b.input(st.query_tag)?;
        let index = b.input(Fr::from(st.index))?;
        let clerk_commitment = b.input(st.clerk_commitment)?;

        // The clerk's position, one-hot over 1..=m.
        let position: Vec<Sig> = (1..=m as u64)
            .map(|k| b.boolean(st.index == k, "the clerk index is not a position"))
            .collect::<Result<_, _>>()?;
        let one = Sig::constant(Fr::one());
        b.enforce_equal(
            &Sig::lincomb(position.iter().map(|e| (Fr::one(), e))),
            &one,
            "the clerk index is not one of the anchored positions",
        )?;
        b.enforce_equal(
            &Sig::lincomb(
                position
                    .iter()
                    .enumerate()
                    .map(|(k, e)| (Fr::from(k as u64 + 1), e)),
            ),
            &index,
            "the clerk index is not one of the anchored positions",
        )?;

        let pad = Sig::constant(padding_contribution(d));
        let mut absorbed = Vec::with_capacity(2 * n);
        let mut anchors = Vec::with_capacity(n);
        let mut sum = vec![Sig::zero(); d];
        for slot in &self.slots {
            let present = b.boolean(slot.present, "a presence flag is not boolean")?;
            let contribution = b.witness(slot.contribution)?;
            let commitments = b.witnesses(&slot.share_commitments)?;
            let share = b.witnesses(&slot.share)?;
            // The share opens the commitment at this clerk's position.
            let opened = commit_sig(b, Domain::Share, &share)?;
            let mut at_position = Sig::zero();
            for (e, c) in position.iter().zip(&commitments) {
                at_position = at_position.add(&b.mul(e, c)?);
            }
            b.enforce(
                &present,
                &opened.sub(&at_position),
                &Sig::zero(),
                "a share does not open the contributor's commitment at the clerk's position",
            )?;
            // The anchor over the query tag, the masked vector's commitment and every share
            // commitment.
            let mut preimage = vec![tag.clone(), contribution.clone()];
            preimage.extend(commitments);
            let anchor = commit_sig(b, Domain::Anchor, &preimage)?;
            anchors.push(b.mul(&present, &anchor)?);
            // An absent slot is the shape's padding.
            b.enforce(
                &one.sub(&present),
                &contribution.sub(&pad),
                &Sig::zero(),
                "an absent slot is not the shape's padding",
            )?;
            absorbed.push(contribution);
            for (acc, x) in sum.iter_mut().zip(&share) {
                *acc = acc.add(&b.mul(&present, x)?);
            }
        }
        absorbed.extend(anchors);
        let inputs = commit_sig(b, Domain::Inputs, &absorbed)?;
        b.enforce_equal(
            &inputs,
            &input_commitment,
            "the contributions and anchors do not open the job's input commitment",
        )?;
        let committed = commit_sig(b, Domain::ClerkSum, &sum)?;
        b.enforce_equal(
            &committed,
            &clerk_commitment,
            "the clerk commitment is not the commitment of the shares' sum",
        )
    }
}

/// Proves a clerk's sum of `slots` under `keys` (the clerk circuit's of `shape`); the
/// statement's `clerk_commitment` must be the sum's. Fails rather than return a proof
/// that does not verify.
pub fn prove(
    keys: &CircuitKeys,
    shape: OracleShape,
    statement: ClerkStatement,
    slots: &[Slot],
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<Proof<Bn254>> {
    if slots.len() != shape.job.contributors {
        return Err(Error::Shape {
            shape: shape.job.name(),
            detail: format!(
                "{} slots for {} contributor positions",
                slots.len(),
                shape.job.contributors
            ),
        });
    }
    let circuit = ClerkSumCircuit {
        shape,
        statement,
        slots: slots.to_vec(),
    };
    let proof = prover::prove_circuit(keys, &circuit, rng)?;
    prover::verify_prepared(keys, &statement.public_inputs(), &proof)?;
    Ok(proof)
}

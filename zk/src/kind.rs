//! One interface per job kind. Everything the system needs to know about a kind lives in
//! its [`Kind`] implementation: how an element is laid out in field elements and padded,
//! whether a job carries weights, what the worker computes (compute's function), how the
//! inputs and output are committed, its circuit, and its proof. Chunking
//! ([`crate::chunks`]), commitments ([`crate::commitment`]), key setup
//! ([`crate::circuit::blank`]), the worker and the requester all go through [`of`]; adding
//! a kind is one implementation here (and its circuit module), one function in compute,
//! and its `JobKind` code.

use crate::{
    Bn254, Error, Fr, Result,
    circuit::{Circuit, SecaggSumCircuit},
    commitment::{Domain, Sponge, commit_with},
    he_linear::{self, HeLinearCircuit},
    keys::ShapeKeys,
    prover::{self, Statement},
};
use arcanum_compute::{elgamal, executor};
use arcanum_protocol::{JobKind, Shape};
use ark_groth16::Proof;

/// A job kind, end to end.
pub trait Kind: Send + Sync {
    /// Field elements per element of an input or output vector.
    fn element_fields(&self) -> usize;

    /// The element (as field elements) that pads vectors to a shape and chunks: one that
    /// changes no output.
    fn padding(&self) -> Vec<Fr>;

    /// Whether a job carries one integer weight per input vector (bound by the input
    /// commitment).
    fn weighted(&self) -> bool;

    /// The sponge its commitments use.
    fn sponge(&self) -> Sponge;

    /// What the worker computes: the output, as field elements, of `inputs` (vectors of
    /// `dims` elements) with `weights` (empty: all ones, or none for unweighted kinds).
    fn execute(&self, dims: usize, inputs: &[Vec<Fr>], weights: &[i64]) -> Result<Vec<Fr>>;

    /// The circuit of `shape` with a blank witness, for key setup.
    fn blank(&self, shape: Shape) -> Box<dyn Circuit + Send + Sync>;

    /// Whether a job binds one share anchor per input vector (see [`crate::oracle`]) in
    /// its input commitment.
    fn anchored(&self) -> bool {
        !self.weighted()
    }

    /// Proves `statement` from the job's `inputs`, `weights` and share `anchors` (empty:
    /// none) under `keys`; fails rather than return a proof that does not verify.
    fn prove(
        &self,
        keys: &ShapeKeys,
        statement: &Statement,
        inputs: &[Vec<Fr>],
        weights: &[i64],
        anchors: &[Fr],
    ) -> Result<Proof<Bn254>>;

    /// The input commitment of a job anchoring nothing.
    fn input_commitment(&self, inputs: &[Vec<Fr>], weights: &[i64]) -> Fr {
        self.input_commitment_anchored(inputs, weights, &[])
    }

    /// The input commitment: each vector committed, then the vectors' commitments and one
    /// extra element per vector: its weight for a weighted kind, its share anchor (zero
    /// when missing) for an anchored one.
    fn input_commitment_anchored(&self, inputs: &[Vec<Fr>], weights: &[i64], anchors: &[Fr]) -> Fr {
        let sponge = self.sponge();
        let mut absorbed: Vec<Fr> = inputs
            .iter()
            .map(|x| commit_with(sponge, Domain::Contribution, x))
            .collect();
        if self.weighted() {
            absorbed.extend(weights.iter().map(|w| he_linear::weight_to_fr(*w)));
        } else if self.anchored() {
            absorbed.extend((0..inputs.len()).map(|i| anchors.get(i).copied().unwrap_or_default()));
        }
        commit_with(sponge, Domain::Inputs, &absorbed)
    }

    /// The output commitment.
    fn output_commitment(&self, output: &[Fr]) -> Fr {
        commit_with(self.sponge(), Domain::Output, output)
    }
}

/// `secagg-sum`: the elementwise sum of masked field vectors. `fl-round` executes and
/// proves as this kind (a round is the secure-aggregation sum of the updates).
pub struct SecaggSum;

impl Kind for SecaggSum {
    fn element_fields(&self) -> usize {
        1
    }

    fn padding(&self) -> Vec<Fr> {
        vec![Fr::from(0u64)]
    }

    fn weighted(&self) -> bool {
        false
    }

    fn sponge(&self) -> Sponge {
        Sponge::Rate8
    }

    fn execute(&self, dims: usize, inputs: &[Vec<Fr>], weights: &[i64]) -> Result<Vec<Fr>> {
        if !weights.is_empty() {
            return Err(Error::Shape {
                shape: "secagg-sum".into(),
                detail: format!("takes no weights; got {}", weights.len()),
            });
        }
        executor::secagg_sum(inputs, dims).map_err(|e| Error::Synthesis(e.to_string()))
    }

    fn blank(&self, shape: Shape) -> Box<dyn Circuit + Send + Sync> {
        Box::new(SecaggSumCircuit::blank(shape))
    }

    fn prove(
        &self,
        keys: &ShapeKeys,
        statement: &Statement,
        inputs: &[Vec<Fr>],
        _weights: &[i64],
        anchors: &[Fr],
    ) -> Result<Proof<Bn254>> {
        prover::prove_secagg_sum_anchored(keys, statement, inputs, anchors, &mut rand::rngs::OsRng)
    }
}

/// `he-linear`: the weighted sum of exponential-ElGamal ciphertext vectors; an element
/// is a ciphertext's four affine coordinates.
pub struct HeLinear;

impl HeLinear {
    fn ciphertexts(inputs: &[Vec<Fr>], dims: usize) -> Result<Vec<Vec<elgamal::Ciphertext>>> {
        executor::decode_ciphertexts(inputs, dims).map_err(|e| Error::Synthesis(e.to_string()))
    }

    fn weights(n: usize, weights: &[i64]) -> Vec<i64> {
        if weights.is_empty() {
            vec![1; n]
        } else {
            weights.to_vec()
        }
    }
}

impl Kind for HeLinear {
    fn element_fields(&self) -> usize {
        executor::CIPHERTEXT_FIELDS
    }

    fn padding(&self) -> Vec<Fr> {
        elgamal::Ciphertext::zero().to_coordinates().to_vec()
    }

    fn weighted(&self) -> bool {
        true
    }

    fn sponge(&self) -> Sponge {
        Sponge::Rate16
    }

    fn execute(&self, dims: usize, inputs: &[Vec<Fr>], weights: &[i64]) -> Result<Vec<Fr>> {
        let cts = Self::ciphertexts(inputs, dims)?;
        let out = elgamal::he_linear(&cts, &Self::weights(cts.len(), weights))
            .map_err(|e| Error::Synthesis(e.to_string()))?;
        Ok(executor::encode_ciphertexts(&out))
    }

    fn blank(&self, shape: Shape) -> Box<dyn Circuit + Send + Sync> {
        Box::new(HeLinearCircuit::blank(shape))
    }

    fn prove(
        &self,
        keys: &ShapeKeys,
        statement: &Statement,
        inputs: &[Vec<Fr>],
        weights: &[i64],
        _anchors: &[Fr],
    ) -> Result<Proof<Bn254>> {
        let cts = Self::ciphertexts(inputs, keys.shape.dims)?;
        let weights = Self::weights(cts.len(), weights);
        prover::prove_he_linear_with_rng(keys, statement, &cts, &weights, &mut rand::rngs::OsRng)
    }
}

/// The implementation of `kind`.
pub fn of(kind: JobKind) -> &'static dyn Kind {
    match kind {
        JobKind::SecaggSum | JobKind::FlRound => &SecaggSum,
        JobKind::HeLinear => &HeLinear,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arcanum_compute::elgamal::{Ciphertext, PublicKey};
    use ark_ec::{CurveGroup, PrimeGroup};

    #[test]
    fn padding_changes_no_output_and_layouts_match_the_protocol() {
        for kind in [JobKind::SecaggSum, JobKind::HeLinear, JobKind::FlRound] {
            let k = of(kind);
            assert_eq!(k.element_fields(), kind.fields_per_element());
            assert_eq!(k.padding().len(), k.element_fields());
            let dims = 3;
            let x: Vec<Fr> = match kind {
                JobKind::HeLinear => {
                    let h = PublicKey(
                        (ark_ed_on_bn254::EdwardsProjective::generator()
                            * ark_ed_on_bn254::Fr::from(7u64))
                        .into_affine(),
                    );
                    let mut rng = rand::rngs::OsRng;
                    executor::encode_ciphertexts(
                        &(0..dims)
                            .map(|m| h.encrypt_i64(m as i64, &mut rng))
                            .collect::<Vec<Ciphertext>>(),
                    )
                }
                _ => (0..dims as u64).map(Fr::from).collect(),
            };
            let pad: Vec<Fr> = (0..dims).flat_map(|_| k.padding()).collect();
            let weights = if k.weighted() { vec![1, 1] } else { vec![] };
            let alone = k
                .execute(dims, &[x.clone(), pad.clone()], &weights)
                .expect("executes");
            let twice = k
                .execute(dims, &[x.clone(), x.clone()], &weights)
                .expect("executes");
            assert_ne!(alone, twice, "{kind}: the second vector counts");
            let with_pad = k
                .execute(dims, &[pad, x.clone()], &weights)
                .expect("executes");
            assert_eq!(alone, with_pad, "{kind}: padding adds nothing");
        }
    }

    #[test]
    fn weights_enter_the_input_commitment_only_for_weighted_kinds() {
        let x = vec![vec![Fr::from(1u64)]];
        let s = of(JobKind::SecaggSum);
        assert_eq!(s.input_commitment(&x, &[2]), s.input_commitment(&x, &[3]));
        let h = of(JobKind::HeLinear);
        assert_ne!(h.input_commitment(&x, &[2]), h.input_commitment(&x, &[3]));
        assert!(
            s.execute(1, &x, &[1]).is_err(),
            "secagg-sum takes no weights"
        );
    }
}

//! Proving and native verification.

use crate::{
    Bn254, Error, Fr, Result, circuit::SecaggSumCircuit, commitment, field, keys::ShapeKeys,
};
use arcanum_protocol::{Address, JobId, Shape};
use ark_groth16::{Groth16, Proof, VerifyingKey, prepare_verifying_key};
use ark_snark::SNARK;

/// The public statement of a `secagg-sum` proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecaggSumStatement {
    /// Job id.
    pub job_id: Fr,
    /// Worker address as `uint160`.
    pub worker: Fr,
    /// Commitment to the inputs.
    pub input_commitment: Fr,
    /// Commitment to the output.
    pub output_commitment: Fr,
}

impl SecaggSumStatement {
    /// The statement that `worker`, in job `job_id`, computed `output` from `inputs`.
    pub fn new(job_id: JobId, worker: Address, inputs: &[Vec<Fr>], output: &[Fr]) -> Result<Self> {
        Ok(Self {
            job_id: field::job_id_to_fr(job_id)?,
            worker: field::address_to_fr(worker),
            input_commitment: commitment::inputs(inputs),
            output_commitment: commitment::output(output),
        })
    }

    /// Public inputs in circuit order.
    pub fn public_inputs(&self) -> [Fr; 4] {
        [
            self.job_id,
            self.worker,
            self.input_commitment,
            self.output_commitment,
        ]
    }
}

fn check_shape(shape: &Shape, inputs: &[Vec<Fr>]) -> Result<()> {
    if inputs.len() != shape.contributors || inputs.iter().any(|x| x.len() != shape.dims) {
        return Err(Error::Shape {
            shape: shape.name(),
            detail: format!(
                "expected {} vectors of {} elements, got {} vectors",
                shape.contributors,
                shape.dims,
                inputs.len()
            ),
        });
    }
    Ok(())
}

/// Checks natively, before any proving work, that `inputs` satisfy `statement` (the
/// circuit's relation, evaluated outside the circuit): a worker learns at once that it was
/// handed inputs that do not match the posted commitment, or computed the wrong output.
fn check_witness(statement: &SecaggSumStatement, inputs: &[Vec<Fr>]) -> Result<()> {
    if commitment::inputs(inputs) != statement.input_commitment {
        return Err(Error::Synthesis(
            "inputs do not open the input commitment".into(),
        ));
    }
    let dims = inputs.first().map_or(0, Vec::len);
    let sum: Vec<Fr> = (0..dims)
        .map(|j| inputs.iter().map(|x| x[j]).sum())
        .collect();
    if commitment::output(&sum) != statement.output_commitment {
        return Err(Error::Synthesis(
            "the output commitment is not the commitment of the inputs' sum".into(),
        ));
    }
    Ok(())
}

/// Proves `statement` with witness `inputs` under `keys`. Fails (rather than producing a
/// useless proof) if the witness does not satisfy the statement.
pub fn prove_secagg_sum(
    keys: &ShapeKeys,
    statement: &SecaggSumStatement,
    inputs: &[Vec<Fr>],
) -> Result<Proof<Bn254>> {
    prove_secagg_sum_with_rng(keys, statement, inputs, &mut rand::rngs::OsRng)
}

/// [`prove_secagg_sum`] with caller-chosen randomness (fixed seeds give reproducible test
/// fixtures; production uses the OS RNG).
pub fn prove_secagg_sum_with_rng(
    keys: &ShapeKeys,
    statement: &SecaggSumStatement,
    inputs: &[Vec<Fr>],
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<Proof<Bn254>> {
    check_shape(&keys.shape, inputs)?;
    check_witness(statement, inputs)?;
    let circuit = SecaggSumCircuit {
        shape: keys.shape,
        job_id: statement.job_id,
        worker: statement.worker,
        input_commitment: statement.input_commitment,
        output_commitment: statement.output_commitment,
        inputs: inputs.to_vec(),
    };
    let proof = Groth16::<Bn254>::prove(&keys.pk, circuit, rng)?;
    // A prover never ships a proof that does not verify (e.g. a witness/statement mismatch).
    verify_prepared(keys, &statement.public_inputs(), &proof)?;
    Ok(proof)
}

/// Verifies a proof against the shape's prepared key.
pub fn verify_prepared(keys: &ShapeKeys, public_inputs: &[Fr], proof: &Proof<Bn254>) -> Result<()> {
    match Groth16::<Bn254>::verify_with_processed_vk(&keys.pvk, public_inputs, proof) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::InvalidProof),
        Err(e) => Err(Error::Synthesis(e.to_string())),
    }
}

/// Verifies a proof against a verifying key.
pub fn verify(vk: &VerifyingKey<Bn254>, public_inputs: &[Fr], proof: &Proof<Bn254>) -> Result<()> {
    match Groth16::<Bn254>::verify_with_processed_vk(
        &prepare_verifying_key(vk),
        public_inputs,
        proof,
    ) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::InvalidProof),
        Err(e) => Err(Error::Synthesis(e.to_string())),
    }
}

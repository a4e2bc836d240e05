//! The `secagg-sum` circuit: `output[j] = sum_i inputs[i][j]` over `Fr`.
//!
//! Public inputs, in order: `job_id`, `worker`, `input_commitment`, `output_commitment`.
//! Witness: the `contributors x dims` input vectors and one share anchor per contributor
//! (bound by the input commitment; see [`crate::oracle`]). The output is not a witness: it
//! is the linear combination of inputs, so only its commitment costs constraints.

use crate::{
    Fr,
    commitment::{Domain, commit_sig},
    r1cs::{Builder, Sig},
};
use arcanum_protocol::Shape;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// A circuit written once against [`Builder`], so it runs both as constraints (setup,
/// matrices, tests) and as a bare witness computation (proving from cached matrices).
pub trait Circuit {
    /// Allocates the public inputs (in statement order), then the witness, and enforces
    /// the relation.
    fn synthesize(&self, b: &mut Builder) -> Result<(), SynthesisError>;
}

/// Any [`Circuit`] as an arkworks [`ConstraintSynthesizer`].
#[derive(Clone, Debug)]
pub struct Synthesizer<C>(pub C);

impl<C: Circuit> ConstraintSynthesizer<Fr> for Synthesizer<C> {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        self.0.synthesize(&mut Builder::constraints(cs))
    }
}

/// The blank circuit of a registered shape (for setup and matrices).
pub fn blank(shape: Shape) -> crate::Result<Box<dyn Circuit + Send + Sync>> {
    Ok(crate::kind::of(shape.kind).blank(shape))
}

impl<C: Circuit + ?Sized> Circuit for Box<C> {
    fn synthesize(&self, b: &mut Builder) -> Result<(), SynthesisError> {
        (**self).synthesize(b)
    }
}

/// The statement and witness of one `secagg-sum` proof.
#[derive(Clone, Debug)]
pub struct SecaggSumCircuit {
    /// The fixed shape (contributors x dims).
    pub shape: Shape,
    /// Public: the on-chain job id.
    pub job_id: Fr,
    /// Public: the worker's address as `uint160`.
    pub worker: Fr,
    /// Public: `commitment::inputs_anchored(inputs, anchors)`.
    pub input_commitment: Fr,
    /// Public: `commitment::output(sum)`.
    pub output_commitment: Fr,
    /// Witness: one vector per contributor.
    pub inputs: Vec<Vec<Fr>>,
    /// Witness: one share anchor per contributor (zero: none).
    pub anchors: Vec<Fr>,
}

impl SecaggSumCircuit {
    /// A circuit with zero values, for key generation.
    pub fn blank(shape: Shape) -> Self {
        Self {
            shape,
            job_id: Fr::from(0u64),
            worker: Fr::from(0u64),
            input_commitment: Fr::from(0u64),
            output_commitment: Fr::from(0u64),
            inputs: vec![vec![Fr::from(0u64); shape.dims]; shape.contributors],
            anchors: vec![Fr::from(0u64); shape.contributors],
        }
    }
}

impl Circuit for SecaggSumCircuit {
    fn synthesize(&self, b: &mut Builder) -> Result<(), SynthesisError> {
        let (n, d) = (self.shape.contributors, self.shape.dims);
        if self.inputs.len() != n
            || self.inputs.iter().any(|x| x.len() != d)
            || self.anchors.len() != n
        {
            return Err(SynthesisError::Unsatisfiable);
        }
        // Public inputs. job_id and worker need no constraint of their own: Groth16 binds
        // every public input through the verifying key's IC terms.
        let _job_id = b.input(self.job_id)?;
        let _worker = b.input(self.worker)?;
        let input_commitment = b.input(self.input_commitment)?;
        let output_commitment = b.input(self.output_commitment)?;

        let mut contributions = Vec::with_capacity(n);
        let mut sum = vec![Sig::zero(); d];
        for x in &self.inputs {
            let vars = b.witnesses(x)?;
            for (acc, v) in sum.iter_mut().zip(&vars) {
                *acc = acc.add(v);
            }
            contributions.push(commit_sig(b, Domain::Contribution, &vars)?);
        }
        for a in &self.anchors {
            contributions.push(b.witness(*a)?);
        }
        let inputs = commit_sig(b, Domain::Inputs, &contributions)?;
        b.enforce_equal(
            &inputs,
            &input_commitment,
            "the inputs do not open the input commitment",
        )?;
        let output = commit_sig(b, Domain::Output, &sum)?;
        b.enforce_equal(
            &output,
            &output_commitment,
            "the output commitment is not the commitment of the inputs' sum",
        )
    }
}

impl ConstraintSynthesizer<Fr> for SecaggSumCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        Synthesizer(self).generate_constraints(cs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{commitment, shapes::SECAGG_SUM_4X8};
    use ark_relations::gr1cs::ConstraintSystem;

    fn honest() -> SecaggSumCircuit {
        let shape = SECAGG_SUM_4X8;
        let inputs: Vec<Vec<Fr>> = (0..shape.contributors)
            .map(|i| {
                (0..shape.dims)
                    .map(|j| Fr::from((i * 100 + j) as u64))
                    .collect()
            })
            .collect();
        let sum: Vec<Fr> = (0..shape.dims)
            .map(|j| inputs.iter().map(|x| x[j]).sum())
            .collect();
        let anchors: Vec<Fr> = (0..shape.contributors as u64)
            .map(|i| Fr::from(77 + i))
            .collect();
        SecaggSumCircuit {
            shape,
            job_id: Fr::from(7u64),
            worker: Fr::from(0xabcdu64),
            input_commitment: commitment::inputs_anchored(&inputs, &anchors),
            output_commitment: commitment::output(&sum),
            inputs,
            anchors,
        }
    }

    fn satisfied(c: SecaggSumCircuit) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        c.generate_constraints(cs.clone()).expect("synthesis");
        cs.is_satisfied().expect("check")
    }

    #[test]
    fn honest_witness_satisfies() {
        assert!(satisfied(honest()));
    }

    #[test]
    fn wrong_output_commitment_is_unsatisfied() {
        let mut c = honest();
        c.output_commitment += Fr::from(1u64);
        assert!(!satisfied(c));
    }

    #[test]
    fn altered_input_is_unsatisfied() {
        let mut c = honest();
        c.inputs[2][3] += Fr::from(1u64);
        assert!(!satisfied(c));
    }

    #[test]
    fn swapped_contributors_are_unsatisfied() {
        // Same sum, but the input commitment binds each contributor's position.
        let mut c = honest();
        c.inputs.swap(0, 1);
        assert!(!satisfied(c));
    }

    #[test]
    fn anchors_are_bound_by_the_input_commitment() {
        let mut c = honest();
        c.anchors[1] += Fr::from(1u64);
        assert!(!satisfied(c));
        let mut c = honest();
        c.anchors.swap(0, 3);
        assert!(!satisfied(c));
    }

    #[test]
    fn wrong_input_commitment_is_unsatisfied() {
        let mut c = honest();
        c.input_commitment = commitment::output(&c.inputs[0]);
        assert!(!satisfied(c));
    }

    #[test]
    fn wrong_shape_is_a_synthesis_error() {
        let mut c = honest();
        c.inputs.pop();
        let cs = ConstraintSystem::<Fr>::new_ref();
        assert!(c.generate_constraints(cs).is_err());
    }
}

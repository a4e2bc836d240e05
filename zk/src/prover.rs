//! Proving and native verification.

use crate::{
    Bn254, Error, Fr, Result,
    circuit::{Circuit, SecaggSumCircuit},
    commitment, field,
    he_linear::{self, Ciphertext, HeLinearCircuit},
    keys::{CircuitKeys, ShapeKeys},
    msm::{FixedBaseTable, full_table_bytes},
    quotient::{self, QuotientDomain},
    r1cs::{Builder, Witness},
};
use arcanum_protocol::{Address, JobId, Shape};
use ark_bn254::{g1, g2};
use ark_ec::CurveGroup;
use ark_ff::{PrimeField, UniformRand};
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey, prepare_verifying_key};
use ark_snark::SNARK;
use rayon::prelude::*;

/// The public statement of a proof, the same four inputs for every job kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statement {
    /// Job id.
    pub job_id: Fr,
    /// Worker address as `uint160`.
    pub worker: Fr,
    /// Commitment to the inputs.
    pub input_commitment: Fr,
    /// Commitment to the output.
    pub output_commitment: Fr,
}

/// The statement of a `secagg-sum` proof (same layout as every kind's).
pub type SecaggSumStatement = Statement;

impl Statement {
    /// The `secagg-sum` statement that `worker`, in job `job_id`, computed `output` from
    /// `inputs`.
    pub fn new(job_id: JobId, worker: Address, inputs: &[Vec<Fr>], output: &[Fr]) -> Result<Self> {
        Ok(Self {
            job_id: field::job_id_to_fr(job_id)?,
            worker: field::address_to_fr(worker),
            input_commitment: commitment::inputs(inputs),
            output_commitment: commitment::output(output),
        })
    }

    /// The `he-linear` statement that `worker`, in job `job_id`, computed `output` as the
    /// `weights`-weighted sum of the ciphertext vectors `inputs`.
    pub fn he_linear(
        job_id: JobId,
        worker: Address,
        inputs: &[Vec<Ciphertext>],
        weights: &[i64],
        output: &[Ciphertext],
    ) -> Result<Self> {
        Ok(Self {
            job_id: field::job_id_to_fr(job_id)?,
            worker: field::address_to_fr(worker),
            input_commitment: he_linear::input_commitment(inputs, weights),
            output_commitment: he_linear::output_commitment(output),
        })
    }

    /// A statement from commitments the caller computed (see
    /// [`commitment::job_inputs`] and [`commitment::output`]).
    pub fn from_commitments(
        job_id: JobId,
        worker: Address,
        input_commitment: Fr,
        output_commitment: Fr,
    ) -> Result<Self> {
        Ok(Self {
            job_id: field::job_id_to_fr(job_id)?,
            worker: field::address_to_fr(worker),
            input_commitment,
            output_commitment,
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

fn check_shape<T>(shape: &Shape, inputs: &[Vec<T>]) -> Result<()> {
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

/// Proves any circuit under `keys` from the keys' cached matrices: the circuit runs once
/// as a bare witness computation (which also checks every relation on values, so a witness
/// that does not satisfy the statement fails here, naming the relation, before any
/// proving work), then Groth16 proves from the assignment.
pub fn prove_circuit(
    keys: &CircuitKeys,
    circuit: &impl Circuit,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<Proof<Bn254>> {
    let mut b = Builder::witness_only();
    if let Err(e) = circuit.synthesize(&mut b) {
        return Err(Error::Synthesis(
            b.unsatisfied()
                .map_or_else(|| e.to_string(), str::to_string),
        ));
    }
    let (r, s) = (Fr::rand(rng), Fr::rand(rng));
    create_proof_from_witness(keys, r, s, b.into_witness())
}

/// The proving key's bases as [`FixedBaseTable`]s: `A` and `B` over every variable, and
/// one table for `C`'s two sums (the quotient's `h_query` followed by the witness'
/// `l_query`), so a proof runs four fixed-base MSMs; and the quotient's evaluation domain.
#[derive(Clone, Debug)]
pub struct ProverTables {
    domain: QuotientDomain,
    a: FixedBaseTable<g1::Config>,
    b_g1: FixedBaseTable<g1::Config>,
    b_g2: FixedBaseTable<g2::Config>,
    c: FixedBaseTable<g1::Config>,
}

/// Most bytes of precomputed points a shape's prover tables may hold: within it a shape
/// gets the full tables (secagg-sum-16x64's take 373 MB); past it, as a shape near 2^20
/// constraints would (about 8 GB), the tables hold the bases alone and the MSMs double
/// between windows (nothing to build, memory of the proving key's size).
pub const TABLE_BUDGET_BYTES: usize = 2 << 30;

impl ProverTables {
    /// Builds the tables of `pk`'s queries: full ones within [`TABLE_BUDGET_BYTES`], the
    /// bases alone past it.
    pub fn new(pk: &ProvingKey<Bn254>) -> Self {
        let hl = [&pk.h_query[..], &pk.l_query[..]].concat();
        let full_bytes = full_table_bytes::<g1::Config>(pk.a_query.len())
            + full_table_bytes::<g1::Config>(pk.b_g1_query.len())
            + full_table_bytes::<g2::Config>(pk.b_g2_query.len())
            + full_table_bytes::<g1::Config>(hl.len());
        let stride = if full_bytes <= TABLE_BUDGET_BYTES {
            1
        } else {
            usize::MAX
        };
        let ((a, b_g1), (b_g2, c)) = rayon::join(
            || {
                rayon::join(
                    || FixedBaseTable::with_stride(&pk.a_query, stride),
                    || FixedBaseTable::with_stride(&pk.b_g1_query, stride),
                )
            },
            || {
                rayon::join(
                    || FixedBaseTable::with_stride(&pk.b_g2_query, stride),
                    || FixedBaseTable::with_stride(&hl, stride),
                )
            },
        );
        let domain = QuotientDomain::new(pk.h_query.len() + 1)
            .expect("a proving key's h_query spans a radix-2 domain of Fr");
        Self {
            domain,
            a,
            b_g1,
            b_g2,
            c,
        }
    }

    /// Whether the tables are full (else they hold the bases alone).
    pub fn is_full(&self) -> bool {
        self.a.stride() == 1
    }

    /// Bytes held by the tables.
    pub fn size_bytes(&self) -> usize {
        self.a.size_bytes() + self.b_g1.size_bytes() + self.b_g2.size_bytes() + self.c.size_bytes()
    }
}

/// Groth16's prover (the same proof arkworks' `create_proof_with_reduction_and_matrices`
/// computes for `r`, `s`), with the quotient of arkworks' libsnark reduction (see
/// [`crate::quotient`]) and every multi-scalar multiplication on the key's fixed-base
/// tables. `assignment` is the full assignment `[1, inputs.., witnesses..]`, which must
/// satisfy the circuit (else the proof does not verify).
pub fn create_proof(keys: &CircuitKeys, r: Fr, s: Fr, assignment: &[Fr]) -> Result<Proof<Bn254>> {
    let (a, b) = quotient::evaluations(&keys.matrices.abc, assignment);
    create_proof_from_witness(
        keys,
        r,
        s,
        Witness {
            assignment: assignment.to_vec(),
            a,
            b,
        },
    )
}

/// [`create_proof`] from a circuit's witness-only run, whose recorded constraint
/// evaluations spare the prover evaluating the matrices.
pub fn create_proof_from_witness(
    keys: &CircuitKeys,
    r: Fr,
    s: Fr,
    witness: Witness,
) -> Result<Proof<Bn254>> {
    let m = &keys.matrices;
    let pk = &keys.pk;
    let tables = keys.prover_tables();
    let Witness { assignment, a, b } = witness;
    if assignment.len() != m.num_instance + m.num_witness
        || a.len() != m.num_constraints
        || b.len() != m.num_constraints
    {
        return Err(Error::Synthesis(format!(
            "the witness has {} variables and {} constraints, the circuit {} and {}",
            assignment.len(),
            a.len(),
            m.num_instance + m.num_witness,
            m.num_constraints
        )));
    }
    let z: Vec<_> = assignment.par_iter().map(|x| x.into_bigint()).collect();
    // The quotient (FFTs) runs beside the MSMs that need only the assignment.
    if tables.domain.size() < m.num_constraints + m.num_instance {
        return Err(Error::Synthesis(format!(
            "the proving key's domain ({}) is smaller than the circuit ({} constraints, {} inputs)",
            tables.domain.size(),
            m.num_constraints,
            m.num_instance
        )));
    }
    let (h, (a, (b_g1, b_g2))) = rayon::join(
        || tables.domain.quotient(a, b, &assignment[..m.num_instance]),
        || {
            rayon::join(
                || tables.a.msm(&z),
                || rayon::join(|| tables.b_g1.msm(&z), || tables.b_g2.msm(&z)),
            )
        },
    );
    // C's scalars in its table's order: the quotient over h_query, then the witnesses.
    let hl: Vec<_> = h[..pk.h_query.len()]
        .par_iter()
        .map(|x| x.into_bigint())
        .chain(z[m.num_instance..].par_iter().copied())
        .collect();

    let a = a + pk.vk.alpha_g1 + pk.delta_g1 * r;
    let b_g1 = b_g1 + pk.beta_g1 + pk.delta_g1 * s;
    let b_g2 = b_g2 + pk.vk.beta_g2 + pk.vk.delta_g2 * s;
    let c = tables.c.msm(&hl) + a * s + b_g1 * r - pk.delta_g1 * (r * s);
    Ok(Proof {
        a: a.into_affine(),
        b: b_g2.into_affine(),
        c: c.into_affine(),
    })
}

/// The median seconds, over `runs` runs each, of every phase of
/// [`create_proof_from_witness`] run alone on `witness`: `quotient`, `msm_a`, `msm_b_g1`,
/// `msm_b_g2` (the one MSM in G2) and `msm_c`. For benchmarks: in a proof the quotient and
/// the `A`/`B` MSMs run side by side, so on several cores the phases add up to more than
/// the proof's wall time.
pub fn phase_seconds(
    keys: &CircuitKeys,
    witness: &Witness,
    runs: usize,
) -> Vec<(&'static str, f64)> {
    let m = &keys.matrices;
    let tables = keys.prover_tables();
    let z: Vec<_> = witness.assignment.iter().map(|x| x.into_bigint()).collect();
    let inputs = &witness.assignment[..m.num_instance];
    let quotient = || {
        tables
            .domain
            .quotient(witness.a.clone(), witness.b.clone(), inputs)
    };
    let hl: Vec<_> = quotient()[..keys.pk.h_query.len()]
        .iter()
        .map(|x| x.into_bigint())
        .chain(z[m.num_instance..].iter().copied())
        .collect();
    let median = |f: &dyn Fn()| {
        let mut t: Vec<f64> = (0..runs.max(1))
            .map(|_| {
                let start = std::time::Instant::now();
                f();
                start.elapsed().as_secs_f64()
            })
            .collect();
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let phases: [(&'static str, &dyn Fn()); 5] = [
        ("quotient", &|| {
            let _ = std::hint::black_box(quotient());
        }),
        ("msm_a", &|| {
            let _ = std::hint::black_box(tables.a.msm(&z));
        }),
        ("msm_b_g1", &|| {
            let _ = std::hint::black_box(tables.b_g1.msm(&z));
        }),
        ("msm_b_g2", &|| {
            let _ = std::hint::black_box(tables.b_g2.msm(&z));
        }),
        ("msm_c", &|| {
            let _ = std::hint::black_box(tables.c.msm(&hl));
        }),
    ];
    phases.iter().map(|(name, f)| (*name, median(*f))).collect()
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
    prove_secagg_sum_anchored(keys, statement, inputs, &[], rng)
}

/// [`prove_secagg_sum_with_rng`] for a job whose contributors anchored their pad shares
/// (`anchors`, one per input vector; missing ones are zero).
pub fn prove_secagg_sum_anchored(
    keys: &ShapeKeys,
    statement: &SecaggSumStatement,
    inputs: &[Vec<Fr>],
    anchors: &[Fr],
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<Proof<Bn254>> {
    check_shape(&keys.shape, inputs)?;
    if anchors.len() > inputs.len() {
        return Err(Error::Shape {
            shape: keys.shape.name(),
            detail: format!("{} anchors for {} inputs", anchors.len(), inputs.len()),
        });
    }
    let mut anchors = anchors.to_vec();
    anchors.resize(inputs.len(), Fr::from(0u64));
    let circuit = SecaggSumCircuit {
        shape: keys.shape,
        job_id: statement.job_id,
        worker: statement.worker,
        input_commitment: statement.input_commitment,
        output_commitment: statement.output_commitment,
        inputs: inputs.to_vec(),
        anchors,
    };
    let proof = prove_circuit(keys, &circuit, rng)?;
    // A prover never ships a proof that does not verify (e.g. a witness/statement mismatch).
    verify_prepared(keys, &statement.public_inputs(), &proof)?;
    Ok(proof)
}

/// Proves an `he-linear` statement: `output = sum_i weights[i] * inputs[i]` over
/// ciphertexts, weights in `[-255, 255]`.
pub fn prove_he_linear_with_rng(
    keys: &ShapeKeys,
    statement: &Statement,
    inputs: &[Vec<Ciphertext>],
    weights: &[i64],
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<Proof<Bn254>> {
    check_shape(&keys.shape, inputs)?;
    if let Some(w) = weights.iter().find(|w| w.abs() > he_linear::MAX_WEIGHT) {
        return Err(Error::Synthesis(format!(
            "weight {w} is outside [-{m}, {m}]; split the job or rescale the weights",
            m = he_linear::MAX_WEIGHT
        )));
    }
    let circuit = HeLinearCircuit {
        shape: keys.shape,
        job_id: statement.job_id,
        worker: statement.worker,
        input_commitment: statement.input_commitment,
        output_commitment: statement.output_commitment,
        inputs: inputs.to_vec(),
        weights: weights.to_vec(),
    };
    let proof = prove_circuit(keys, &circuit, rng)?;
    verify_prepared(keys, &statement.public_inputs(), &proof)?;
    Ok(proof)
}

/// Verifies a proof against the shape's prepared key.
pub fn verify_prepared(
    keys: &CircuitKeys,
    public_inputs: &[Fr],
    proof: &Proof<Bn254>,
) -> Result<()> {
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

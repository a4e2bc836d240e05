//! The `he-linear` circuit: `output[j] = sum_i w_i * inputs[i][j]` over exponential-ElGamal
//! ciphertexts on BabyJubJub (`ark-ed-on-bn254`, whose base field is BN254's `Fr`, so
//! point coordinates are native circuit values).
//!
//! ## Statement
//!
//! Public inputs, as for every kind: `[job_id, worker, input_commitment, output_commitment]`.
//!
//! Commitments use the rate-16 sponge ([`Sponge::Rate16`], width 17): a ciphertext is four
//! field elements, and the wider sponge absorbs them at ~38 constraints each against ~51.
//!
//! - A ciphertext `(c1, c2)` is flattened to `[c1.x, c1.y, c2.x, c2.y]` (affine);
//! - contributor `i` commits to its vector: `cc_i = commit(CONTRIBUTION, flatten(x_i))`;
//! - the job's input commitment binds the contributions **and the weights**:
//!   `commit(INPUTS, [cc_1, ..., cc_n, w_1, ..., w_n])`, a negative weight `w` entering as
//!   the field element `-|w|`;
//! - the output commitment is `commit(OUTPUT, flatten(output))`.
//!
//! ## What the circuit enforces
//!
//! - every input point is on the curve (`x^2 + y^2 = 1 + d x^2 y^2`, 3 constraints);
//! - each weight is an integer in `[-255, 255]`: 8 magnitude bits and a sign bit, booleans,
//!   with `w = (1 - 2 sign) * magnitude`, and the signed bits `(1 - 2 sign) * bit`;
//! - each output point `sum_i w_i * P_i` by Horner's rule over the bits, shared by the
//!   contributors: per bit one doubling (dedicated formula, 5 constraints) and, per
//!   contributor, `P_i`, `-P_i` or the identity selected by the (signed) bit (2 constraints)
//!   added by the complete twisted-Edwards law (6 constraints), about 64 constraints per
//!   input point plus 29 per output point;
//! - both commitments open.
//!
//! Inputs are checked on the curve, not in the prime-order subgroup (that would cost a
//! 251-bit scalar multiplication per point): the group law is still computed exactly, and
//! decryption checks subgroup membership natively.

use crate::{
    Fr,
    circuit::Circuit,
    commitment::{Domain, Sponge, commit_sig_with},
    jubjub::{PointSig, SignedBits, ciphertext_row, weighted_sum},
    kind::Kind,
    r1cs::{Builder, Sig},
};
use arcanum_protocol::Shape;
use ark_ed_on_bn254::EdwardsAffine;
use ark_ff::Zero;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// Magnitude bits of a weight: weights lie in `[-(2^8 - 1), 2^8 - 1]`.
pub const WEIGHT_BITS: usize = 8;

/// Largest weight magnitude.
pub const MAX_WEIGHT: i64 = (1 << WEIGHT_BITS) - 1;

/// The circuit proves compute's function over compute's ciphertexts.
pub use arcanum_compute::elgamal::Ciphertext;

/// A weight as the field element the input commitment absorbs.
pub fn weight_to_fr(w: i64) -> Fr {
    let m = Fr::from(w.unsigned_abs());
    if w < 0 { -m } else { m }
}

fn flatten(xs: &[Ciphertext]) -> Vec<Fr> {
    xs.iter().flat_map(Ciphertext::to_coordinates).collect()
}

/// `commit(INPUTS, [cc_1.., w_1..])` natively.
pub fn input_commitment(inputs: &[Vec<Ciphertext>], weights: &[i64]) -> Fr {
    let flat: Vec<Vec<Fr>> = inputs.iter().map(|x| flatten(x)).collect();
    crate::kind::HeLinear.input_commitment(&flat, weights)
}

/// `commit(OUTPUT, flatten(output))` natively.
pub fn output_commitment(output: &[Ciphertext]) -> Fr {
    crate::kind::HeLinear.output_commitment(&flatten(output))
}

/// The statement and witness of one `he-linear` proof.
#[derive(Clone, Debug)]
pub struct HeLinearCircuit {
    /// The fixed shape (contributors x dims).
    pub shape: Shape,
    /// Public: the on-chain job id.
    pub job_id: Fr,
    /// Public: the worker's address as `uint160`.
    pub worker: Fr,
    /// Public: [`input_commitment`].
    pub input_commitment: Fr,
    /// Public: [`output_commitment`].
    pub output_commitment: Fr,
    /// Witness: one ciphertext vector per contributor.
    pub inputs: Vec<Vec<Ciphertext>>,
    /// Witness (bound by the input commitment): one weight per contributor.
    pub weights: Vec<i64>,
}

impl HeLinearCircuit {
    /// A circuit with identity ciphertexts and unit weights, for key generation.
    pub fn blank(shape: Shape) -> Self {
        let identity = Ciphertext {
            c1: EdwardsAffine::zero(),
            c2: EdwardsAffine::zero(),
        };
        Self {
            shape,
            job_id: Fr::zero(),
            worker: Fr::zero(),
            input_commitment: Fr::zero(),
            output_commitment: Fr::zero(),
            inputs: vec![vec![identity; shape.dims]; shape.contributors],
            weights: vec![1; shape.contributors],
        }
    }
}

impl Circuit for HeLinearCircuit {
    fn synthesize(&self, b: &mut Builder) -> Result<(), SynthesisError> {
        let (n, d) = (self.shape.contributors, self.shape.dims);
        if self.inputs.len() != n
            || self.weights.len() != n
            || self.inputs.iter().any(|x| x.len() != d)
        {
            return Err(SynthesisError::Unsatisfiable);
        }
        let _job_id = b.input(self.job_id)?;
        let _worker = b.input(self.worker)?;
        let input_commitment = b.input(self.input_commitment)?;
        let output_commitment = b.input(self.output_commitment)?;

        let mut contributions = Vec::with_capacity(2 * n);
        let mut committed_weights = Vec::with_capacity(n);
        let mut weights = Vec::with_capacity(n);
        let mut points = Vec::with_capacity(n);
        for (x, w) in self.inputs.iter().zip(&self.weights) {
            let committed = b.witness(weight_to_fr(*w))?;
            weights.push(SignedBits::new(
                b,
                *w,
                &committed,
                WEIGHT_BITS,
                "a weight is outside [-255, 255] or differs from the committed weight",
            )?);
            committed_weights.push(committed);
            let (row, commitment) = ciphertext_row(b, x)?;
            contributions.push(commitment);
            points.push(row);
        }
        contributions.extend(committed_weights);
        let inputs = commit_sig_with(b, Sponge::Rate16, Domain::Inputs, &contributions)?;
        b.enforce_equal(
            &inputs,
            &input_commitment,
            "the ciphertexts and weights do not open the input commitment",
        )?;
        let mut sums = Vec::with_capacity(d);
        for j in 0..d {
            let c1: Vec<&PointSig> = points.iter().map(|row| &row[j].0).collect();
            let c2: Vec<&PointSig> = points.iter().map(|row| &row[j].1).collect();
            sums.push((
                weighted_sum(&weights, &c1, b)?,
                weighted_sum(&weights, &c2, b)?,
            ));
        }
        let out: Vec<Sig> = sums
            .into_iter()
            .flat_map(|(s1, s2)| [s1.x, s1.y, s2.x, s2.y])
            .collect();
        let output = commit_sig_with(b, Sponge::Rate16, Domain::Output, &out)?;
        b.enforce_equal(
            &output,
            &output_commitment,
            "the output commitment is not the commitment of the weighted sum",
        )
    }
}

impl ConstraintSynthesizer<Fr> for HeLinearCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        crate::circuit::Synthesizer(self).generate_constraints(cs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arcanum_protocol::{JobKind, ShapeId};
    use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
    use ark_ed_on_bn254::EdwardsProjective;
    use ark_ff::One;
    use ark_ff::UniformRand;
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// Compute's function, which the circuit proves.
    fn evaluate(inputs: &[Vec<Ciphertext>], weights: &[i64]) -> Vec<Ciphertext> {
        arcanum_compute::elgamal::he_linear(inputs, weights).expect("he-linear")
    }

    const SHAPE: Shape = Shape {
        id: ShapeId(900),
        kind: JobKind::HeLinear,
        contributors: 3,
        dims: 2,
    };

    fn encrypt(m: u64, h: EdwardsProjective, rng: &mut ChaCha20Rng) -> Ciphertext {
        let g = EdwardsProjective::generator();
        let r = ark_ed_on_bn254::Fr::rand(rng);
        Ciphertext {
            c1: (g * r).into_affine(),
            c2: (g * ark_ed_on_bn254::Fr::from(m) + h * r).into_affine(),
        }
    }

    fn honest(weights: Vec<i64>) -> HeLinearCircuit {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let h = EdwardsProjective::generator() * ark_ed_on_bn254::Fr::rand(&mut rng);
        let inputs: Vec<Vec<Ciphertext>> = (0..SHAPE.contributors as u64)
            .map(|i| {
                (0..SHAPE.dims as u64)
                    .map(|j| encrypt(10 * i + j, h, &mut rng))
                    .collect()
            })
            .collect();
        let output = evaluate(&inputs, &weights);
        HeLinearCircuit {
            shape: SHAPE,
            job_id: Fr::from(5u64),
            worker: Fr::from(0xbeefu64),
            input_commitment: input_commitment(&inputs, &weights),
            output_commitment: output_commitment(&output),
            inputs,
            weights,
        }
    }

    fn satisfied(c: &HeLinearCircuit) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        c.synthesize(&mut Builder::constraints(cs.clone()))
            .expect("synthesis");
        let ok = cs.is_satisfied().expect("check");
        // The witness-only back end must agree.
        assert_eq!(c.synthesize(&mut Builder::witness_only()).is_ok(), ok);
        ok
    }

    #[test]
    fn honest_weighted_sums_satisfy() {
        assert!(satisfied(&honest(vec![1, 1, 1])));
        assert!(satisfied(&honest(vec![3, -2, 255])));
        assert!(satisfied(&honest(vec![0, -255, 7])));
    }

    #[test]
    fn weighted_sum_decrypts_to_the_weighted_plaintext_sum() {
        // Decrypt with the secret key to check `evaluate` is the homomorphic function.
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let sk = ark_ed_on_bn254::Fr::rand(&mut rng);
        let g = EdwardsProjective::generator();
        let h = g * sk;
        let inputs = vec![vec![encrypt(5, h, &mut rng)], vec![encrypt(7, h, &mut rng)]];
        let out = evaluate(&inputs, &[3, -2]);
        let m = out[0].c2.into_group() - out[0].c1 * sk;
        assert_eq!(m, g * ark_ed_on_bn254::Fr::from(1u64), "3*5 - 2*7 = 1");
    }

    #[test]
    fn wrong_output_is_unsatisfied() {
        let mut c = honest(vec![1, 2, 3]);
        let wrong = evaluate(&c.inputs, &[1, 2, 4]);
        c.output_commitment = output_commitment(&wrong);
        assert!(!satisfied(&c));
    }

    #[test]
    fn altered_or_swapped_inputs_are_unsatisfied() {
        let mut c = honest(vec![1, 1, 1]);
        c.inputs.swap(0, 2);
        assert!(!satisfied(&c), "swapped contributors");
        let mut c = honest(vec![1, 1, 1]);
        let g = EdwardsProjective::generator();
        c.inputs[1][0].c2 = (c.inputs[1][0].c2 + g).into_affine();
        assert!(!satisfied(&c), "altered ciphertext");
    }

    #[test]
    fn weights_are_bound_and_range_checked() {
        let mut c = honest(vec![2, 2, 2]);
        c.weights[0] = 3;
        assert!(!satisfied(&c), "weight differs from the committed one");

        // A commitment to an out-of-range weight cannot be satisfied either.
        let mut c = honest(vec![1, 1, 1]);
        c.weights[1] = 256;
        c.input_commitment = input_commitment(&c.inputs, &c.weights);
        c.output_commitment = output_commitment(&evaluate(&c.inputs, &c.weights));
        assert!(!satisfied(&c));
    }

    #[test]
    fn ciphertext_off_the_curve_is_unsatisfied() {
        let mut c = honest(vec![1, 1, 1]);
        let mut p = c.inputs[0][1].c1;
        p.y += Fr::one();
        c.inputs[0][1].c1 = p;
        // Commitments recomputed over the bad point: only the curve check can catch it.
        c.input_commitment = input_commitment(&c.inputs, &c.weights);
        let cs = ConstraintSystem::<Fr>::new_ref();
        c.synthesize(&mut Builder::constraints(cs.clone()))
            .expect("synthesis");
        assert!(!cs.is_satisfied().expect("check"));
        let mut w = Builder::witness_only();
        assert!(c.synthesize(&mut w).is_err());
        assert_eq!(
            w.unsatisfied(),
            Some("a ciphertext point is not on BabyJubJub")
        );
    }

    /// Pins the layout: two contributors with one ciphertext each, `(G, 2G)` and
    /// `(3G, 4G)` (G the prime-order generator), weights `[1, -2]`. If the layout changes,
    /// this vector changes and contributors, workers and docs must change with it.
    #[test]
    fn test_vector() {
        let g = EdwardsProjective::generator();
        let p = |k: u64| (g * ark_ed_on_bn254::Fr::from(k)).into_affine();
        let inputs = vec![
            vec![Ciphertext { c1: p(1), c2: p(2) }],
            vec![Ciphertext { c1: p(3), c2: p(4) }],
        ];
        let weights = [1, -2];
        let output = evaluate(&inputs, &weights);
        // (G - 6G, 2G - 8G) = (-5G, -6G)
        assert_eq!(
            output[0].c1,
            (g * -ark_ed_on_bn254::Fr::from(5u64)).into_affine()
        );
        let got = format!(
            "{}\n{}",
            crate::field::fr_to_u256(input_commitment(&inputs, &weights)),
            crate::field::fr_to_u256(output_commitment(&output))
        );
        assert_eq!(got, include_str!("../testdata/he_linear_2x1.txt").trim());
    }

    #[test]
    fn constraint_budget() {
        for shape in [
            SHAPE,
            Shape {
                contributors: 4,
                dims: 8,
                ..SHAPE
            },
        ] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            HeLinearCircuit::blank(shape)
                .synthesize(&mut Builder::constraints(cs.clone()))
                .expect("synthesis");
            let (n, d) = (shape.contributors, shape.dims);
            // Per input ciphertext: curve checks 2 x 3 and Horner's selected additions
            // 2 x 8 x 8; per output ciphertext 2 x 7 doublings of 5, less the 2 x 6 of the
            // first additions (onto the identity); per contributor: 9 boolean bits, the
            // weight relation and 8 signed bits; the rate-16 Poseidon at 612 constraints
            // per permutation; 2 commitment equalities.
            let perms = n * (4 * d).div_ceil(16) + (2 * n).div_ceil(16) + (4 * d).div_ceil(16);
            let bound = n * d * 134 + d * 58 + perms * 612 + 18 * n + 2;
            let got = cs.num_constraints();
            // Below the bound only by S-boxes of constant lanes (a commitment's first round).
            assert!(got <= bound && got * 100 >= bound * 95, "{got} vs {bound}");
        }
    }
}

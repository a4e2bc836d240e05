//! The finalize circuit of an `he-linear` feed: its value is exactly the feed's statistic
//! of the threshold decryption of the job's proven ciphertext sum, decrypted with shares
//! that committee members proved ([`super::decrypt`]) under the keys the data owners
//! anchored.
//!
//! Public inputs, in order: `binding` (the request and the fulfilling node,
//! [`super::finalize::binding`]), `input_commitment` (the job's, read from the market),
//! `params` (the feed's [`Statistic`]), `value`, the members' indices `x_1..x_t`, their
//! share commitments `d_1..d_t`, the owners' anchors `a_1..a_n` (zero: an absent slot),
//! `query_tag` (the feed's), `key_digest` and `sum_digest`.
//!
//! The relation:
//! - the ciphertext vectors open `input_commitment` with unit weights (the job's plain sum,
//!   which its worker proved), every point on the curve;
//! - `key_digest` holds the shape's threshold; each non-zero anchor is
//!   `commit(ANCHOR, [query_tag, c_i, key_digest])` of its slot's vector `c_i`, and a zero
//!   anchor's slot is the padding (identity ciphertexts);
//! - `sum_digest` holds the first components of the selected sums `C_num`, `C_den` (the
//!   statistic's elements; the identity for a constant denominator), and each `d_k`
//!   opens to two points `D_k`;
//! - the indices are distinct (each `prod_{j != k} (x_j - x_k)` is invertible; each member's
//!   proof puts its index in `1..=5`), and
//!   `c_k prod_{j != k} (x_j - x_k) = Δ prod_{j != k} x_j` for signed 12-bit `c_k`; for each
//!   sum `8 Σ c_k D_k = 8 Δ (C2 - m G)` with `|m| < 2^40`;
//! - `value = round(m_num 10^decimals / den)` as for `secagg-sum` feeds.

use super::{
    OracleShape,
    decrypt::{
        LAGRANGE_BITS, MAX_MEMBERS, PLAIN_BITS, delta, key_digest_sig, lagrange_integers,
        points_commitment, selected, share_commitment, sum_digest,
    },
    finalize::{Statistic, StatisticSig, value_to_fr},
};
use crate::{
    Bn254, Error, Fr, Result,
    circuit::Circuit,
    commitment::{Domain, Sponge, commit_sig, commit_sig_with, commit_with},
    jubjub::{PointSig, SignedBits, ciphertext_row, weighted_sum},
    keys::CircuitKeys,
    prover,
    r1cs::{Builder, Sig},
};
use arcanum_compute::elgamal::Ciphertext;
use ark_ec::{AffineRepr, PrimeGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective, Fr as Scalar};
use ark_ff::{Field, One, Zero};
use ark_groth16::Proof;
use ark_relations::gr1cs::SynthesisError;

/// The public statement of an `he-linear` finalize proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalizeHeStatement {
    /// The request and the fulfilling node.
    pub binding: Fr,
    /// The job's input commitment (ciphertext vectors, unit weights).
    pub input_commitment: Fr,
    /// The feed's statistic.
    pub statistic: Statistic,
    /// The value.
    pub value: i128,
    /// The members' indices.
    pub indices: Vec<u64>,
    /// Their share commitments, in the same order.
    pub share_commitments: Vec<Fr>,
    /// The owners' anchors, one per contributor position (zero: absent).
    pub anchors: Vec<Fr>,
    /// The feed's query tag.
    pub query_tag: Fr,
    /// The committee's key digest.
    pub key_digest: Fr,
    /// The selected sums' digest.
    pub sum_digest: Fr,
}

impl FinalizeHeStatement {
    /// Public inputs in circuit order.
    pub fn public_inputs(&self) -> Vec<Fr> {
        let mut v = vec![
            self.binding,
            self.input_commitment,
            Fr::from(self.statistic.params()),
            value_to_fr(self.value),
        ];
        v.extend(self.indices.iter().map(|x| Fr::from(*x)));
        v.extend(self.share_commitments.iter().copied());
        v.extend(self.anchors.iter().copied());
        v.extend([self.query_tag, self.key_digest, self.sum_digest]);
        v
    }
}

/// The circuit and its witness.
#[derive(Clone, Debug)]
pub struct FinalizeHeCircuit {
    /// The oracle shape.
    pub shape: OracleShape,
    /// The statement.
    pub statement: FinalizeHeStatement,
    /// The job's ciphertext vectors, one per contributor position (padding: identities).
    pub inputs: Vec<Vec<Ciphertext>>,
    /// The committee's verification keys, by index from 1.
    pub keys: Vec<EdwardsAffine>,
    /// Each member's shares `[x C1_num, x C1_den]`, in the statement's order.
    pub shares: Vec<[EdwardsAffine; 2]>,
    /// The decrypted selected sums `[m_num, m_den]` (`m_den` zero for a constant
    /// denominator).
    pub plain: [i64; 2],
}

/// The commitment of an absent slot of `dims` elements (identity ciphertexts).
fn padding(dims: usize) -> Fr {
    let flat: Vec<Fr> = (0..dims)
        .flat_map(|_| Ciphertext::zero().to_coordinates())
        .collect();
    commit_with(Sponge::Rate16, Domain::Contribution, &flat)
}

/// `8 Σ c_k D_k == 8 Δ (C2 - m G)` natively.
fn decrypts_to(c2: &EdwardsAffine, m: i64, coefficients: &[i64], shares: &[EdwardsAffine]) -> bool {
    let scalar = |v: i64| {
        let s = Scalar::from(v.unsigned_abs());
        if v < 0 { -s } else { s }
    };
    let lhs: EdwardsProjective = coefficients
        .iter()
        .zip(shares)
        .map(|(c, d)| *d * scalar(*c))
        .sum();
    let g = EdwardsProjective::generator();
    let rhs = (c2.into_group() - g * scalar(m)) * Scalar::from(delta());
    lhs * Scalar::from(8u64) == rhs * Scalar::from(8u64)
}

impl FinalizeHeCircuit {
    /// A blank circuit for key setup.
    pub fn blank(shape: OracleShape) -> Self {
        let (t, n, d) = (shape.threshold, shape.job.contributors, shape.job.dims);
        let id = EdwardsAffine::zero();
        Self {
            shape,
            statement: FinalizeHeStatement {
                binding: Fr::zero(),
                input_commitment: Fr::zero(),
                statistic: Statistic {
                    num: 0,
                    den: super::finalize::DEN_SCALE,
                    decimals: 0,
                    scale_bits: 0,
                },
                value: 0,
                indices: (1..=t as u64).collect(),
                share_commitments: vec![Fr::zero(); t],
                anchors: vec![Fr::zero(); n],
                query_tag: Fr::zero(),
                key_digest: Fr::zero(),
                sum_digest: Fr::zero(),
            },
            inputs: vec![vec![Ciphertext::zero(); d]; n],
            keys: vec![EdwardsAffine::generator(); MAX_MEMBERS],
            shares: vec![[id; 2]; t],
            plain: [0, 0],
        }
    }

    /// The honest statement and circuit: `inputs` (padded to the shape), the committee's
    /// `keys`, the members `indices` with their `shares` of the selected sums, the
    /// owners' `anchors`, and the selected sums' plaintexts `plain` (checked against the
    /// shares). The value is computed.
    #[allow(clippy::too_many_arguments)]
    pub fn honest(
        shape: OracleShape,
        binding: Fr,
        query_tag: Fr,
        statistic: Statistic,
        inputs: &[Vec<Ciphertext>],
        keys: &[EdwardsAffine],
        indices: &[u64],
        shares: &[[EdwardsAffine; 2]],
        anchors: &[Fr],
        plain: [i64; 2],
    ) -> Result<Self> {
        let d = shape.job.dims;
        let sum = arcanum_compute::elgamal::he_linear(inputs, &vec![1; inputs.len()])
            .map_err(|e| Error::Synthesis(e.to_string()))?;
        let sel = selected(&sum, statistic)?;
        let coefficients = lagrange_integers(indices)?;
        for (col, c) in sel.iter().enumerate() {
            let ds: Vec<EdwardsAffine> = shares.iter().map(|s| s[col]).collect();
            if !decrypts_to(&c.c2, plain[col], &coefficients, &ds) {
                return Err(Error::Synthesis(format!(
                    "the shares do not decrypt element {col} of the statistic to {}",
                    plain[col]
                )));
            }
        }
        let mut aggregate = vec![Fr::zero(); d];
        if statistic.den != super::finalize::DEN_SCALE {
            aggregate[usize::from(statistic.den)] = value_to_fr(plain[1].into());
        }
        aggregate[usize::from(statistic.num)] = value_to_fr(plain[0].into());
        let value = statistic.value(&aggregate)?;
        let flat: Vec<Vec<Fr>> = inputs
            .iter()
            .map(|x| x.iter().flat_map(Ciphertext::to_coordinates).collect())
            .collect();
        let input_commitment = crate::kind::of(arcanum_protocol::JobKind::HeLinear)
            .input_commitment(&flat, &vec![1; inputs.len()]);
        Ok(Self {
            shape,
            statement: FinalizeHeStatement {
                binding,
                input_commitment,
                statistic,
                value,
                indices: indices.to_vec(),
                share_commitments: shares.iter().map(share_commitment).collect(),
                anchors: anchors.to_vec(),
                query_tag,
                key_digest: super::decrypt::key_digest(shape.threshold as u32, keys)?,
                sum_digest: sum_digest(&[sel[0].c1, sel[1].c1]),
            },
            inputs: inputs.to_vec(),
            keys: keys.to_vec(),
            shares: shares.to_vec(),
            plain,
        })
    }
}

/// `z = [x == 0]`: 2 constraints.
fn is_zero(b: &mut Builder, x: &Sig) -> Result<Sig, SynthesisError> {
    let v = x.value();
    let inv = b.witness(v.inverse().unwrap_or_else(Fr::zero))?;
    let z = b.witness(if v.is_zero() { Fr::one() } else { Fr::zero() })?;
    b.enforce(x, &inv, &Sig::constant(Fr::one()).sub(&z), "is-zero")?;
    b.enforce(x, &z, &Sig::zero(), "is-zero")?;
    Ok(z)
}

impl Circuit for FinalizeHeCircuit {
    fn synthesize(&self, b: &mut Builder) -> Result<(), SynthesisError> {
        let (n, d, t) = (
            self.shape.job.contributors,
            self.shape.job.dims,
            self.shape.threshold,
        );
        let st = &self.statement;
        if self.inputs.len() != n
            || self.inputs.iter().any(|x| x.len() != d)
            || st.anchors.len() != n
            || self.shares.len() != t
            || st.indices.len() != t
            || st.share_commitments.len() != t
        {
            return Err(SynthesisError::Unsatisfiable);
        }
        let _binding = b.input(st.binding)?;
        let input_commitment = b.input(st.input_commitment)?;
        let params = b.input(Fr::from(st.statistic.params()))?;
        let value = b.input(value_to_fr(st.value))?;
        let xs = st
            .indices
            .iter()
            .map(|x| b.input(Fr::from(*x)))
            .collect::<Result<Vec<_>, _>>()?;
        let dcs = b.inputs(&st.share_commitments)?;
        let anchors = b.inputs(&st.anchors)?;
        let tag = b.input(st.query_tag)?;
        let key_digest = b.input(st.key_digest)?;
        let sum_digest = b.input(st.sum_digest)?;

        // The ciphertexts open the input commitment with unit weights.
        let mut contributions = Vec::with_capacity(2 * n);
        let mut rows = Vec::with_capacity(n);
        for x in &self.inputs {
            let (row, commitment) = ciphertext_row(b, x)?;
            contributions.push(commitment);
            rows.push(row);
        }
        let ccs = contributions.clone();
        contributions.extend((0..n).map(|_| Sig::constant(Fr::one())));
        let ic = commit_sig_with(b, Sponge::Rate16, Domain::Inputs, &contributions)?;
        b.enforce_equal(
            &ic,
            &input_commitment,
            "the ciphertexts do not open the job's input commitment with unit weights",
        )?;

        // The key digest holds this shape's threshold; the anchors bind it.
        let threshold = Sig::constant(Fr::from(t as u64));
        let (k, _) = key_digest_sig(b, &threshold, &self.keys)?;
        b.enforce_equal(
            &k,
            &key_digest,
            "the key digest is not of a committee at the shape's threshold",
        )?;
        let pad = padding(d);
        for (cc, a) in ccs.iter().zip(&anchors) {
            let z = is_zero(b, a)?;
            let anchor = commit_sig(
                b,
                Domain::Anchor,
                &[tag.clone(), cc.clone(), key_digest.clone()],
            )?;
            b.enforce(
                &Sig::constant(Fr::one()).sub(&z),
                &anchor.sub(a),
                &Sig::zero(),
                "an anchor is not its slot's over the query and the key digest",
            )?;
            b.enforce(
                &z,
                &cc.add_constant(-pad),
                &Sig::zero(),
                "a slot without an anchor is not the padding",
            )?;
        }

        // The sums of the statistic's elements.
        let stat = StatisticSig::new(b, st.statistic, &params, d)?;
        let mut s1 = Vec::with_capacity(d + 1);
        let mut s2 = Vec::with_capacity(d + 1);
        for j in 0..d {
            let (mut a1, mut a2) = (rows[0][j].0.clone(), rows[0][j].1.clone());
            for row in &rows[1..] {
                a1 = a1.add(&row[j].0, b)?;
                a2 = a2.add(&row[j].1, b)?;
            }
            s1.push(a1);
            s2.push(a2);
        }
        let c1_num = PointSig::choose(&s1, &stat.num, b)?;
        let c2_num = PointSig::choose(&s2, &stat.num, b)?;
        s1.push(PointSig::identity());
        s2.push(PointSig::identity());
        let c1_den = PointSig::choose(&s1, &stat.den, b)?;
        let c2_den = PointSig::choose(&s2, &stat.den, b)?;
        let s = points_commitment(b, Domain::DecryptSum, &[&c1_num, &c1_den])?;
        b.enforce_equal(
            &s,
            &sum_digest,
            "the sum digest is not of the statistic's sums",
        )?;

        // The members' shares open their commitments.
        let mut shares = Vec::with_capacity(t);
        for (pair, dc) in self.shares.iter().zip(&dcs) {
            let p = [
                PointSig::witness(b, &pair[0])?,
                PointSig::witness(b, &pair[1])?,
            ];
            let c = points_commitment(b, Domain::Decryption, &[&p[0], &p[1]])?;
            b.enforce_equal(&c, dc, "a member's shares do not open its commitment")?;
            shares.push(p);
        }

        // Integer Lagrange coefficients at zero: c_k prod (x_j - x_k) = Δ prod x_j.
        let native = lagrange_integers(&st.indices).unwrap_or_else(|_| vec![0; t]);
        let mut coefficients = Vec::with_capacity(t);
        for k in 0..t {
            let c = b.witness(value_to_fr(native[k].into()))?;
            coefficients.push(SignedBits::new(
                b,
                native[k],
                &c,
                LAGRANGE_BITS,
                "a Lagrange coefficient is out of range",
            )?);
            let (mut num, mut den) = (Sig::constant(Fr::from(delta())), Sig::constant(Fr::one()));
            for j in (0..t).filter(|j| *j != k) {
                num = b.mul(&num, &xs[j])?;
                den = b.mul(&den, &xs[j].sub(&xs[k]))?;
            }
            let inv = b.witness(den.value().inverse().unwrap_or_else(Fr::zero))?;
            b.enforce(
                &den,
                &inv,
                &Sig::constant(Fr::one()),
                "the member indices are not distinct",
            )?;
            b.enforce(&c, &den, &num, "a Lagrange coefficient is not the indices'")?;
        }

        // 8 Σ c_k D_k = 8 Δ (C2 - m G) for each sum.
        let mut plain = Vec::with_capacity(2);
        for (col, c2) in [c2_num, c2_den].iter().enumerate() {
            let ds: Vec<&PointSig> = shares.iter().map(|p| &p[col]).collect();
            let combined = weighted_sum(&coefficients, &ds, b)?
                .double(b)?
                .double(b)?
                .double(b)?;
            let m = b.witness(value_to_fr(self.plain[col].into()))?;
            let bits = SignedBits::new(
                b,
                self.plain[col],
                &m,
                PLAIN_BITS,
                "a decrypted sum is out of range",
            )?;
            let lsb: Vec<Sig> = bits.bits_msb_first.iter().rev().cloned().collect();
            let mg = PointSig::fixed_base(EdwardsProjective::generator(), &lsb, b)?;
            let minus_mg = mg.negate_if(&Sig::constant(Fr::one()).sub(&bits.negative), b)?;
            let rhs = c2.add(&minus_mg, b)?.times(8 * delta(), b)?;
            combined.enforce_equal(
                &rhs,
                b,
                "the value is not the decryption of the sum with the members' shares",
            )?;
            plain.push(m);
        }

        let den = stat.denominator(b, &plain[1])?;
        stat.enforce_value(b, &plain[0], &den, &value)
    }
}

/// Proves the finalize statement of `circuit` under `keys` (the shape's he-linear
/// finalize circuit's).
pub fn prove(
    keys: &CircuitKeys,
    circuit: &FinalizeHeCircuit,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<Proof<Bn254>> {
    let proof = prover::prove_circuit(keys, circuit, rng)?;
    prover::verify_prepared(keys, &circuit.statement.public_inputs(), &proof)?;
    Ok(proof)
}

//! Verifiable threshold decryption for `he-linear` feeds: each key-committee member proves
//! its decryption shares of the two ciphertext sums a feed's statistic reads.
//!
//! ## What binds what
//!
//! - **The committee's keys.** A DKG gives member `j` the share `x_j` and publishes its
//!   verification key `X_j = x_j G`. The committee's *key digest* is
//!   `commit(KEYS, [t, X_1.x, X_1.y, .., X_M.x, X_M.y])` (`M` = [`MAX_MEMBERS`], missing
//!   members `(0, 0)`, which is no curve point). A data owner checks the DKG transcript
//!   before encrypting, so it anchors this digest:
//!   `a_i = commit(ANCHOR, [query_tag, c_i, key_digest])` (three elements; a `secagg-sum`
//!   anchor has seven) and, for a data-oracle request, signs `a_i`.
//! - **The sums.** The finalize proof ([`super::finalize_he`]) opens the job's input
//!   commitment, sums the ciphertexts of the numerator's and the denominator's elements
//!   and publishes their first components as the *sum digest*
//!   `commit(DECRYPT_SUM, [C1_num, C1_den])`.
//! - **Each member's shares** ([`DecryptShareCircuit`]): public `[sum_digest, key_digest,
//!   index, commitment]`; it knows `x` with `x G = X_index` (from the key digest) and
//!   `commitment = commit(DECRYPTION, [x C1_num, x C1_den])`. No Chaum-Pedersen proof is
//!   needed: the member proves its shares directly (9,870 constraints).
//! - **Combining** needs no scalar of the curve's field in the circuit: with
//!   `Δ = M!`, the integer Lagrange coefficients `c_k = Δ λ_k` at zero are small
//!   ([`lagrange_integers`]), and `8 Σ c_k D_k = 8 Δ (C2 - m G)` holds exactly for the
//!   plaintext `m` (the factor 8 clears the cofactor: ciphertext points are only checked
//!   on the curve).

use super::OracleShape;
use crate::{
    Bn254, Error, Fr, Result,
    circuit::Circuit,
    commitment::{self, Domain, commit_sig},
    jubjub::PointSig,
    keys::CircuitKeys,
    prover,
    r1cs::{Builder, Sig},
};
use arcanum_compute::elgamal::Ciphertext;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective, Fr as Scalar};
use ark_ff::{BigInteger, One, PrimeField, Zero};
use ark_groth16::Proof;
use ark_relations::gr1cs::SynthesisError;

/// Members whose verification keys a key digest holds.
pub const MAX_MEMBERS: usize = 5;
/// Bits of an integer Lagrange coefficient's magnitude.
/// (The largest for distinct indices in `1..=5` is 2,400, at `{2, 3, 4, 5}`.)
pub const LAGRANGE_BITS: usize = 12;
/// Bits of a decrypted sum's magnitude: `|m| < 2^40` (owners keep sums below `2^32`, the
/// range a requester decrypts).
pub const PLAIN_BITS: usize = 40;
/// Bits of a member's secret share (BabyJubJub's scalar field).
const SECRET_BITS: usize = Scalar::MODULUS_BIT_SIZE as usize;

/// `Δ = M!` for committees of at most `M` = [`MAX_MEMBERS`] members: `Δ λ_k` is an
/// integer for indices in `1..=M`.
pub fn delta() -> u64 {
    (1..=MAX_MEMBERS as u64).product()
}

fn coordinates(p: &EdwardsAffine) -> [Fr; 2] {
    [p.x, p.y]
}

/// The key digest of a committee of threshold `t` and verification keys `X_1..X_n`.
pub fn key_digest(threshold: u32, keys: &[EdwardsAffine]) -> Result<Fr> {
    if keys.len() > MAX_MEMBERS {
        return Err(Error::Synthesis(format!(
            "{} committee members, at most {MAX_MEMBERS} in an oracle feed",
            keys.len()
        )));
    }
    let mut xs = vec![Fr::from(u64::from(threshold))];
    xs.extend(keys.iter().flat_map(coordinates));
    xs.resize(1 + 2 * MAX_MEMBERS, Fr::zero());
    Ok(commitment::commit(Domain::Keys, &xs))
}

/// The sum digest of the first components of the two selected ciphertext sums.
pub fn sum_digest(c1: &[EdwardsAffine; 2]) -> Fr {
    let xs: Vec<Fr> = c1.iter().flat_map(coordinates).collect();
    commitment::commit(Domain::DecryptSum, &xs)
}

/// A member's commitment to its decryption shares `[x C1_num, x C1_den]`.
pub fn share_commitment(d: &[EdwardsAffine; 2]) -> Fr {
    let xs: Vec<Fr> = d.iter().flat_map(coordinates).collect();
    commitment::commit(Domain::Decryption, &xs)
}

/// An owner's ciphertext vector's commitment as the `he-linear` kind computes it, the
/// vector padded to `width` elements with identity ciphertexts (the job's padding).
pub fn contribution(cts: &[Ciphertext], width: usize) -> Fr {
    let mut flat: Vec<Fr> = cts.iter().flat_map(Ciphertext::to_coordinates).collect();
    for _ in cts.len()..width {
        flat.extend(Ciphertext::zero().to_coordinates());
    }
    commitment::commit_with(commitment::Sponge::Rate16, Domain::Contribution, &flat)
}

/// A data owner's anchor for an `he-linear` job: the query it answered, its ciphertext
/// vector's commitment `contribution` and the key digest it encrypted under.
pub fn anchor(query_tag: Fr, contribution: Fr, key_digest: Fr) -> Fr {
    commitment::commit(Domain::Anchor, &[query_tag, contribution, key_digest])
}

/// The integer Lagrange coefficients at zero `c_k = Δ prod_{j != k} x_j / (x_j - x_k)`
/// over distinct `indices` in `1..=MAX_MEMBERS`.
pub fn lagrange_integers(indices: &[u64]) -> Result<Vec<i64>> {
    let bad = || Error::Synthesis(format!("member indices {indices:?}"));
    let max = MAX_MEMBERS as u64;
    if indices.iter().any(|x| *x == 0 || *x > max)
        || (1..indices.len()).any(|i| indices[..i].contains(&indices[i]))
    {
        return Err(bad());
    }
    indices
        .iter()
        .map(|&k| {
            let (mut num, mut den) = (delta() as i128, 1i128);
            for &j in indices.iter().filter(|j| **j != k) {
                num *= j as i128;
                den *= j as i128 - k as i128;
            }
            if num % den != 0 {
                return Err(bad());
            }
            i64::try_from(num / den).map_err(|_| bad())
        })
        .collect()
}

/// The two ciphertexts a statistic reads from the sum `sum` (one per element): the
/// numerator's element and the denominator's, or the identity for a constant scale.
pub fn selected(
    sum: &[Ciphertext],
    statistic: super::finalize::Statistic,
) -> Result<[Ciphertext; 2]> {
    let at = |i: u8| {
        sum.get(usize::from(i))
            .copied()
            .ok_or_else(|| Error::Synthesis(format!("no element {i} in a sum of {}", sum.len())))
    };
    let den = if statistic.den == super::finalize::DEN_SCALE {
        Ciphertext::zero()
    } else {
        at(statistic.den)?
    };
    Ok([at(statistic.num)?, den])
}

/// The public statement of a member's decryption-share proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecryptShareStatement {
    /// The sum digest ([`sum_digest`]).
    pub sum_digest: Fr,
    /// The committee's key digest ([`key_digest`]).
    pub key_digest: Fr,
    /// The member's index (`1..=MAX_MEMBERS`).
    pub index: u64,
    /// Its share commitment ([`share_commitment`]).
    pub commitment: Fr,
}

impl DecryptShareStatement {
    /// Public inputs in circuit order.
    pub fn public_inputs(&self) -> Vec<Fr> {
        vec![
            self.sum_digest,
            self.key_digest,
            Fr::from(self.index),
            self.commitment,
        ]
    }
}

/// A member's decryption-share circuit and its witness.
#[derive(Clone, Debug)]
pub struct DecryptShareCircuit {
    /// The statement.
    pub statement: DecryptShareStatement,
    /// Witness: the member's secret share.
    pub secret: Scalar,
    /// Witness: the committee's threshold and verification keys (at most
    /// [`MAX_MEMBERS`]).
    pub threshold: u32,
    /// Witness: the verification keys, by index from 1.
    pub keys: Vec<EdwardsAffine>,
    /// Witness: the selected sums' first components.
    pub c1: [EdwardsAffine; 2],
}

impl DecryptShareCircuit {
    /// A blank circuit for key setup.
    pub fn blank(_shape: OracleShape) -> Self {
        let g = EdwardsAffine::generator();
        Self {
            statement: DecryptShareStatement {
                sum_digest: Fr::zero(),
                key_digest: Fr::zero(),
                index: 1,
                commitment: Fr::zero(),
            },
            secret: Scalar::one(),
            threshold: 0,
            keys: vec![g; MAX_MEMBERS],
            c1: [g; 2],
        }
    }

    /// The honest statement and circuit of member `index` (its `secret`) over the sums'
    /// first components `c1`.
    pub fn honest(
        threshold: u32,
        keys: &[EdwardsAffine],
        index: u64,
        secret: Scalar,
        c1: [EdwardsAffine; 2],
    ) -> Result<Self> {
        let d = c1.map(|p| (p * secret).into_affine());
        Ok(Self {
            statement: DecryptShareStatement {
                sum_digest: sum_digest(&c1),
                key_digest: key_digest(threshold, keys)?,
                index,
                commitment: share_commitment(&d),
            },
            secret,
            threshold,
            keys: keys.to_vec(),
            c1,
        })
    }
}

/// The key digest inside a circuit from witness keys (padded with `(0, 0)`).
pub(crate) fn key_digest_sig(
    b: &mut Builder,
    threshold: &Sig,
    keys: &[EdwardsAffine],
) -> Result<(Sig, Vec<PointSig>), SynthesisError> {
    if keys.len() > MAX_MEMBERS {
        return Err(SynthesisError::Unsatisfiable);
    }
    let mut points = Vec::with_capacity(MAX_MEMBERS);
    for k in 0..MAX_MEMBERS {
        points.push(match keys.get(k) {
            Some(p) => PointSig::witness(b, p)?,
            None => PointSig {
                x: b.witness(Fr::zero())?,
                y: b.witness(Fr::zero())?,
            },
        });
    }
    let mut xs = vec![threshold.clone()];
    xs.extend(points.iter().flat_map(PointSig::coordinates));
    Ok((commit_sig(b, Domain::Keys, &xs)?, points))
}

pub(crate) fn points_commitment(
    b: &mut Builder,
    domain: Domain,
    points: &[&PointSig],
) -> Result<Sig, SynthesisError> {
    let xs: Vec<Sig> = points.iter().flat_map(|p| p.coordinates()).collect();
    commit_sig(b, domain, &xs)
}

impl Circuit for DecryptShareCircuit {
    fn synthesize(&self, b: &mut Builder) -> Result<(), SynthesisError> {
        let st = &self.statement;
        let sum = b.input(st.sum_digest)?;
        let digest = b.input(st.key_digest)?;
        let index = b.input(Fr::from(st.index))?;
        let commitment = b.input(st.commitment)?;

        // The sums' first components open the sum digest.
        let c1 = [
            PointSig::witness(b, &self.c1[0])?,
            PointSig::witness(b, &self.c1[1])?,
        ];
        for p in &c1 {
            p.enforce_on_curve(b)?;
        }
        let s = points_commitment(b, Domain::DecryptSum, &[&c1[0], &c1[1]])?;
        b.enforce_equal(&s, &sum, "the sums do not open the sum digest")?;

        // The member's verification key is the key digest's entry at its index.
        let t = b.witness(Fr::from(u64::from(self.threshold)))?;
        let (k, keys) = key_digest_sig(b, &t, &self.keys)?;
        b.enforce_equal(&k, &digest, "the keys do not open the key digest")?;
        let options: Vec<u64> = (1..=MAX_MEMBERS as u64).collect();
        let e = super::finalize::one_hot(
            b,
            &options,
            &index,
            st.index,
            "the member index is not in 1..=5",
        )?;
        let key = PointSig::choose(&keys, &e, b)?;

        // x G is that key; the shares are x C1.
        let scalar = self.secret.into_bigint();
        let bits_lsb: Vec<Sig> = (0..SECRET_BITS)
            .map(|i| b.boolean(scalar.get_bit(i), "the secret share is not a scalar"))
            .collect::<Result<_, _>>()?;
        let xg = PointSig::fixed_base(EdwardsProjective::generator(), &bits_lsb, b)?;
        xg.enforce_equal(
            &key,
            b,
            "the secret share is not the member's verification key's",
        )?;
        let bits_msb: Vec<Sig> = bits_lsb.iter().rev().cloned().collect();
        let d0 = c1[0].mul_bits(&bits_msb, b)?;
        let d1 = c1[1].mul_bits(&bits_msb, b)?;
        let c = points_commitment(b, Domain::Decryption, &[&d0, &d1])?;
        b.enforce_equal(
            &c,
            &commitment,
            "the shares are not the member's decryption of the sums",
        )
    }
}

/// Proves a member's decryption shares under `keys` (the share circuit's).
pub fn prove(
    keys: &CircuitKeys,
    circuit: &DecryptShareCircuit,
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<Proof<Bn254>> {
    let proof = prover::prove_circuit(keys, circuit, rng)?;
    prover::verify_prepared(keys, &circuit.statement.public_inputs(), &proof)?;
    Ok(proof)
}

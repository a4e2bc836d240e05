//! The finalize circuit: a feed's value is exactly its statistic of a `secagg-sum` job's
//! unmasked aggregate.
//!
//! Public inputs, in order: `binding` ([`binding`]: the request and the oracle node that
//! fulfils it), `input_commitment` (the job's, read from the market), `params` (the feed's
//! [`Statistic`], packed), `value` (signed, as a field element), the clerks' indices
//! `x_1..x_t`, their commitments `clerk_commitment_1..t`, and the owners' anchors
//! `a_1..a_n` (zero: an absent slot), whose signatures the contract checks.
//!
//! The relation: the masked vectors and anchors open `input_commitment` and `S` is their
//! sum (so `S` is the job's output, which the worker proved, without the market storing
//! the output commitment: the oracle node holds the masked inputs it had the job run
//! on), each `sigma_k` opens
//! `clerk_commitment_k`, `A = S - sum_k lambda_k sigma_k` with `lambda_k` the Lagrange
//! coefficients at the secret's point `-1` over the indices (distinct, else
//! unsatisfiable), and
//! `value = round(num(A) * 10^decimals / den(A))`, half up, in exact integer arithmetic
//! with every quantity range-checked so that the field equation is the integer one.

use super::OracleShape;
use crate::{
    Bn254, Error, Fr, Result,
    circuit::Circuit,
    commitment::{Domain, commit_sig},
    keys::CircuitKeys,
    prover,
    r1cs::{Builder, Sig},
};
use arcanum_protocol::{I256, U256};
use ark_ff::{BigInteger, Field, One, PrimeField, Zero};
use ark_groth16::Proof;
use ark_relations::gr1cs::SynthesisError;

/// Bits of a numerator's magnitude (fixed-point sums of at most `2^100`).
pub const NUM_BITS: usize = 100;
/// Bits of a denominator (positive, below `2^100`).
pub const DEN_BITS: usize = 100;
/// Bits of a value's magnitude: values lie in `(-2^127, 2^127)`.
pub const VALUE_BITS: usize = 127;
/// Most decimals of a value.
pub const MAX_DECIMALS: u8 = 31;
/// `den` index meaning "the constant `2^scale_bits`" rather than an aggregate element.
pub const DEN_SCALE: u8 = 255;

/// A feed's function of the aggregate: `round(A[num] * 10^decimals / den)` where `den` is
/// `A[den]` or `2^scale_bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Statistic {
    /// Aggregate element of the numerator.
    pub num: u8,
    /// Aggregate element of the denominator, or [`DEN_SCALE`].
    pub den: u8,
    /// Decimal digits of the value (at most [`MAX_DECIMALS`]).
    pub decimals: u8,
    /// Fixed-point fractional bits (used when `den` is [`DEN_SCALE`]).
    pub scale_bits: u8,
}

impl Statistic {
    /// The packed form a feed's definition holds: `num | den << 8 | decimals << 16 |
    /// scale_bits << 24`.
    pub fn params(&self) -> u64 {
        u64::from(self.num)
            | u64::from(self.den) << 8
            | u64::from(self.decimals) << 16
            | u64::from(self.scale_bits) << 24
    }

    /// Unpacks [`Self::params`].
    pub fn from_params(p: u64) -> Self {
        Self {
            num: p as u8,
            den: (p >> 8) as u8,
            decimals: (p >> 16) as u8,
            scale_bits: (p >> 24) as u8,
        }
    }

    /// The value of the statistic over the aggregate `a` (field elements, signed), exactly
    /// as the circuit computes it; an error names what is out of range.
    pub fn value(&self, a: &[Fr]) -> Result<i128> {
        let bad = |detail: String| Error::Synthesis(format!("the feed's statistic: {detail}"));
        if self.decimals > MAX_DECIMALS {
            return Err(bad(format!(
                "{} decimals (at most {MAX_DECIMALS})",
                self.decimals
            )));
        }
        let at = |i: u8| {
            a.get(usize::from(i))
                .copied()
                .map(signed)
                .ok_or_else(|| bad(format!("no element {i} in an aggregate of {}", a.len())))
        };
        let num = at(self.num)?;
        let den = if self.den == DEN_SCALE {
            I256::try_from(U256::from(1u64) << usize::from(self.scale_bits))
                .map_err(|e| bad(e.to_string()))?
        } else {
            at(self.den)?
        };
        let limit = |bits: usize| I256::try_from(U256::from(1u64) << bits).expect("small");
        if num.abs() >= limit(NUM_BITS) {
            return Err(bad(format!("numerator {num} beyond 2^{NUM_BITS}")));
        }
        if den <= I256::ZERO || den > limit(DEN_BITS) {
            return Err(bad(format!(
                "denominator {den} is not in [1, 2^{DEN_BITS}]"
            )));
        }
        let ten = I256::try_from(10u64).expect("small");
        let mul = ten.pow(U256::from(self.decimals));
        let two = I256::try_from(2u64).expect("small");
        let lhs = two * num * mul + den;
        let d2 = two * den;
        let (mut q, r) = (lhs / d2, lhs % d2);
        if r < I256::ZERO {
            q -= I256::ONE;
        }
        if q.abs() >= limit(VALUE_BITS) {
            return Err(bad(format!("value {q} beyond 2^{VALUE_BITS}")));
        }
        Ok(i128::try_from(q).expect("checked"))
    }
}

/// A signed value of the field: above `(r - 1) / 2` it is negative.
fn signed(f: Fr) -> I256 {
    let (negative, m) = if f.into_bigint() > Fr::MODULUS_MINUS_ONE_DIV_TWO {
        (true, -f)
    } else {
        (false, f)
    };
    let m = I256::try_from(U256::from_be_slice(&m.into_bigint().to_bytes_be())).expect("< 2^254");
    if negative { -m } else { m }
}

/// A signed integer as a field element.
pub fn value_to_fr(v: i128) -> Fr {
    let m = Fr::from(v.unsigned_abs());
    if v < 0 { -m } else { m }
}

/// Where the pads' sharing places the secret: `x = -1` (packed Shamir with packing 1,
/// `arcanum_compute::shamir::PackedShamir`).
pub fn secret_point() -> Fr {
    -Fr::one()
}

/// The Lagrange coefficients at [`secret_point`] over distinct clerk `indices`.
pub fn lagrange_at_secret(indices: &[u64]) -> Result<Vec<Fr>> {
    let xs: Vec<Fr> = indices.iter().map(|x| Fr::from(*x)).collect();
    arcanum_compute::shamir::lagrange_weights(&xs, secret_point())
        .map_err(|e| Error::Synthesis(format!("clerk indices {indices:?}: {e}")))
}

/// The unmasked aggregate: `masked_sum - sum_k lambda_k clerk_sums[k]`.
pub fn unmask(masked_sum: &[Fr], indices: &[u64], clerk_sums: &[Vec<Fr>]) -> Result<Vec<Fr>> {
    let lambdas = lagrange_at_secret(indices)?;
    let mut out = masked_sum.to_vec();
    for (l, s) in lambdas.iter().zip(clerk_sums) {
        for (o, x) in out.iter_mut().zip(s) {
            *o -= *l * x;
        }
    }
    Ok(out)
}

/// `uint256(keccak256(abi.encode(requestId, oracle))) mod r`: what a finalize proof is
/// bound to, so that it answers one request and only for the node that made it.
pub fn binding(request_id: U256, oracle: arcanum_protocol::Address) -> Fr {
    let mut bytes = [0u8; 64];
    bytes[..32].copy_from_slice(&request_id.to_be_bytes::<32>());
    bytes[44..].copy_from_slice(oracle.as_slice());
    Fr::from_be_bytes_mod_order(arcanum_protocol::keccak256(bytes).as_slice())
}

/// The public statement of a finalize proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalizeStatement {
    /// The request and the fulfilling node ([`binding`]).
    pub request_id: Fr,
    /// The job's input commitment (masked vectors and share anchors).
    pub input_commitment: Fr,
    /// The feed's statistic.
    pub statistic: Statistic,
    /// The value.
    pub value: i128,
    /// The clerks' indices.
    pub indices: Vec<u64>,
    /// The clerks' commitments, in the same order.
    pub clerk_commitments: Vec<Fr>,
    /// The owners' anchors, one per contributor position (zero: absent).
    pub anchors: Vec<Fr>,
}

impl FinalizeStatement {
    /// Public inputs in circuit order.
    pub fn public_inputs(&self) -> Vec<Fr> {
        let mut v = vec![
            self.request_id,
            self.input_commitment,
            Fr::from(self.statistic.params()),
            value_to_fr(self.value),
        ];
        v.extend(self.indices.iter().map(|x| Fr::from(*x)));
        v.extend(self.clerk_commitments.iter().copied());
        v.extend(self.anchors.iter().copied());
        v
    }
}

/// The circuit and its witness.
#[derive(Clone, Debug)]
pub struct FinalizeCircuit {
    /// The oracle shape.
    pub shape: OracleShape,
    /// The statement.
    pub statement: FinalizeStatement,
    /// The job's masked vectors, one per contributor position (padding: zeros).
    pub masked: Vec<Vec<Fr>>,
    /// The clerks' sums, in the statement's order.
    pub clerk_sums: Vec<Vec<Fr>>,
}

impl FinalizeCircuit {
    /// A blank circuit for key setup.
    pub fn blank(shape: OracleShape) -> Self {
        let t = shape.threshold;
        Self {
            shape,
            statement: FinalizeStatement {
                request_id: Fr::zero(),
                input_commitment: Fr::zero(),
                statistic: Statistic {
                    num: 0,
                    den: DEN_SCALE,
                    decimals: 0,
                    scale_bits: 0,
                },
                value: 0,
                indices: (1..=t as u64).collect(),
                clerk_commitments: vec![Fr::zero(); t],
                anchors: vec![Fr::zero(); shape.job.contributors],
            },
            masked: vec![vec![Fr::zero(); shape.job.dims]; shape.job.contributors],
            clerk_sums: vec![vec![Fr::zero(); shape.job.dims]; t],
        }
    }
}

/// `prod_i (1 + bit_i (base^(2^i) - 1))`: `base` to the power the bits spell.
fn power(b: &mut Builder, base: u64, bits: &[Sig]) -> Result<Sig, SynthesisError> {
    let mut acc = Sig::constant(Fr::one());
    let mut sq = Fr::from(base);
    for bit in bits {
        let factor = bit.scale(sq - Fr::one()).add_constant(Fr::one());
        acc = b.mul(&acc, &factor)?;
        sq.square_in_place();
    }
    Ok(acc)
}

/// One-hot selection: booleans `e_j` (one per option value) summing to one whose
/// weighted sum is `index`.
pub(crate) fn one_hot(
    b: &mut Builder,
    options: &[u64],
    index: &Sig,
    chosen: u64,
    what: &'static str,
) -> Result<Vec<Sig>, SynthesisError> {
    let e: Vec<Sig> = options
        .iter()
        .map(|o| b.boolean(*o == chosen, what))
        .collect::<Result<_, _>>()?;
    b.enforce_equal(
        &Sig::lincomb(e.iter().map(|x| (Fr::one(), x))),
        &Sig::constant(Fr::one()),
        what,
    )?;
    b.enforce_equal(
        &Sig::lincomb(options.iter().zip(&e).map(|(o, x)| (Fr::from(*o), x))),
        index,
        what,
    )?;
    Ok(e)
}

impl Circuit for FinalizeCircuit {
    fn synthesize(&self, b: &mut Builder) -> Result<(), SynthesisError> {
        let (n, d, t) = (
            self.shape.job.contributors,
            self.shape.job.dims,
            self.shape.threshold,
        );
        let st = &self.statement;
        if self.masked.len() != n
            || self.masked.iter().any(|y| y.len() != d)
            || st.anchors.len() != n
            || self.clerk_sums.len() != t
            || self.clerk_sums.iter().any(|s| s.len() != d)
            || st.indices.len() != t
            || st.clerk_commitments.len() != t
        {
            return Err(SynthesisError::Unsatisfiable);
        }
        let _request_id = b.input(st.request_id)?;
        let input_commitment = b.input(st.input_commitment)?;
        let params = b.input(Fr::from(st.statistic.params()))?;
        let value = b.input(value_to_fr(st.value))?;
        let xs = st
            .indices
            .iter()
            .map(|x| b.input(Fr::from(*x)))
            .collect::<Result<Vec<_>, _>>()?;
        let ccs = b.inputs(&st.clerk_commitments)?;
        let anchors = b.inputs(&st.anchors)?;

        // The masked vectors and anchors open the job's input commitment; their sum is the
        // job's output. Each clerk sum opens its commitment.
        let mut s = vec![Sig::zero(); d];
        let mut absorbed = Vec::with_capacity(2 * n);
        for y in &self.masked {
            let vars = b.witnesses(y)?;
            for (acc, v) in s.iter_mut().zip(&vars) {
                *acc = acc.add(v);
            }
            absorbed.push(commit_sig(b, Domain::Contribution, &vars)?);
        }
        absorbed.extend(anchors);
        let ic = commit_sig(b, Domain::Inputs, &absorbed)?;
        b.enforce_equal(
            &ic,
            &input_commitment,
            "the masked vectors and anchors do not open the job's input commitment",
        )?;
        let mut sigmas = Vec::with_capacity(t);
        for (sum, cc) in self.clerk_sums.iter().zip(&ccs) {
            let sig = b.witnesses(sum)?;
            let c = commit_sig(b, Domain::ClerkSum, &sig)?;
            b.enforce_equal(&c, cc, "a clerk sum does not open its clerk commitment")?;
            sigmas.push(sig);
        }

        // Lagrange at the secret's point p: lambda_k * prod_{j != k} (x_k - x_j) =
        // prod_{j != k} (p - x_j); repeated indices leave it unsatisfiable.
        let at = Sig::constant(secret_point());
        let native = lagrange_at_secret(&st.indices).unwrap_or_else(|_| vec![Fr::zero(); t]);
        let mut aggregate = s.clone();
        for k in 0..t {
            let lambda = b.witness(native[k])?;
            let (mut num, mut den) = (Sig::constant(Fr::one()), Sig::constant(Fr::one()));
            for j in (0..t).filter(|j| *j != k) {
                num = b.mul(&num, &at.sub(&xs[j]))?;
                den = b.mul(&den, &xs[k].sub(&xs[j]))?;
            }
            b.enforce(
                &lambda,
                &den,
                &num,
                "the clerk indices are not distinct and nonzero",
            )?;
            for (a, sigma) in aggregate.iter_mut().zip(&sigmas[k]) {
                *a = a.sub(&b.mul(&lambda, sigma)?);
            }
        }

        let stat = StatisticSig::new(b, st.statistic, &params, d)?;
        let mut num = Sig::zero();
        for (ej, a) in stat.num.iter().zip(&aggregate) {
            num = num.add(&b.mul(ej, a)?);
        }
        let mut chosen = Sig::zero();
        for (fj, a) in stat.den.iter().zip(&aggregate) {
            chosen = chosen.add(&b.mul(fj, a)?);
        }
        let den = stat.denominator(b, &chosen)?;
        stat.enforce_value(b, &num, &den, &value)
    }
}

/// A feed's [`Statistic`] inside a circuit: its packed parameters opened from `params`
/// (num 8 bits, den 8 bits, decimals 5 bits, bits 21 to 23 zero, scale 8 bits), one-hot
/// selectors of the numerator's element (one per aggregate element) and of the
/// denominator's (one per element, then one for the constant `2^scale`), `2^scale` and
/// `10^decimals`.
pub(crate) struct StatisticSig {
    /// One-hot over the aggregate's elements: the numerator's.
    pub(crate) num: Vec<Sig>,
    /// One-hot over the elements and [`DEN_SCALE`] (last): the denominator's.
    pub(crate) den: Vec<Sig>,
    scale: Sig,
    ten_pow: Sig,
}

impl StatisticSig {
    /// Opens `params` for an aggregate of `d` elements.
    pub(crate) fn new(
        b: &mut Builder,
        stat: Statistic,
        params: &Sig,
        d: usize,
    ) -> Result<Self, SynthesisError> {
        let bit = |v: u64, i: usize| (v >> i) & 1 == 1;
        let p = stat.params();
        let mut field_bits = |range: std::ops::Range<usize>| -> Result<Vec<Sig>, SynthesisError> {
            range
                .map(|i| b.boolean(bit(p, i), "the feed's parameters are malformed"))
                .collect()
        };
        let num_bits = field_bits(0..8)?;
        let den_bits = field_bits(8..16)?;
        let dec_bits = field_bits(16..21)?;
        let scale_bits = field_bits(24..32)?;
        let weigh = |bits: &[Sig], shift: usize| {
            bits.iter()
                .enumerate()
                .map(|(i, x)| (Fr::from(1u64 << (shift + i)), x.clone()))
                .collect::<Vec<_>>()
        };
        let mut parts = weigh(&num_bits, 0);
        parts.extend(weigh(&den_bits, 8));
        parts.extend(weigh(&dec_bits, 16));
        parts.extend(weigh(&scale_bits, 24));
        b.enforce_equal(
            &Sig::lincomb(parts.iter().map(|(c, x)| (*c, x))),
            params,
            "the feed's parameters are malformed",
        )?;
        let lin = |bits: &[Sig]| {
            Sig::lincomb(
                weigh(bits, 0)
                    .iter()
                    .map(|(c, x)| (*c, x))
                    .collect::<Vec<_>>(),
            )
        };
        let positions: Vec<u64> = (0..d as u64).collect();
        let num = one_hot(
            b,
            &positions,
            &lin(&num_bits),
            u64::from(stat.num),
            "the statistic's numerator is not an element of the aggregate",
        )?;
        let mut den_options = positions;
        den_options.push(u64::from(DEN_SCALE));
        let den = one_hot(
            b,
            &den_options,
            &lin(&den_bits),
            u64::from(stat.den),
            "the statistic's denominator is not an element of the aggregate",
        )?;
        let scale = power(b, 2, &scale_bits)?;
        let ten_pow = power(b, 10, &dec_bits)?;
        Ok(Self {
            num,
            den,
            scale,
            ten_pow,
        })
    }

    /// The denominator given the element its selector `den` chose (zero when it chose
    /// [`DEN_SCALE`]): `chosen + [DEN_SCALE] 2^scale`.
    pub(crate) fn denominator(&self, b: &mut Builder, chosen: &Sig) -> Result<Sig, SynthesisError> {
        let last = self.den.last().expect("the scale option");
        Ok(b.mul(last, &self.scale)?.add(chosen))
    }

    /// `value = round(num 10^decimals / den)`, half up: `2 num 10^dec + den = 2 den value +
    /// rem` with `0 <= rem < 2 den`, every quantity in range so that the field equation is
    /// the integer one.
    pub(crate) fn enforce_value(
        &self,
        b: &mut Builder,
        num: &Sig,
        den: &Sig,
        value: &Sig,
    ) -> Result<(), SynthesisError> {
        let two = Fr::from(2u64);
        let pow2 = |n: usize| Fr::from(2u64).pow([n as u64]);
        b.bits(
            &num.add_constant(pow2(NUM_BITS)),
            NUM_BITS + 1,
            "the statistic's numerator is out of range",
        )?;
        b.bits(
            &den.add_constant(-Fr::one()),
            DEN_BITS,
            "the statistic's denominator is not positive and in range",
        )?;
        b.bits(
            &value.add_constant(pow2(VALUE_BITS)),
            VALUE_BITS + 1,
            "the value is out of range",
        )?;
        let num_scaled = b.mul(num, &self.ten_pow)?;
        let den_value = b.mul(den, value)?;
        let lhs = num_scaled.scale(two).add(den);
        let rem_native = lhs.value() - den_value.value() * two;
        let rem = b.witness(rem_native)?;
        b.bits(
            &rem,
            DEN_BITS + 2,
            "the value is not the statistic, rounded",
        )?;
        b.bits(
            &den.scale(two).sub(&rem).add_constant(-Fr::one()),
            DEN_BITS + 2,
            "the value is not the statistic, rounded",
        )?;
        b.enforce_equal(
            &lhs,
            &den_value.scale(two).add(&rem),
            "the value is not the statistic, rounded",
        )
    }
}

/// Proves the finalize statement under `keys` (the finalize circuit's of `shape`) from
/// the job's `masked` vectors (padded to the shape) and the clerks' sums.
pub fn prove(
    keys: &CircuitKeys,
    shape: OracleShape,
    statement: FinalizeStatement,
    masked: &[Vec<Fr>],
    clerk_sums: &[Vec<Fr>],
    rng: &mut (impl rand::RngCore + rand::CryptoRng),
) -> Result<Proof<Bn254>> {
    let public = statement.public_inputs();
    let circuit = FinalizeCircuit {
        shape,
        statement,
        masked: masked.to_vec(),
        clerk_sums: clerk_sums.to_vec(),
    };
    let proof = prover::prove_circuit(keys, &circuit, rng)?;
    prover::verify_prepared(keys, &public, &proof)?;
    Ok(proof)
}

//! BabyJubJub (`ark-ed-on-bn254`) arithmetic in R1CS: its base field is BN254's `Fr`, so
//! a point is two native circuit values. Shared by the `he-linear` circuit and the data
//! oracle's threshold-decryption circuits.
//!
//! Costs: complete addition 6 constraints, doubling 5, on-curve check 3, selecting a point
//! or the identity by a bit 2; a scalar multiplication by `k` bits of a variable base
//! `13 k`, of the fixed generator `6 k`.

use crate::{
    Fr,
    r1cs::{Builder, Sig},
};
use ark_ec::{CurveGroup, twisted_edwards::TECurveConfig};
use ark_ed_on_bn254::{EdwardsAffine, EdwardsConfig, EdwardsProjective};
use ark_ff::{Field, One, Zero};
use ark_relations::gr1cs::SynthesisError;

/// A point in the circuit (affine twisted-Edwards coordinates).
#[derive(Clone, Debug)]
pub(crate) struct PointSig {
    pub(crate) x: Sig,
    pub(crate) y: Sig,
}

impl PointSig {
    pub(crate) fn identity() -> Self {
        Self {
            x: Sig::zero(),
            y: Sig::constant(Fr::one()),
        }
    }

    pub(crate) fn witness(b: &mut Builder, p: &EdwardsAffine) -> Result<Self, SynthesisError> {
        Ok(Self {
            x: b.witness(p.x)?,
            y: b.witness(p.y)?,
        })
    }

    /// Its coordinates, `[x, y]`.
    pub(crate) fn coordinates(&self) -> [Sig; 2] {
        [self.x.clone(), self.y.clone()]
    }

    /// `x^2 + y^2 = 1 + d x^2 y^2` (a = 1): 3 constraints.
    pub(crate) fn enforce_on_curve(&self, b: &mut Builder) -> Result<(), SynthesisError> {
        let x2 = b.mul(&self.x, &self.x)?;
        let y2 = b.mul(&self.y, &self.y)?;
        let lhs = x2
            .scale(EdwardsConfig::COEFF_A)
            .add(&y2)
            .add_constant(-Fr::one());
        b.enforce(
            &x2.scale(EdwardsConfig::COEFF_D),
            &y2,
            &lhs,
            "a ciphertext point is not on BabyJubJub",
        )
    }

    /// Complete twisted-Edwards addition: 6 constraints.
    pub(crate) fn add(&self, other: &Self, b: &mut Builder) -> Result<Self, SynthesisError> {
        let (a, d) = (EdwardsConfig::COEFF_A, EdwardsConfig::COEFF_D);
        let beta = b.mul(&self.x, &other.y)?;
        let gamma = b.mul(&self.y, &other.x)?;
        let delta = b.mul(&self.y.sub(&self.x.scale(a)), &other.x.add(&other.y))?;
        let tau = b.mul(&beta.scale(d), &gamma)?;
        let x_num = beta.add(&gamma);
        let y_num = delta.add(&beta.scale(a)).sub(&gamma);
        let x_den = tau.add_constant(Fr::one());
        let y_den = tau.scale(-Fr::one()).add_constant(Fr::one());
        let x = quotient(b, &x_num, &x_den)?;
        let y = quotient(b, &y_num, &y_den)?;
        Ok(Self { x, y })
    }

    /// `2 * self` by the dedicated twisted-Edwards doubling, whose denominators
    /// `a x^2 + y^2 = 1 + d x^2 y^2` and `2 - a x^2 - y^2 = 1 - d x^2 y^2` never vanish on
    /// the curve (`d` is not a square): 5 constraints.
    pub(crate) fn double(&self, b: &mut Builder) -> Result<Self, SynthesisError> {
        let a = EdwardsConfig::COEFF_A;
        let xy = b.mul(&self.x, &self.y)?;
        let xx = b.mul(&self.x, &self.x)?;
        let yy = b.mul(&self.y, &self.y)?;
        let x_den = xx.scale(a).add(&yy);
        let x = quotient(b, &xy.scale(Fr::from(2u64)), &x_den)?;
        let y_den = x_den.scale(-Fr::one()).add_constant(Fr::from(2u64));
        let y = quotient(b, &yy.sub(&xx.scale(a)), &y_den)?;
        Ok(Self { x, y })
    }

    /// `bit ? ±self : identity` given `bit` and `signed_bit = ±bit` (the negation of a
    /// twisted-Edwards point is `(-x, y)`): 2 constraints.
    pub(crate) fn select(
        &self,
        bit: &Sig,
        signed_bit: &Sig,
        b: &mut Builder,
    ) -> Result<Self, SynthesisError> {
        let x = b.mul(signed_bit, &self.x)?;
        let y = b
            .mul(bit, &self.y.add_constant(-Fr::one()))?
            .add_constant(Fr::one());
        Ok(Self { x, y })
    }

    /// `-self` when `negate` (a boolean) is one: 1 constraint.
    pub(crate) fn negate_if(&self, negate: &Sig, b: &mut Builder) -> Result<Self, SynthesisError> {
        let sign = Sig::constant(Fr::one()).sub(&negate.scale(Fr::from(2u64)));
        Ok(Self {
            x: b.mul(&sign, &self.x)?,
            y: self.y.clone(),
        })
    }

    /// `sum_j onehot_j * options_j` for booleans summing to one (the caller constrains
    /// them): 2 constraints per option.
    pub(crate) fn choose(
        options: &[Self],
        onehot: &[Sig],
        b: &mut Builder,
    ) -> Result<Self, SynthesisError> {
        let (mut x, mut y) = (Sig::zero(), Sig::zero());
        for (p, e) in options.iter().zip(onehot) {
            x = x.add(&b.mul(e, &p.x)?);
            y = y.add(&b.mul(e, &p.y)?);
        }
        Ok(Self { x, y })
    }

    /// `k * self` for a constant `k >= 1` by double-and-add.
    pub(crate) fn times(&self, k: u64, b: &mut Builder) -> Result<Self, SynthesisError> {
        assert!(k >= 1, "times: k = 0");
        let mut acc = self.clone();
        for i in (0..63 - k.leading_zeros()).rev() {
            acc = acc.double(b)?;
            if (k >> i) & 1 == 1 {
                acc = acc.add(self, b)?;
            }
        }
        Ok(acc)
    }

    /// `k * self` for the unsigned integer whose bits (booleans, most significant first)
    /// are given, by Horner's rule: 13 constraints per bit.
    pub(crate) fn mul_bits(
        &self,
        bits_msb_first: &[Sig],
        b: &mut Builder,
    ) -> Result<Self, SynthesisError> {
        let mut acc: Option<Self> = None;
        for bit in bits_msb_first {
            let t = self.select(bit, bit, b)?;
            acc = Some(match acc {
                Some(a) => a.double(b)?.add(&t, b)?,
                None => t,
            });
        }
        Ok(acc.unwrap_or_else(Self::identity))
    }

    /// `k * base` for a constant `base` and the bits of `k` (booleans, least significant
    /// first): each bit selects the constant `2^i base` or the identity (a linear
    /// combination), added in: 6 constraints per bit.
    pub(crate) fn fixed_base(
        base: EdwardsProjective,
        bits_lsb_first: &[Sig],
        b: &mut Builder,
    ) -> Result<Self, SynthesisError> {
        let mut acc: Option<Self> = None;
        let mut power = base;
        for bit in bits_lsb_first {
            let p = power.into_affine();
            let (px, py) = (p.x, p.y);
            let t = Self {
                x: bit.scale(px),
                y: bit.scale(py - Fr::one()).add_constant(Fr::one()),
            };
            acc = Some(match acc {
                Some(a) => a.add(&t, b)?,
                None => t,
            });
            power = power + power;
        }
        Ok(acc.unwrap_or_else(Self::identity))
    }

    /// `self == other`: 2 constraints.
    pub(crate) fn enforce_equal(
        &self,
        other: &Self,
        b: &mut Builder,
        what: &'static str,
    ) -> Result<(), SynthesisError> {
        b.enforce_equal(&self.x, &other.x, what)?;
        b.enforce_equal(&self.y, &other.y, what)
    }
}

/// A contributor's ciphertext vector in a circuit: both points of every ciphertext
/// witnessed and checked on the curve, and the vector's commitment
/// `commit(CONTRIBUTION, [c1.x, c1.y, c2.x, c2.y, ..])` with the rate-16 sponge (the
/// he-linear kind's).
pub(crate) fn ciphertext_row(
    b: &mut Builder,
    cts: &[arcanum_compute::elgamal::Ciphertext],
) -> Result<(Vec<(PointSig, PointSig)>, Sig), SynthesisError> {
    use crate::commitment::{Domain, Sponge, commit_sig_with};
    let mut flat = Vec::with_capacity(4 * cts.len());
    let mut row = Vec::with_capacity(cts.len());
    for ct in cts {
        let c1 = PointSig::witness(b, &ct.c1)?;
        let c2 = PointSig::witness(b, &ct.c2)?;
        c1.enforce_on_curve(b)?;
        c2.enforce_on_curve(b)?;
        flat.extend(c1.coordinates());
        flat.extend(c2.coordinates());
        row.push((c1, c2));
    }
    let commitment = commit_sig_with(b, Sponge::Rate16, Domain::Contribution, &flat)?;
    Ok((row, commitment))
}

/// A witness `q` with `q * den = num` (1 constraint).
fn quotient(b: &mut Builder, num: &Sig, den: &Sig) -> Result<Sig, SynthesisError> {
    let q = match den.value().inverse() {
        Some(inv) => num.value() * inv,
        // Only reachable with points off the curve (the formulas are complete on it); the
        // constraint below then fails.
        None => Fr::zero(),
    };
    let q = b.witness(q)?;
    b.enforce(&q, den, num, "point addition")?;
    Ok(q)
}

/// A small signed integer's magnitude bits (most significant first), constrained, each
/// with its signed copy `(1 - 2 sign) * bit`, and the sign bit.
pub(crate) struct SignedBits {
    pub(crate) negative: Sig,
    pub(crate) bits_msb_first: Vec<Sig>,
    pub(crate) signed_bits_msb_first: Vec<Sig>,
}

impl SignedBits {
    /// The `n`-bit magnitude and sign of `value`, tied to the field element `committed`
    /// (`(1 - 2 sign) * magnitude == committed`, failing as `what`): `2 n + 2`
    /// constraints.
    pub(crate) fn new(
        b: &mut Builder,
        value: i64,
        committed: &Sig,
        n: usize,
        what: &'static str,
    ) -> Result<Self, SynthesisError> {
        assert!(n < 64, "SignedBits: {n} bits");
        let magnitude = value.unsigned_abs().min((1u64 << n) - 1);
        let negative = b.boolean(value < 0, what)?;
        let mut bits_msb_first = Vec::with_capacity(n);
        for k in (0..n).rev() {
            bits_msb_first.push(b.boolean((magnitude >> k) & 1 == 1, what)?);
        }
        let m = Sig::lincomb(
            bits_msb_first
                .iter()
                .enumerate()
                .map(|(i, bit)| (Fr::from(1u64 << (n - 1 - i)), bit)),
        );
        let sign = Sig::constant(Fr::one()).sub(&negative.scale(Fr::from(2u64)));
        b.enforce(&sign, &m, committed, what)?;
        let signed_bits_msb_first = bits_msb_first
            .iter()
            .map(|bit| b.mul(&sign, bit))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            negative,
            bits_msb_first,
            signed_bits_msb_first,
        })
    }
}

/// `sum_i w_i * points[i]` by Horner's rule over the weights' bits (all of one length),
/// shared by all points: one doubling per bit and one selected addition per bit and point
/// (`k (2 + 6) n + 5 (k - 1) - 6` constraints for `n` points of `k`-bit weights).
pub(crate) fn weighted_sum(
    weights: &[SignedBits],
    points: &[&PointSig],
    b: &mut Builder,
) -> Result<PointSig, SynthesisError> {
    let bits = weights.first().map_or(0, |w| w.bits_msb_first.len());
    let mut acc: Option<PointSig> = None;
    for k in 0..bits {
        if let Some(a) = acc.as_mut() {
            *a = a.double(b)?;
        }
        for (w, p) in weights.iter().zip(points) {
            let t = p.select(&w.bits_msb_first[k], &w.signed_bits_msb_first[k], b)?;
            acc = Some(match acc {
                Some(a) => a.add(&t, b)?,
                None => t,
            });
        }
    }
    Ok(acc.unwrap_or_else(PointSig::identity))
}

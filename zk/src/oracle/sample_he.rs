//! A sample `he-linear-4x8` oracle job (three owners answering a mean under a 3-of-5
//! committee key, one empty slot) on real encryptions and a real Shamir sharing of the
//! key, for tests, the bench and the contracts' fixture.

use super::{
    HE_LINEAR_4X8_C5_T3, OracleShape,
    decrypt::{self, DecryptShareCircuit},
    finalize::Statistic,
    finalize_he::FinalizeHeCircuit,
    query_tag,
};
use crate::{Fr, Result};
use arcanum_compute::elgamal::{Ciphertext, PublicKey};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::{EdwardsAffine, Fr as Scalar};
use ark_ff::{UniformRand, Zero};

/// Its oracle shape.
pub const SHAPE: OracleShape = HE_LINEAR_4X8_C5_T3;

/// The sample's statistic: the mean of the second element (a sum in tenths) over the first
/// (a count), 18 decimals, scaled by `2^0`: the value is `sum / count * 10^18`.
pub const MEAN: Statistic = Statistic {
    num: 1,
    den: 0,
    decimals: 18,
    scale_bits: 0,
};

/// The committee's size.
pub const MEMBERS: usize = 5;

/// The sample job.
pub struct Job {
    /// The query tag.
    pub tag: Fr,
    /// The ciphertext vectors, padded to the shape.
    pub inputs: Vec<Vec<Ciphertext>>,
    /// The owners' anchors (zero: the empty slot).
    pub anchors: Vec<Fr>,
    /// The committee's verification keys, by index from 1.
    pub keys: Vec<EdwardsAffine>,
    /// The members' secret shares, by index from 1.
    pub secrets: Vec<Scalar>,
    /// The plaintext sum.
    pub plain: Vec<i64>,
}

/// Builds the sample job (deterministic).
pub fn job() -> Job {
    let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(5);
    let g = EdwardsAffine::generator();
    // A degree-2 polynomial: any 3 of the 5 shares decrypt.
    let coefficients: Vec<Scalar> = (0..3).map(|_| Scalar::rand(&mut rng)).collect();
    let eval = |x: u64| {
        coefficients
            .iter()
            .rev()
            .fold(Scalar::zero(), |acc, c| acc * Scalar::from(x) + c)
    };
    let secrets: Vec<Scalar> = (1..=MEMBERS as u64).map(eval).collect();
    let keys: Vec<EdwardsAffine> = secrets.iter().map(|s| (g * s).into_affine()).collect();
    let public = PublicKey((g * coefficients[0]).into_affine());
    let key_digest = decrypt::key_digest(SHAPE.threshold as u32, &keys).expect("digest");
    let tag = query_tag("iris/mean/sepal_length/he");
    let d = SHAPE.job.dims;
    let owners: [[i64; 2]; 3] = [[10, 525], [20, 1_183], [5, 310]];
    let (mut inputs, mut anchors) = (Vec::new(), Vec::new());
    let mut plain = vec![0i64; d];
    for row in owners {
        let mut values = row.to_vec();
        values.resize(d, 0);
        for (p, v) in plain.iter_mut().zip(&values) {
            *p += v;
        }
        let cts: Vec<Ciphertext> = values
            .iter()
            .map(|m| public.encrypt_i64(*m, &mut rng))
            .collect();
        anchors.push(decrypt::anchor(
            tag,
            decrypt::contribution(&cts, d),
            key_digest,
        ));
        inputs.push(cts);
    }
    inputs.push(vec![Ciphertext::zero(); d]);
    anchors.push(Fr::zero());
    Job {
        tag,
        inputs,
        anchors,
        keys,
        secrets,
        plain,
    }
}

impl Job {
    /// The selected sums' first components.
    pub fn c1(&self, statistic: Statistic) -> [EdwardsAffine; 2] {
        let sum = arcanum_compute::elgamal::he_linear(&self.inputs, &[1; 4]).expect("sum");
        let sel = decrypt::selected(&sum, statistic).expect("selected");
        [sel[0].c1, sel[1].c1]
    }

    /// Member `index`'s (from 1) share circuit, proving with `secret` (its own, or
    /// another's to test a share from outside the committee).
    pub fn member(&self, index: u64, secret: Scalar, statistic: Statistic) -> DecryptShareCircuit {
        DecryptShareCircuit::honest(
            SHAPE.threshold as u32,
            &self.keys,
            index,
            secret,
            self.c1(statistic),
        )
        .expect("member")
    }

    /// The finalize circuit bound to `binding` from members `indices` (from 1), each
    /// share made with `secrets[index - 1]`.
    pub fn finalize(
        &self,
        binding: Fr,
        indices: [u64; 3],
        statistic: Statistic,
    ) -> Result<FinalizeHeCircuit> {
        let c1 = self.c1(statistic);
        let shares: Vec<[EdwardsAffine; 2]> = indices
            .iter()
            .map(|i| c1.map(|p| (p * self.secrets[*i as usize - 1]).into_affine()))
            .collect();
        let den = if statistic.den == super::finalize::DEN_SCALE {
            0
        } else {
            self.plain[usize::from(statistic.den)]
        };
        FinalizeHeCircuit::honest(
            SHAPE,
            binding,
            self.tag,
            statistic,
            &self.inputs,
            &self.keys,
            &indices,
            &shares,
            &self.anchors,
            [self.plain[usize::from(statistic.num)], den],
        )
    }
}

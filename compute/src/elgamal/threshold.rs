//! Threshold decryption: partial decryptions with Chaum-Pedersen proofs, verified and
//! combined by Lagrange interpolation, then a bounded discrete log.

use super::bsgs::BsgsTable;
use super::dkg::{DkgParams, Qualification};
use super::hash::{DOMAIN_DLEQ, Transcript};
use super::{Ciphertext, EdwardsAffine, EdwardsProjective, Error, PublicKey, Result, Scalar, wire};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{Field, One, UniformRand};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// The public result of a DKG: joint public key, every party's verification key
/// `X_j = x_j·G`, the threshold and who qualified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupKey {
    params: DkgParams,
    public_key: PublicKey,
    #[serde(with = "wire::points")]
    verification_keys: Vec<EdwardsAffine>,
    qualification: Qualification,
}

/// Party `j`'s secret key share `x_j`. `Debug` does not print the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyShare {
    index: u32,
    secret: Scalar,
}

impl fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyShare")
            .field("index", &self.index)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A Chaum-Pedersen proof that `log_G X_j == log_{c1} D_j`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DleqProof {
    /// Challenge.
    #[serde(with = "wire::scalar")]
    pub challenge: Scalar,
    /// Response.
    #[serde(with = "wire::scalar")]
    pub response: Scalar,
}

/// One decryption share `D = x_j·c1` of one ciphertext, with its proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptionShare {
    /// `x_j·c1`.
    #[serde(with = "wire::point")]
    pub d: EdwardsAffine,
    /// Proof of correct decryption.
    pub proof: DleqProof,
}

/// Party `j`'s decryption shares for a vector of ciphertexts (one per element, in order).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialDecryption {
    /// The party `j`.
    pub party: u32,
    /// One share per ciphertext.
    pub shares: Vec<DecryptionShare>,
}

/// A partial decryption that was skipped, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// The party whose partial decryption was skipped.
    pub party: u32,
    /// Why.
    pub reason: Error,
}

/// The outcome of a threshold decryption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decryption {
    /// The plaintexts, one per ciphertext.
    pub values: Vec<i64>,
    /// The `t` parties whose shares were combined.
    pub used: Vec<u32>,
    /// Partial decryptions that failed verification (skipped; report their parties).
    pub rejected: Vec<Rejected>,
}

#[allow(clippy::too_many_arguments)]
fn dleq_challenge(
    params: &DkgParams,
    pk: &PublicKey,
    party: u32,
    x: &EdwardsAffine,
    ct: &Ciphertext,
    d: &EdwardsAffine,
    a1: &EdwardsAffine,
    a2: &EdwardsAffine,
) -> Scalar {
    let mut tr = Transcript::new(DOMAIN_DLEQ);
    tr.bytes(b"session", params.session())
        .point(b"public key", &pk.0)
        .u64(b"party", party.into())
        .point(b"verification key", x)
        .point(b"c1", &ct.c1)
        .point(b"c2", &ct.c2)
        .point(b"share", d)
        .point(b"nonce G", a1)
        .point(b"nonce c1", a2);
    tr.challenge()
}

impl KeyShare {
    pub(super) fn new(index: u32, secret: Scalar) -> Self {
        Self { index, secret }
    }

    #[cfg(test)]
    pub(super) fn secret_for_tests(&self) -> Scalar {
        self.secret
    }

    /// The party's index `j`.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Bytes for the party's own encrypted key store: the index (4 bytes, little-endian)
    /// then the secret scalar (32 bytes). Keep them secret.
    pub fn to_secret_bytes(&self) -> [u8; 36] {
        let mut out = [0u8; 36];
        out[..4].copy_from_slice(&self.index.to_le_bytes());
        out[4..].copy_from_slice(&wire::scalar_to_bytes(&self.secret));
        out
    }

    /// Decodes [`KeyShare::to_secret_bytes`]; check the result against the group's
    /// verification key with [`GroupKey::verification_key`].
    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 36 {
            return Err(Error::ByteLength {
                what: "key share",
                expected: 36,
                got: bytes.len(),
            });
        }
        let mut index = [0u8; 4];
        index.copy_from_slice(&bytes[..4]);
        Ok(Self {
            index: u32::from_le_bytes(index),
            secret: wire::scalar_from_bytes(&bytes[4..], "key share secret")?,
        })
    }

    /// The secret `x_j`, for proving statements about it (a data-oracle member proves its
    /// decryption shares in a circuit). Never log it.
    pub fn secret_scalar(&self) -> Scalar {
        self.secret
    }

    /// `X_j = x_j·G`.
    pub fn verification_key(&self) -> EdwardsAffine {
        (EdwardsProjective::generator() * self.secret).into_affine()
    }

    /// Decryption shares `D_k = x_j·c1_k` for each ciphertext, each with a DLEQ proof bound
    /// to the DKG session, the party and the whole ciphertext.
    pub fn partial_decrypt<R: RngCore + CryptoRng>(
        &self,
        group: &GroupKey,
        cts: &[Ciphertext],
        rng: &mut R,
    ) -> PartialDecryption {
        let g = EdwardsProjective::generator();
        let x = self.verification_key();
        let shares = cts
            .iter()
            .map(|ct| {
                let k = Scalar::rand(rng);
                let pts =
                    EdwardsProjective::normalize_batch(&[ct.c1 * self.secret, g * k, ct.c1 * k]);
                let (d, a1, a2) = (pts[0], pts[1], pts[2]);
                let c = dleq_challenge(
                    &group.params,
                    &group.public_key,
                    self.index,
                    &x,
                    ct,
                    &d,
                    &a1,
                    &a2,
                );
                DecryptionShare {
                    d,
                    proof: DleqProof {
                        challenge: c,
                        response: k + c * self.secret,
                    },
                }
            })
            .collect();
        PartialDecryption {
            party: self.index,
            shares,
        }
    }
}

/// Lagrange coefficients at 0 for distinct non-zero points `xs`, over the subgroup's field.
pub(super) fn lagrange_at_zero(xs: &[u32]) -> Result<Vec<Scalar>> {
    xs.iter()
        .map(|&xi| {
            let (mut num, mut den) = (Scalar::one(), Scalar::one());
            for &xj in xs.iter().filter(|&&xj| xj != xi) {
                num *= Scalar::from(xj);
                den *= Scalar::from(xj) - Scalar::from(xi);
            }
            den.inverse().map(|inv| num * inv).ok_or_else(|| {
                Error::Parameters("Lagrange points must be distinct and non-zero".into())
            })
        })
        .collect()
}

impl GroupKey {
    pub(super) fn new(
        params: DkgParams,
        h: EdwardsAffine,
        verification_keys: Vec<EdwardsAffine>,
        qualification: Qualification,
    ) -> Self {
        Self {
            params,
            public_key: PublicKey(h),
            verification_keys,
            qualification,
        }
    }

    /// The joint encryption key `H`.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The DKG parameters (`n`, `t`, session id).
    pub fn params(&self) -> &DkgParams {
        &self.params
    }

    /// Threshold `t`.
    pub fn threshold(&self) -> usize {
        self.params.t() as usize
    }

    /// Party `j`'s verification key `X_j`, if `j` is in `1..=n`.
    pub fn verification_key(&self, j: u32) -> Option<EdwardsAffine> {
        let idx = usize::try_from(j).ok()?.checked_sub(1)?;
        self.verification_keys.get(idx).copied()
    }

    /// Which dealers qualified, and why the others did not.
    pub fn qualification(&self) -> &Qualification {
        &self.qualification
    }

    /// Verifies a party's partial decryption of `cts`: one share per ciphertext, each with
    /// a valid DLEQ proof against the party's verification key.
    pub fn verify_partial(&self, cts: &[Ciphertext], p: &PartialDecryption) -> Result<()> {
        let invalid = |reason: String| Error::InvalidDecryptionShare {
            party: p.party,
            reason,
        };
        let x = self
            .verification_key(p.party)
            .ok_or_else(|| invalid(format!("party index not in 1..={}", self.params.n())))?;
        if p.shares.len() != cts.len() {
            return Err(invalid(format!(
                "{} shares for {} ciphertexts",
                p.shares.len(),
                cts.len()
            )));
        }
        let g = EdwardsProjective::generator();
        for (k, (ct, s)) in cts.iter().zip(&p.shares).enumerate() {
            let (c, z) = (s.proof.challenge, s.proof.response);
            let pts = EdwardsProjective::normalize_batch(&[g * z - x * c, ct.c1 * z - s.d * c]);
            if dleq_challenge(
                &self.params,
                &self.public_key,
                p.party,
                &x,
                ct,
                &s.d,
                &pts[0],
                &pts[1],
            ) != c
            {
                return Err(invalid(format!(
                    "proof of correct decryption fails for ciphertext {k}"
                )));
            }
        }
        Ok(())
    }

    /// Verifies the partial decryptions and combines the first `t` valid ones into the
    /// plaintext points `M_k = c2_k - x·c1_k = m_k·G`. Invalid or duplicate partials are
    /// skipped and reported; fewer than `t` valid ones is an error naming the rejected
    /// parties.
    pub fn combine_points(
        &self,
        cts: &[Ciphertext],
        partials: &[PartialDecryption],
    ) -> Result<(Vec<EdwardsAffine>, Vec<u32>, Vec<Rejected>)> {
        let t = self.threshold();
        let mut valid: Vec<&PartialDecryption> = Vec::with_capacity(t);
        let mut seen = BTreeSet::new();
        let mut rejected = Vec::new();
        for p in partials {
            if valid.len() == t {
                break;
            }
            if !seen.insert(p.party) {
                rejected.push(Rejected {
                    party: p.party,
                    reason: Error::InvalidDecryptionShare {
                        party: p.party,
                        reason: "duplicate partial decryption from the same party".into(),
                    },
                });
                continue;
            }
            match self.verify_partial(cts, p) {
                Ok(()) => valid.push(p),
                Err(reason) => rejected.push(Rejected {
                    party: p.party,
                    reason,
                }),
            }
        }
        if valid.len() < t {
            return Err(Error::TooFewValidShares {
                needed: t,
                valid: valid.len(),
                rejected: rejected.iter().map(|r| r.party).collect(),
            });
        }
        let used: Vec<u32> = valid.iter().map(|p| p.party).collect();
        let lambdas = lagrange_at_zero(&used)?;
        let mut ms = Vec::with_capacity(cts.len());
        let mut bases = Vec::with_capacity(t);
        for (k, ct) in cts.iter().enumerate() {
            bases.clear();
            bases.extend(valid.iter().map(|p| p.shares[k].d));
            let xc1 = EdwardsProjective::msm(&bases, &lambdas).map_err(|_| {
                Error::Parameters("internal: Lagrange coefficient count mismatch".into())
            })?;
            ms.push(ct.c2.into_group() - xc1);
        }
        Ok((EdwardsProjective::normalize_batch(&ms), used, rejected))
    }

    /// Threshold-decrypts `cts`: verifies the partial decryptions (skipping and reporting
    /// invalid ones), combines `t` valid ones and solves the discrete logs with `table`.
    pub fn combine(
        &self,
        cts: &[Ciphertext],
        partials: &[PartialDecryption],
        table: &BsgsTable,
    ) -> Result<Decryption> {
        let (points, used, rejected) = self.combine_points(cts, partials)?;
        let values = table.solve_batch(&points)?;
        Ok(Decryption {
            values,
            used,
            rejected,
        })
    }
}

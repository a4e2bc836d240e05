//! Exponential ElGamal: keys, ciphertexts, encryption and homomorphic operations.

use super::fixed_base::{self, FixedBase};
use super::wire::{self, POINT_BYTES};
use super::{EdwardsAffine, EdwardsProjective, Error, Result, Scalar};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::UniformRand;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::ops::{Add, Neg, Sub};

/// `k · p` for a small signed integer, using only as many doublings as `|k|` has bits.
pub(super) fn mul_small(p: &EdwardsAffine, k: i64) -> EdwardsProjective {
    let r = p.mul_bigint([k.unsigned_abs()]);
    if k < 0 { -r } else { r }
}

/// `m · G` for a signed message.
pub(super) fn encode_message(m: i64) -> EdwardsProjective {
    fixed_base::generator().mul_i64(m)
}

/// A public encryption key `H = x·G` (for the threshold scheme, the DKG's joint key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey(#[serde(with = "wire::point")] pub EdwardsAffine);

impl PublicKey {
    /// Bytes of an encoded key.
    pub const BYTES: usize = POINT_BYTES;

    /// The key's point `H`.
    pub fn point(&self) -> EdwardsAffine {
        self.0
    }

    /// The canonical 32-byte encoding (compressed point).
    pub fn to_bytes(&self) -> [u8; POINT_BYTES] {
        wire::point_to_bytes(&self.0)
    }

    /// Decodes a key, rejecting non-points and points outside the prime-order subgroup.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        wire::point_from_bytes(bytes, "public key").map(Self)
    }

    /// Encrypts a signed message: `(rG, mG + rH)` with fresh `r`; `-m` encodes as `-m·G`.
    /// For many encryptions under one key, [`PublicKey::precompute`] is several times faster.
    pub fn encrypt_i64<R: RngCore + CryptoRng>(&self, m: i64, rng: &mut R) -> Ciphertext {
        let r = Scalar::rand(rng);
        self.encrypt_with_randomness(m, r)
    }

    /// Encrypts an unsigned message (must be below 2^63 to be decryptable as an `i64`).
    pub fn encrypt_u64<R: RngCore + CryptoRng>(&self, m: u64, rng: &mut R) -> Ciphertext {
        let r = Scalar::rand(rng);
        let g = fixed_base::generator();
        Ciphertext::from_projective(g.mul(&r), g.mul_u64(m) + self.0 * r)
    }

    /// Encrypts with caller-chosen randomness (for proofs and test vectors; never reuse `r`).
    pub fn encrypt_with_randomness(&self, m: i64, r: Scalar) -> Ciphertext {
        let g = fixed_base::generator();
        Ciphertext::from_projective(g.mul(&r), g.mul_i64(m) + self.0 * r)
    }

    /// Precomputes multiples of `H` (~0.5 MB, a few milliseconds) for fast encryption.
    pub fn precompute(&self) -> EncryptionKey {
        EncryptionKey {
            pk: *self,
            h: FixedBase::new(&self.0),
        }
    }
}

/// A public key with precomputed fixed-base tables: encryption costs ~70 point additions
/// instead of two full scalar multiplications. Build once per key and reuse.
#[derive(Clone)]
pub struct EncryptionKey {
    pk: PublicKey,
    h: FixedBase,
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("EncryptionKey").field(&self.pk).finish()
    }
}

impl EncryptionKey {
    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.pk
    }

    /// Encrypts a signed message, as [`PublicKey::encrypt_i64`].
    pub fn encrypt_i64<R: RngCore + CryptoRng>(&self, m: i64, rng: &mut R) -> Ciphertext {
        let r = Scalar::rand(rng);
        let g = fixed_base::generator();
        Ciphertext::from_projective(g.mul(&r), g.mul_i64(m) + self.h.mul(&r))
    }

    /// Encrypts an unsigned message, as [`PublicKey::encrypt_u64`].
    pub fn encrypt_u64<R: RngCore + CryptoRng>(&self, m: u64, rng: &mut R) -> Ciphertext {
        let r = Scalar::rand(rng);
        let g = fixed_base::generator();
        Ciphertext::from_projective(g.mul(&r), g.mul_u64(m) + self.h.mul(&r))
    }

    /// Encrypts each element of `ms` with fresh randomness.
    pub fn encrypt_vec<R: RngCore + CryptoRng>(&self, ms: &[i64], rng: &mut R) -> Vec<Ciphertext> {
        ms.iter().map(|&m| self.encrypt_i64(m, rng)).collect()
    }

    /// Encrypts each element of `ms` with fresh randomness, and proves knowledge of that
    /// randomness bound to `context` ([`super::knowledge`]).
    pub fn encrypt_vec_proven<R: RngCore + CryptoRng>(
        &self,
        ms: &[i64],
        context: &[u8],
        rng: &mut R,
    ) -> (Vec<Ciphertext>, super::knowledge::RandomnessProof) {
        let g = fixed_base::generator();
        let rs: Vec<Scalar> = ms.iter().map(|_| Scalar::rand(rng)).collect();
        let cts: Vec<Ciphertext> = ms
            .iter()
            .zip(&rs)
            .map(|(&m, r)| Ciphertext::from_projective(g.mul(r), g.mul_i64(m) + self.h.mul(r)))
            .collect();
        let proof = super::knowledge::prove(&cts, &rs, context, rng);
        (cts, proof)
    }
}

/// Encrypts each element of `ms` under `pk` with fresh randomness (precomputing the key's
/// table first when the vector is long enough to pay for it).
pub fn encrypt_vec<R: RngCore + CryptoRng>(
    pk: &PublicKey,
    ms: &[i64],
    rng: &mut R,
) -> Vec<Ciphertext> {
    if ms.len() >= 64 {
        return pk.precompute().encrypt_vec(ms, rng);
    }
    ms.iter().map(|&m| pk.encrypt_i64(m, rng)).collect()
}

/// An exponential ElGamal ciphertext `(c1, c2) = (rG, mG + rH)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ciphertext {
    /// `r·G`.
    #[serde(with = "wire::point")]
    pub c1: EdwardsAffine,
    /// `m·G + r·H`.
    #[serde(with = "wire::point")]
    pub c2: EdwardsAffine,
}

impl Ciphertext {
    /// Bytes of an encoded ciphertext (two compressed points).
    pub const BYTES: usize = 2 * POINT_BYTES;

    /// The trivial encryption of zero `(0, 0)`, the neutral element of addition.
    pub fn zero() -> Self {
        Self {
            c1: EdwardsAffine::zero(),
            c2: EdwardsAffine::zero(),
        }
    }

    fn from_projective(c1: EdwardsProjective, c2: EdwardsProjective) -> Self {
        let n = EdwardsProjective::normalize_batch(&[c1, c2]);
        Self { c1: n[0], c2: n[1] }
    }

    /// Multiplies the plaintext by a public integer `k` (negative allowed).
    pub fn scale(&self, k: i64) -> Self {
        let (c1, c2) = scale_projective(self, k);
        Self::from_projective(c1, c2)
    }

    /// Adds a public plaintext `m` without re-randomizing: `(c1, c2 + mG)`.
    pub fn add_plain(&self, m: i64) -> Self {
        Self::from_projective(self.c1.into_group(), self.c2 + encode_message(m))
    }

    /// Re-randomizes the ciphertext (same plaintext, unlinkable randomness).
    pub fn rerandomize<R: RngCore + CryptoRng>(&self, pk: &PublicKey, rng: &mut R) -> Self {
        *self + pk.encrypt_i64(0, rng)
    }

    /// The canonical 64-byte encoding: compressed `c1` then compressed `c2`.
    pub fn to_bytes(&self) -> [u8; Self::BYTES] {
        let mut out = [0u8; Self::BYTES];
        out[..POINT_BYTES].copy_from_slice(&wire::point_to_bytes(&self.c1));
        out[POINT_BYTES..].copy_from_slice(&wire::point_to_bytes(&self.c2));
        out
    }

    /// `[c1.x, c1.y, c2.x, c2.y]`: affine coordinates, elements of BN254's `Fr`. This is the
    /// layout the `he-linear` circuit, its commitments and the job wire format use.
    pub fn to_coordinates(&self) -> [crate::Fr; 4] {
        [self.c1.x, self.c1.y, self.c2.x, self.c2.y]
    }

    /// From [`Self::to_coordinates`], rejecting points off the curve or outside the
    /// prime-order subgroup.
    pub fn from_coordinates(c: [crate::Fr; 4]) -> Result<Self> {
        Ok(Self {
            c1: wire::point_from_coordinates(c[0], c[1], "ciphertext c1")?,
            c2: wire::point_from_coordinates(c[2], c[3], "ciphertext c2")?,
        })
    }

    /// Decodes a ciphertext, rejecting bytes whose points are off the curve, outside the
    /// prime-order subgroup, or non-canonically encoded.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != Self::BYTES {
            return Err(Error::ByteLength {
                what: "ciphertext",
                expected: Self::BYTES,
                got: bytes.len(),
            });
        }
        Ok(Self {
            c1: wire::point_from_bytes(&bytes[..POINT_BYTES], "ciphertext c1")?,
            c2: wire::point_from_bytes(&bytes[POINT_BYTES..], "ciphertext c2")?,
        })
    }
}

/// `(k·c1, k·c2)` in projective form.
pub(super) fn scale_projective(ct: &Ciphertext, k: i64) -> (EdwardsProjective, EdwardsProjective) {
    if k == 1 {
        (ct.c1.into_group(), ct.c2.into_group())
    } else {
        (mul_small(&ct.c1, k), mul_small(&ct.c2, k))
    }
}

impl Add for Ciphertext {
    type Output = Ciphertext;
    fn add(self, o: Ciphertext) -> Ciphertext {
        Ciphertext::from_projective(self.c1 + o.c1, self.c2 + o.c2)
    }
}

impl Sub for Ciphertext {
    type Output = Ciphertext;
    fn sub(self, o: Ciphertext) -> Ciphertext {
        Ciphertext::from_projective(self.c1 - o.c1, self.c2 - o.c2)
    }
}

impl Neg for Ciphertext {
    type Output = Ciphertext;
    fn neg(self) -> Ciphertext {
        Ciphertext {
            c1: -self.c1,
            c2: -self.c2,
        }
    }
}

/// Encodes a ciphertext vector as the concatenation of the 64-byte encodings.
pub fn encode_vec(cts: &[Ciphertext]) -> Vec<u8> {
    cts.iter().flat_map(|c| c.to_bytes()).collect()
}

/// Decodes a concatenation of 64-byte ciphertext encodings, validating every point.
pub fn decode_vec(bytes: &[u8]) -> Result<Vec<Ciphertext>> {
    if !bytes.len().is_multiple_of(Ciphertext::BYTES) {
        return Err(Error::ByteLength {
            what: "ciphertext vector (a multiple of 64 bytes)",
            expected: bytes.len() / Ciphertext::BYTES * Ciphertext::BYTES,
            got: bytes.len(),
        });
    }
    bytes
        .chunks_exact(Ciphertext::BYTES)
        .map(Ciphertext::from_bytes)
        .collect()
}

/// Elementwise sum of two ciphertext vectors of equal length.
pub fn add_vec(a: &[Ciphertext], b: &[Ciphertext]) -> Result<Vec<Ciphertext>> {
    if a.len() != b.len() {
        return Err(Error::LengthMismatch {
            what: "ciphertext vector",
            expected: a.len(),
            got: b.len(),
        });
    }
    Ok(a.iter().zip(b).map(|(x, y)| *x + *y).collect())
}

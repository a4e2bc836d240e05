//! Fiat-Shamir challenges with blake3: each proof type has its own derive-key context
//! (blake3's domain separation), and every field is length-prefixed so no two different
//! transcripts hash the same bytes.

use super::{EdwardsAffine, Scalar};
use ark_ff::PrimeField;
use ark_serialize::CanonicalSerialize;

/// Domain of the dealer's Schnorr proof of knowledge of its constant coefficient.
pub(super) const DOMAIN_POK: &str = "arcanum elgamal v1 dkg schnorr proof of knowledge";
/// Domain of the Chaum-Pedersen proof of a correct decryption share.
pub(super) const DOMAIN_DLEQ: &str = "arcanum elgamal v1 decryption share dleq proof";
/// Domain of a contributor's proof of knowledge of its encryption randomness.
pub(super) const DOMAIN_RANDOMNESS: &str = "arcanum elgamal v1 encryption randomness knowledge";

/// A hash transcript ending in a challenge scalar.
#[derive(Clone)]
pub(super) struct Transcript(blake3::Hasher);

impl Transcript {
    pub(super) fn new(domain: &str) -> Self {
        Self(blake3::Hasher::new_derive_key(domain))
    }

    pub(super) fn bytes(&mut self, label: &[u8], bytes: &[u8]) -> &mut Self {
        self.0.update(&(label.len() as u64).to_le_bytes());
        self.0.update(label);
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    pub(super) fn u64(&mut self, label: &[u8], v: u64) -> &mut Self {
        self.bytes(label, &v.to_le_bytes())
    }

    pub(super) fn point(&mut self, label: &[u8], p: &EdwardsAffine) -> &mut Self {
        let mut buf = [0u8; 32];
        // Serializing into a 32-byte buffer cannot fail: a compressed point is 32 bytes.
        let _ = p.serialize_compressed(&mut buf[..]);
        self.bytes(label, &buf)
    }

    /// The challenge: 64 bytes of XOF output reduced modulo the group order (bias < 2^-250).
    pub(super) fn challenge(&self) -> Scalar {
        let mut out = [0u8; 64];
        self.0.finalize_xof().fill(&mut out);
        Scalar::from_le_bytes_mod_order(&out)
    }
}

//! Byte encoding of `Fr` vectors as they travel between contributors, clerks and the
//! aggregator: 32 bytes per element, little endian, canonical (values at or above the
//! modulus are refused, never reduced, so one vector has exactly one encoding).

use crate::{Error, Fr, Result};
use ark_ff::{BigInt, PrimeField};

/// Bytes per encoded element.
pub const FR_BYTES: usize = 32;

/// Encodes `values`, 32 little-endian bytes each.
pub fn encode(values: &[Fr]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * FR_BYTES);
    for v in values {
        for limb in v.into_bigint().0 {
            out.extend_from_slice(&limb.to_le_bytes());
        }
    }
    out
}

/// Decodes one element from exactly 32 bytes.
pub fn decode_one(bytes: &[u8; FR_BYTES]) -> Result<Fr> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(word);
    }
    Fr::from_bigint(BigInt::new(limbs)).ok_or(Error::NotCanonical)
}

/// Iterates over the elements of an encoded vector of `len` elements.
pub fn decode_iter(bytes: &[u8], len: usize) -> Result<impl Iterator<Item = Result<Fr>> + '_> {
    if bytes.len() != len * FR_BYTES {
        return Err(Error::Length {
            expected: len * FR_BYTES,
            got: bytes.len(),
        });
    }
    Ok(bytes.chunks_exact(FR_BYTES).map(|c| {
        let mut a = [0u8; FR_BYTES];
        a.copy_from_slice(c);
        decode_one(&a)
    }))
}

/// Decodes a vector of `len` elements.
pub fn decode(bytes: &[u8], len: usize) -> Result<Vec<Fr>> {
    decode_iter(bytes, len)?.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn round_trips_and_refuses_non_canonical_bytes() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let v: Vec<Fr> = (0..5).map(|_| Fr::rand(&mut rng)).collect();
        let bytes = encode(&v);
        assert_eq!(bytes.len(), 5 * FR_BYTES);
        assert_eq!(decode(&bytes, 5).expect("decode"), v);
        assert!(matches!(decode(&bytes, 4), Err(Error::Length { .. })));
        // The modulus itself (and anything above) has no canonical meaning.
        let mut modulus = Vec::new();
        for limb in Fr::MODULUS.0 {
            modulus.extend_from_slice(&limb.to_le_bytes());
        }
        assert!(matches!(decode(&modulus, 1), Err(Error::NotCanonical)));
        assert!(matches!(decode(&[0xff; 32], 1), Err(Error::NotCanonical)));
    }
}

//! Conversions between protocol values ([`U256`], addresses, job ids) and BN254 `Fr`.

use crate::{Error, Fr, Result};
use arcanum_protocol::{Address, JobId, U256};
use ark_ff::{BigInteger, PrimeField};

/// Decodes a `U256` into `Fr`, refusing values at or above the modulus (never reduces).
pub fn fr_from_u256(v: U256) -> Result<Fr> {
    Fr::from_bigint(ark_ff::BigInt::new(v.into_limbs()))
        .ok_or_else(|| Error::NotInField(v.to_string()))
}

/// Encodes an `Fr` as the `U256` a contract receives.
pub fn fr_to_u256(f: Fr) -> U256 {
    U256::from_limbs(f.into_bigint().0)
}

/// Any base field element (BN254 Fq) as a `U256`.
pub fn fq_to_u256(f: ark_bn254::Fq) -> U256 {
    U256::from_limbs(f.into_bigint().0)
}

/// A job id as the proof's first public input.
pub fn job_id_to_fr(id: JobId) -> Result<Fr> {
    fr_from_u256(id.0)
}

/// An Ethereum address as the proof's second public input (`uint256(uint160(addr))`).
pub fn address_to_fr(a: Address) -> Fr {
    Fr::from_be_bytes_mod_order(a.as_slice())
}

/// Decodes a vector of `U256` into `Fr`.
pub fn vec_from_u256(v: &[U256]) -> Result<Vec<Fr>> {
    v.iter().copied().map(fr_from_u256).collect()
}

/// Encodes a vector of `Fr` as `U256`.
pub fn vec_to_u256(v: &[Fr]) -> Vec<U256> {
    v.iter().copied().map(fr_to_u256).collect()
}

/// Big-endian 32 bytes of a field element.
pub fn fr_to_be_bytes(f: Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&f.into_bigint().to_bytes_be());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use arcanum_protocol::FR_MODULUS;

    #[test]
    fn round_trip_and_modulus_bound() {
        let f = Fr::from(123_456_789u64);
        assert_eq!(fr_from_u256(fr_to_u256(f)).expect("in field"), f);
        assert_eq!(fr_to_u256(-Fr::from(1u64)), FR_MODULUS - U256::from(1u64));
        assert!(fr_from_u256(FR_MODULUS).is_err());
        assert!(fr_from_u256(U256::MAX).is_err());
    }

    #[test]
    fn address_is_uint160() {
        let a: Address = "0x00000000000000000000000000000000000000ff"
            .parse()
            .expect("addr");
        assert_eq!(address_to_fr(a), Fr::from(255u64));
    }
}

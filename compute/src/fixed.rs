//! Signed fixed-point encoding into `Fr`: `x` becomes `round(x · 2^scale_bits)`, negative
//! values wrapping to `r - |v|`. Sums of up to `2^(253 - bound_bits)` encoded values decode
//! correctly; decoding treats values above `(r - 1) / 2` as negative.

use crate::{Error, Fr, Result};
use ark_ff::{BigInteger, PrimeField};

/// A fixed-point codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedPoint {
    /// Fractional bits.
    pub scale_bits: u32,
    /// Magnitude bound of one encoded value, in bits (at most 126).
    pub bound_bits: u32,
}

impl Default for FixedPoint {
    fn default() -> Self {
        Self {
            scale_bits: 16,
            bound_bits: 64,
        }
    }
}

impl FixedPoint {
    /// Encodes one value.
    pub fn encode(&self, value: f64) -> Result<Fr> {
        if !value.is_finite() {
            return Err(Error::NotFinite(value));
        }
        let scaled = (value * f64::from(self.scale_bits).exp2()).round();
        let bound = f64::from(self.bound_bits.min(126)).exp2();
        if scaled.abs() >= bound {
            return Err(Error::Overflow {
                value,
                scale_bits: self.scale_bits,
                bound_bits: self.bound_bits,
            });
        }
        let magnitude = Fr::from(scaled.abs() as u128);
        Ok(if scaled < 0.0 { -magnitude } else { magnitude })
    }

    /// Encodes a vector.
    pub fn encode_vec(&self, values: &[f64]) -> Result<Vec<Fr>> {
        values.iter().map(|v| self.encode(*v)).collect()
    }

    /// Decodes one value (possibly a sum of encoded values).
    pub fn decode(&self, f: Fr) -> f64 {
        let half = Fr::MODULUS_MINUS_ONE_DIV_TWO;
        let (negative, magnitude) = if f.into_bigint() > half {
            (true, -f)
        } else {
            (false, f)
        };
        let m = big_to_f64(magnitude);
        let v = m / f64::from(self.scale_bits).exp2();
        if negative { -v } else { v }
    }

    /// Decodes a vector.
    pub fn decode_vec(&self, fs: &[Fr]) -> Vec<f64> {
        fs.iter().map(|f| self.decode(*f)).collect()
    }

    /// An encoded value as the signed integer it stands for (what an ElGamal plaintext
    /// carries); `None` outside `i64`.
    pub fn to_i64(f: Fr) -> Option<i64> {
        let (negative, magnitude) = if f.into_bigint() > Fr::MODULUS_MINUS_ONE_DIV_TWO {
            (true, -f)
        } else {
            (false, f)
        };
        let limbs = magnitude.into_bigint().0;
        if limbs[1..].iter().any(|l| *l != 0) || limbs[0] > i64::MAX as u64 {
            return None;
        }
        let m = limbs[0] as i64;
        Some(if negative { -m } else { m })
    }

    /// Decodes a signed integer (a sum of [`FixedPoint::to_i64`] values).
    pub fn decode_i64(&self, v: i64) -> f64 {
        v as f64 / f64::from(self.scale_bits).exp2()
    }
}

fn big_to_f64(f: Fr) -> f64 {
    f.into_bigint()
        .to_bits_be()
        .iter()
        .fold(0.0, |acc, b| acc * 2.0 + if *b { 1.0 } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_signed_values_and_sums() {
        let fp = FixedPoint::default();
        for v in [0.0, 1.5, -1.5, 1234.25, -0.000_015_258_789_062_5, -98765.5] {
            assert_eq!(fp.decode(fp.encode(v).expect("fits")), v);
        }
        let xs = [1.25, -3.5, 2.0, -0.75];
        let sum: Fr = xs.iter().map(|v| fp.encode(*v).expect("fits")).sum();
        assert_eq!(fp.decode(sum), -1.0);
    }

    #[test]
    fn integers_round_trip_and_out_of_range_is_none() {
        let fp = FixedPoint::default();
        for v in [0.0, 1.5, -1.5, -98765.5] {
            let i = FixedPoint::to_i64(fp.encode(v).expect("fits")).expect("in i64");
            assert_eq!(fp.decode_i64(i), v);
        }
        assert_eq!(FixedPoint::to_i64(-Fr::from(7u64)), Some(-7));
        assert_eq!(FixedPoint::to_i64(Fr::from(u64::MAX)), None);
        assert_eq!(FixedPoint::to_i64(-Fr::from(u64::MAX)), None);
    }

    #[test]
    fn overflow_and_nan_are_errors() {
        let fp = FixedPoint {
            scale_bits: 16,
            bound_bits: 32,
        };
        assert!(matches!(fp.encode(70_000.0), Err(Error::Overflow { .. })));
        assert!(fp.encode(30_000.0).is_ok());
        assert!(matches!(fp.encode(f64::NAN), Err(Error::NotFinite(_))));
        let msg = fp.encode(1e9).expect_err("overflow").to_string();
        assert!(msg.contains("lower the scale"));
    }
}

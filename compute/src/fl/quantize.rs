//! Stochastic rounding of real vectors to integers at scale `2^bits`, and their encoding into
//! `Fr` for secure aggregation (through [`crate::fixed::FixedPoint`]).

use super::FlError;
use crate::{Fr, fixed::FixedPoint};
use rand::{Rng, RngCore};

/// Largest magnitude of one quantized coordinate (so that sums of many still decode).
pub const MAX_QUANTIZED: f64 = 4_503_599_627_370_496.0; // 2^52

/// Rounds `x * 2^bits` to one of its two neighbouring integers, up with probability equal
/// to the fractional part: unbiased, error below one unit.
pub fn stochastic_round(
    values: &[f64],
    bits: u32,
    rng: &mut impl RngCore,
) -> Result<Vec<i64>, FlError> {
    let scale = f64::from(bits).exp2();
    values
        .iter()
        .map(|v| {
            let s = v * scale;
            if !s.is_finite() || s.abs() >= MAX_QUANTIZED {
                return Err(FlError::Range(format!(
                    "update value {v} at scale 2^{bits} does not fit 52 bits; lower \
                     quant_bits or clip the update"
                )));
            }
            let f = s.floor();
            let up = rng.r#gen::<f64>() < s - f;
            Ok(f as i64 + i64::from(up))
        })
        .collect()
}

/// Integers into `Fr` (negative values wrap to `r - |v|`).
pub fn encode(ints: &[i64]) -> Result<Vec<Fr>, FlError> {
    let codec = FixedPoint {
        scale_bits: 0,
        bound_bits: 62,
    };
    ints.iter()
        .map(|v| codec.encode(*v as f64).map_err(FlError::from))
        .collect()
}

/// A (summed) vector in `Fr` back to reals, dividing by `2^bits`.
pub fn decode(values: &[Fr], bits: u32) -> Vec<f64> {
    FixedPoint {
        scale_bits: bits,
        bound_bits: 62,
    }
    .decode_vec(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn quantize_dequantize_error_is_below_one_unit_and_unbiased() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let bits = 10;
        let xs: Vec<f64> = (0..5000).map(|_| rng.gen_range(-3.0..3.0)).collect();
        let q = stochastic_round(&xs, bits, &mut rng).expect("fits");
        let back = decode(&encode(&q).expect("encode"), bits);
        let unit = 1.0 / 1024.0;
        let mut bias = 0.0;
        for (x, b) in xs.iter().zip(&back) {
            assert!((x - b).abs() < unit, "{x} -> {b}");
            bias += b - x;
        }
        // Mean error of 5000 independent roundings: std unit / sqrt(12 * 5000).
        assert!((bias / 5000.0).abs() < 5.0 * unit / (12.0f64 * 5000.0).sqrt());
        // A value on the grid is exact.
        assert_eq!(
            stochastic_round(&[0.5, -2.25], 2, &mut rng).expect("fits"),
            vec![2, -9]
        );
    }

    #[test]
    fn out_of_range_is_an_error_that_says_what_to_do() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let err = stochastic_round(&[1e12], 30, &mut rng).expect_err("too big");
        assert!(err.to_string().contains("lower quant_bits"));
        assert!(stochastic_round(&[f64::NAN], 3, &mut rng).is_err());
    }
}

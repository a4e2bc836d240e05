//! Exact discrete Gaussian sampling (Canonne, Kamath, Steinke 2020, "The Discrete Gaussian
//! for Differential Privacy", Algorithms 1-3) driven by a caller-supplied RNG.
//!
//! Why not OpenDP's sampler: `opendp::traits::samplers::sample_discrete_gaussian` draws its
//! randomness from OpenSSL or `rand::thread_rng` and cannot be seeded, so rounds could not be
//! replayed in tests or audited. This sampler follows the same algorithm with integer
//! rational arithmetic in `u128` and takes the RNG as an argument (use an OS-seeded CSPRNG in
//! production, a seeded `ChaCha20Rng` in tests).
//!
//! Exactness: all Bernoulli draws are exact (`Bernoulli(n/d)` is `uniform[0, d) < n`). Two
//! deliberate deviations, both documented on [`DiscreteGaussian::new`]: the variance
//! `sigma^2` is rounded to a multiple of `2^-k` (`k` up to 20, chosen so the arithmetic fits
//! `u128`), and Laplace candidates with `|y| > 64 sigma + 64` are rejected without the final
//! Bernoulli test, which changes the output distribution by less than `e^-1900` in total
//! variation.

use super::DpError;
use rand::{Rng, RngCore};

/// A discrete Gaussian `N_Z(0, sigma^2)` sampler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscreteGaussian {
    /// `sigma^2 = var_num / var_den`.
    var_num: u128,
    var_den: u128,
    /// Laplace scale `t = floor(sigma) + 1`.
    t: u128,
    /// Largest candidate magnitude tested exactly.
    y_max: u128,
}

impl DiscreteGaussian {
    /// A sampler with standard deviation parameter `sigma` (`sigma > 0`, at most `2^30`).
    ///
    /// `sigma^2` is represented as `a / 2^k` with the largest `k <= 20` for which the
    /// acceptance test fits `u128`; the relative error of the variance is below
    /// `2^-k / sigma^2`.
    pub fn new(sigma: f64) -> Result<Self, DpError> {
        if !(sigma.is_finite() && sigma > 0.0 && sigma <= 1_073_741_824.0) {
            return Err(DpError::Parameter(format!(
                "discrete Gaussian sigma must be in (0, 2^30], got {sigma}; lower the \
                 quantization scale or the noise multiplier"
            )));
        }
        let t = sigma.floor() as u128 + 1;
        let y_max = 64 * t + 64;
        for k in (0..=20u32).rev() {
            let den = 1u128 << k;
            let num = (sigma * sigma * den as f64).round() as u128;
            if num == 0 {
                continue;
            }
            // Largest intermediate values in `accept`: (y t den + num)^2 and 2 num den t^2.
            let fits = y_max
                .checked_mul(t)
                .and_then(|v| v.checked_mul(den))
                .and_then(|v| v.checked_add(num))
                .and_then(|v| v.checked_mul(v))
                .is_some()
                && num
                    .checked_mul(2 * den)
                    .and_then(|v| v.checked_mul(t))
                    .and_then(|v| v.checked_mul(t))
                    .is_some();
            if fits {
                return Ok(Self {
                    var_num: num,
                    var_den: den,
                    t,
                    y_max,
                });
            }
        }
        Err(DpError::Parameter(format!(
            "discrete Gaussian sigma {sigma} is too large for exact u128 arithmetic; lower \
             the quantization scale"
        )))
    }

    /// The variance parameter `sigma^2` actually used (after rounding).
    pub fn variance(&self) -> f64 {
        self.var_num as f64 / self.var_den as f64
    }

    /// One sample.
    pub fn sample(&self, rng: &mut impl RngCore) -> i64 {
        loop {
            let y = discrete_laplace(self.t, rng);
            let mag = y.unsigned_abs() as u128;
            if mag > self.y_max {
                continue;
            }
            // gamma = (|y| - sigma^2 / t)^2 / (2 sigma^2)
            //       = (|y| t den - num)^2 / (2 num den t^2)
            let a = mag * self.t * self.var_den;
            let diff = a.abs_diff(self.var_num);
            let num = diff * diff;
            let den = 2 * self.var_num * self.var_den * self.t * self.t;
            if bernoulli_exp(num, den, rng) {
                return y;
            }
        }
    }

    /// `n` samples.
    pub fn sample_vec(&self, n: usize, rng: &mut impl RngCore) -> Vec<i64> {
        (0..n).map(|_| self.sample(rng)).collect()
    }
}

/// Bernoulli(`num / den`), `num <= den`, `den > 0`.
fn bernoulli(num: u128, den: u128, rng: &mut impl RngCore) -> bool {
    rng.gen_range(0..den) < num
}

/// Bernoulli(exp(-num/den)) for `num/den` in `[0, 1]` (CKS20 Algorithm 1, first part).
/// `Bernoulli(gamma / k)` is drawn as `Bernoulli(gamma) and Bernoulli(1 / k)`.
fn bernoulli_exp_le1(num: u128, den: u128, rng: &mut impl RngCore) -> bool {
    let mut k: u128 = 1;
    loop {
        if bernoulli(num, den, rng) && bernoulli(1, k, rng) {
            k += 1;
        } else {
            return k % 2 == 1;
        }
    }
}

/// Bernoulli(exp(-num/den)) for any `num/den >= 0` (CKS20 Algorithm 1).
fn bernoulli_exp(mut num: u128, den: u128, rng: &mut impl RngCore) -> bool {
    while num > den {
        if !bernoulli_exp_le1(1, 1, rng) {
            return false;
        }
        num -= den;
    }
    bernoulli_exp_le1(num, den, rng)
}

/// Discrete Laplace with integer scale `t >= 1`: `P[y] ∝ exp(-|y| / t)` (CKS20 Algorithm 2
/// with `s = 1`).
fn discrete_laplace(t: u128, rng: &mut impl RngCore) -> i64 {
    loop {
        let u = rng.gen_range(0..t);
        if !bernoulli_exp(u, t, rng) {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp_le1(1, 1, rng) {
            v += 1;
        }
        let x = u + t * v;
        let negative = rng.gen_bool(0.5);
        if negative && x == 0 {
            continue;
        }
        let x = i64::try_from(x).unwrap_or(i64::MAX);
        return if negative { -x } else { x };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn moments(sigma: f64, n: usize, seed: u64) -> (f64, f64) {
        let dg = DiscreteGaussian::new(sigma).expect("sigma");
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let xs = dg.sample_vec(n, &mut rng);
        let mean = xs.iter().map(|x| *x as f64).sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (*x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        (mean, var)
    }

    #[test]
    fn mean_zero_and_variance_sigma_squared() {
        // n = 40_000: the sample mean has std sigma/200, the sample variance a relative std
        // of sqrt(2/n) = 0.7%. Tolerances are 5 standard errors.
        for (sigma, seed) in [(3.0, 1), (40.5, 2), (1.0e5, 3)] {
            let (mean, var) = moments(sigma, 40_000, seed);
            assert!(
                mean.abs() < 5.0 * sigma / 200.0,
                "sigma {sigma}: mean {mean}"
            );
            let rel = var / (sigma * sigma) - 1.0;
            assert!(rel.abs() < 0.035, "sigma {sigma}: var {var}, rel {rel}");
        }
    }

    #[test]
    fn small_sigma_matches_the_exact_pmf() {
        // sigma = 0.8: P[0] = 1 / sum_y exp(-y^2 / (2 sigma^2)).
        let sigma: f64 = 0.8;
        let z: f64 = (-30..=30)
            .map(|y: i32| (-f64::from(y * y) / (2.0 * sigma * sigma)).exp())
            .sum();
        let dg = DiscreteGaussian::new(sigma).expect("sigma");
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let n = 40_000;
        let zeros = dg
            .sample_vec(n, &mut rng)
            .iter()
            .filter(|x| **x == 0)
            .count();
        let p = zeros as f64 / n as f64;
        assert!((p - 1.0 / z).abs() < 0.01, "P[0] = {p}, want {}", 1.0 / z);
    }

    #[test]
    fn same_seed_same_noise_and_bad_sigma_is_an_error() {
        let dg = DiscreteGaussian::new(12.0).expect("sigma");
        let a = dg.sample_vec(50, &mut ChaCha20Rng::seed_from_u64(5));
        let b = dg.sample_vec(50, &mut ChaCha20Rng::seed_from_u64(5));
        assert_eq!(a, b);
        assert!((dg.variance() - 144.0).abs() < 1e-9);
        for bad in [0.0, -1.0, f64::NAN, 1e12] {
            let err = DiscreteGaussian::new(bad).expect_err("bad sigma");
            assert!(err.to_string().contains("lower"), "{err}");
        }
    }
}

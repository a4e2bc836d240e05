//! Shamir secret sharing over `Fr`: a degree `t - 1` polynomial with the secret at 0,
//! evaluated at `x = 1..=n`. Any `t` shares reconstruct; fewer reveal nothing.

use crate::{Error, Fr, Result};
use ark_ff::{Field, UniformRand, Zero};
use rand::RngCore;

/// One share: the polynomial's value at `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    /// Evaluation point (the clerk's index, from 1).
    pub x: u64,
    /// Value.
    pub y: Fr,
}

fn check(t: usize, n: usize) -> Result<()> {
    if t == 0 || t > n {
        return Err(Error::Parameters(format!(
            "threshold {t} must be in 1..={n}"
        )));
    }
    Ok(())
}

/// Splits `secret` into `n` shares with threshold `t`.
pub fn share(secret: Fr, t: usize, n: usize, rng: &mut impl RngCore) -> Result<Vec<Share>> {
    check(t, n)?;
    let mut coeffs = vec![secret];
    coeffs.extend((1..t).map(|_| Fr::rand(rng)));
    Ok((1..=n as u64)
        .map(|x| {
            let xf = Fr::from(x);
            let y = coeffs.iter().rev().fold(Fr::zero(), |acc, c| acc * xf + c);
            Share { x, y }
        })
        .collect())
}

/// Lagrange coefficients at 0 for the evaluation points `xs` (distinct, non-zero).
pub fn lagrange_at_zero(xs: &[u64]) -> Result<Vec<Fr>> {
    xs.iter()
        .enumerate()
        .map(|(i, xi)| {
            let xi = Fr::from(*xi);
            let (mut num, mut den) = (Fr::from(1u64), Fr::from(1u64));
            for (j, xj) in xs.iter().enumerate() {
                if i != j {
                    let xj = Fr::from(*xj);
                    num *= xj;
                    den *= xj - xi;
                }
            }
            den.inverse()
                .map(|inv| num * inv)
                .ok_or_else(|| Error::Parameters("evaluation points must be distinct".into()))
        })
        .collect()
}

/// Reconstructs the secret from at least `t` shares (uses the first `t`).
pub fn reconstruct(shares: &[Share], t: usize) -> Result<Fr> {
    if shares.len() < t {
        return Err(Error::TooFewShares {
            needed: t,
            got: shares.len(),
        });
    }
    let used = &shares[..t];
    let xs: Vec<u64> = used.iter().map(|s| s.x).collect();
    let ls = lagrange_at_zero(&xs)?;
    Ok(used.iter().zip(ls).map(|(s, l)| s.y * l).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn any_t_of_n_reconstruct() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let secret = Fr::from(424242u64);
        let shares = share(secret, 3, 5, &mut rng).expect("share");
        for subset in [[0, 1, 2], [2, 3, 4], [0, 2, 4], [4, 1, 3]] {
            let s: Vec<Share> = subset.iter().map(|i| shares[*i]).collect();
            assert_eq!(reconstruct(&s, 3).expect("reconstruct"), secret);
        }
        // Two shares interpolate a line: not the secret.
        assert_ne!(reconstruct(&shares[..2], 2).expect("interp"), secret);
        assert!(matches!(
            reconstruct(&shares[..2], 3),
            Err(Error::TooFewShares { .. })
        ));
    }

    #[test]
    fn bad_parameters_are_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        assert!(share(Fr::from(1u64), 0, 3, &mut rng).is_err());
        assert!(share(Fr::from(1u64), 4, 3, &mut rng).is_err());
    }
}

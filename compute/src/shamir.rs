//! Shamir secret sharing over `Fr`.
//!
//! - [`share`] / [`reconstruct`]: classic Shamir, a degree `t - 1` polynomial with the
//!   secret at 0 evaluated at `x = 1..=n`. Any `t` shares reconstruct; fewer reveal nothing.
//! - [`PackedShamir`]: packed (Franklin-Yung) sharing. One polynomial of degree
//!   `privacy + packing - 1` carries `packing` secrets at the points `-1, ..., -packing`
//!   and `privacy` uniformly random values at `-(packing + 1), ..., -(packing + privacy)`;
//!   clerk `i` gets its value at `x = i` (from 1). Any `privacy` shares are uniform and
//!   independent of the secrets; any `privacy + packing` shares reconstruct all of them.
//!   Each clerk receives one field element per `packing` secrets, so a committee's
//!   download shrinks `packing`-fold against classic Shamir at the same privacy.
//!
//! Sharing is linear: the sum of share vectors is a sharing of the sum of secret
//! vectors, which is what secure aggregation's clerks rely on.

use crate::{Error, Fr, Result};
use ark_ff::{Field, One, UniformRand, Zero};
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
    let xs: Vec<Fr> = xs.iter().map(|x| Fr::from(*x)).collect();
    lagrange_weights(&xs, Fr::zero())
}

/// Lagrange weights `w` such that `f(at) = sum_i w_i * f(xs_i)` for every polynomial of
/// degree below `xs.len()`. The points must be distinct.
pub fn lagrange_weights(xs: &[Fr], at: Fr) -> Result<Vec<Fr>> {
    xs.iter()
        .enumerate()
        .map(|(i, xi)| {
            let (mut num, mut den) = (Fr::one(), Fr::one());
            for (j, xj) in xs.iter().enumerate() {
                if i != j {
                    num *= at - xj;
                    den *= *xi - xj;
                }
            }
            den.inverse()
                .map(|inv| num * inv)
                .ok_or_else(|| Error::Parameters("evaluation points must be distinct".into()))
        })
        .collect()
}

/// Evaluates at `at` the unique polynomial of degree below `xs.len()` through the points
/// `(xs_i, ys_i)`.
pub fn interpolate_at(xs: &[Fr], ys: &[Fr], at: Fr) -> Result<Fr> {
    if xs.len() != ys.len() {
        return Err(Error::Length {
            expected: xs.len(),
            got: ys.len(),
        });
    }
    Ok(lagrange_weights(xs, at)?
        .iter()
        .zip(ys)
        .map(|(w, y)| *w * y)
        .sum())
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

/// Packed Shamir sharing for a committee of `clerks` (see the module docs).
#[derive(Clone, Debug)]
pub struct PackedShamir {
    clerks: usize,
    privacy: usize,
    packing: usize,
    /// `share_matrix[i][j]`: weight of node `j` (secrets, then randomness) in clerk
    /// `i + 1`'s share.
    share_matrix: Vec<Vec<Fr>>,
}

impl PackedShamir {
    /// A scheme where any `privacy` clerks learn nothing and `privacy + packing` clerks
    /// reconstruct; `packing` secrets per share.
    pub fn new(clerks: usize, privacy: usize, packing: usize) -> Result<Self> {
        if privacy == 0 || packing == 0 || privacy + packing > clerks {
            return Err(Error::Parameters(format!(
                "packed sharing needs privacy >= 1, packing >= 1 and privacy + packing <= clerks; \
                 got privacy {privacy}, packing {packing}, clerks {clerks}"
            )));
        }
        let nodes = Self::nodes(privacy, packing);
        let share_matrix = (1..=clerks as u64)
            .map(|x| lagrange_weights(&nodes, Fr::from(x)))
            .collect::<Result<_>>()?;
        Ok(Self {
            clerks,
            privacy,
            packing,
            share_matrix,
        })
    }

    /// Interpolation nodes: secrets at `-1..=-packing`, then randomness.
    fn nodes(privacy: usize, packing: usize) -> Vec<Fr> {
        (1..=(packing + privacy) as u64)
            .map(|j| -Fr::from(j))
            .collect()
    }

    /// Number of clerks.
    pub fn clerks(&self) -> usize {
        self.clerks
    }

    /// Largest coalition that learns nothing.
    pub fn privacy(&self) -> usize {
        self.privacy
    }

    /// Secrets per share.
    pub fn packing(&self) -> usize {
        self.packing
    }

    /// Shares needed to reconstruct: `privacy + packing`.
    pub fn threshold(&self) -> usize {
        self.privacy + self.packing
    }

    /// Length of each clerk's share vector for `len` secrets.
    pub fn share_len(&self, len: usize) -> usize {
        len.div_ceil(self.packing)
    }

    /// Shares one block of at most `packing` secrets (missing ones are zero) with the
    /// given `privacy` random values; returns one share per clerk. Deterministic, so a
    /// test can replay a sharing with chosen randomness.
    pub fn share_block(&self, secrets: &[Fr], randomness: &[Fr]) -> Result<Vec<Fr>> {
        if secrets.len() > self.packing {
            return Err(Error::Length {
                expected: self.packing,
                got: secrets.len(),
            });
        }
        if randomness.len() != self.privacy {
            return Err(Error::Length {
                expected: self.privacy,
                got: randomness.len(),
            });
        }
        Ok(self
            .share_matrix
            .iter()
            .map(|row| {
                let (secret_w, random_w) = row.split_at(self.packing);
                let s: Fr = secret_w.iter().zip(secrets).map(|(w, v)| *w * v).sum();
                let r: Fr = random_w.iter().zip(randomness).map(|(w, v)| *w * v).sum();
                s + r
            })
            .collect())
    }

    /// Shares a vector of secrets: clerk `k + 1` receives `result[k]`, of length
    /// [`Self::share_len`].
    pub fn share_vec(&self, secrets: &[Fr], rng: &mut impl RngCore) -> Result<Vec<Vec<Fr>>> {
        let mut out = vec![Vec::with_capacity(self.share_len(secrets.len())); self.clerks];
        let mut randomness = vec![Fr::zero(); self.privacy];
        for block in secrets.chunks(self.packing) {
            randomness.iter_mut().for_each(|r| *r = Fr::rand(rng));
            for (k, s) in self
                .share_block(block, &randomness)?
                .into_iter()
                .enumerate()
            {
                out[k].push(s);
            }
        }
        Ok(out)
    }

    /// Precomputes reconstruction from the clerks with 1-based indices `clerks` (the first
    /// [`Self::threshold`] of them are used).
    pub fn reconstructor(&self, clerks: &[u64]) -> Result<Reconstructor> {
        let t = self.threshold();
        if clerks.len() < t {
            return Err(Error::TooFewShares {
                needed: t,
                got: clerks.len(),
            });
        }
        let used = &clerks[..t];
        if let Some(bad) = used.iter().find(|i| **i == 0 || **i > self.clerks as u64) {
            return Err(Error::Parameters(format!(
                "clerk index {bad} is outside 1..={}",
                self.clerks
            )));
        }
        let xs: Vec<Fr> = used.iter().map(|i| Fr::from(*i)).collect();
        let weights = Self::nodes(self.privacy, self.packing)[..self.packing]
            .iter()
            .map(|at| lagrange_weights(&xs, *at))
            .collect::<Result<_>>()?;
        Ok(Reconstructor {
            clerks: used.to_vec(),
            weights,
        })
    }
}

/// Reconstruction weights for one set of clerks (see [`PackedShamir::reconstructor`]).
#[derive(Clone, Debug)]
pub struct Reconstructor {
    clerks: Vec<u64>,
    /// `weights[s][i]`: weight of clerk `clerks[i]`'s share in secret `s` of a block.
    weights: Vec<Vec<Fr>>,
}

impl Reconstructor {
    /// The clerks whose shares this reconstructor uses, in order.
    pub fn clerks(&self) -> &[u64] {
        &self.clerks
    }

    /// Reconstructs `len` secrets from share vectors given in the order of
    /// [`Self::clerks`].
    pub fn reconstruct_vec(&self, shares: &[&[Fr]], len: usize) -> Result<Vec<Fr>> {
        let packing = self.weights.len();
        if shares.len() != self.clerks.len() {
            return Err(Error::TooFewShares {
                needed: self.clerks.len(),
                got: shares.len(),
            });
        }
        let blocks = len.div_ceil(packing);
        if let Some(bad) = shares.iter().find(|s| s.len() != blocks) {
            return Err(Error::Length {
                expected: blocks,
                got: bad.len(),
            });
        }
        let mut out = Vec::with_capacity(blocks * packing);
        for b in 0..blocks {
            for w in &self.weights {
                out.push(w.iter().zip(shares).map(|(w, s)| *w * s[b]).sum());
            }
        }
        out.truncate(len);
        Ok(out)
    }
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

    #[test]
    fn packed_shares_reconstruct_from_any_threshold_subset() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let scheme = PackedShamir::new(7, 2, 3).expect("scheme");
        let secrets: Vec<Fr> = (0..10u64).map(|i| Fr::from(i * 1000 + 7)).collect();
        let shares = scheme.share_vec(&secrets, &mut rng).expect("share");
        assert_eq!(shares.len(), 7);
        assert!(
            shares.iter().all(|s| s.len() == 4),
            "ceil(10 / 3) per clerk"
        );
        for subset in [[1u64, 2, 3, 4, 5], [3, 4, 5, 6, 7], [7, 1, 5, 2, 4]] {
            let r = scheme.reconstructor(&subset).expect("reconstructor");
            let refs: Vec<&[Fr]> = subset
                .iter()
                .map(|i| &shares[*i as usize - 1][..])
                .collect();
            assert_eq!(r.reconstruct_vec(&refs, 10).expect("reconstruct"), secrets);
        }
        assert!(matches!(
            scheme.reconstructor(&[1, 2, 3, 4]),
            Err(Error::TooFewShares { needed: 5, got: 4 })
        ));
    }

    #[test]
    fn packed_sharing_is_linear() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let scheme = PackedShamir::new(5, 1, 3).expect("scheme");
        let a: Vec<Fr> = (0..6u64).map(Fr::from).collect();
        let b: Vec<Fr> = (0..6u64).map(|i| Fr::from(i * i + 11)).collect();
        let (sa, sb) = (
            scheme.share_vec(&a, &mut rng).expect("a"),
            scheme.share_vec(&b, &mut rng).expect("b"),
        );
        let sums: Vec<Vec<Fr>> = sa
            .iter()
            .zip(&sb)
            .map(|(x, y)| x.iter().zip(y).map(|(x, y)| *x + y).collect())
            .collect();
        let r = scheme.reconstructor(&[2, 3, 4, 5]).expect("reconstructor");
        let refs: Vec<&[Fr]> = sums[1..].iter().map(Vec::as_slice).collect();
        let expected: Vec<Fr> = a.iter().zip(&b).map(|(x, y)| *x + y).collect();
        assert_eq!(r.reconstruct_vec(&refs, 6).expect("reconstruct"), expected);
    }

    #[test]
    fn packed_parameters_are_checked() {
        assert!(PackedShamir::new(4, 0, 2).is_err(), "privacy 0 would leak");
        assert!(PackedShamir::new(4, 2, 3).is_err(), "5 > 4 clerks");
        assert!(PackedShamir::new(4, 1, 0).is_err());
        let scheme = PackedShamir::new(4, 2, 2).expect("scheme");
        assert!(scheme.reconstructor(&[1, 2, 3, 9]).is_err());
        assert!(
            scheme.share_block(&[Fr::one()], &[Fr::one()]).is_err(),
            "needs 2 random values"
        );
    }
}

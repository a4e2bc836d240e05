//! Secure aggregation, SDA style (Snips): a contributor adds a uniformly random pad to its
//! encoded vector and Shamir-shares the pad to a committee of clerks. The aggregator only
//! ever sees masked vectors; each clerk only sees shares. The requester reconstructs the
//! pad sum from any `threshold` clerks' share sums and subtracts it from the aggregate.
//!
//! Drop-outs: a contributor that drops is left out of both the aggregate and every clerk's
//! sum (the participant set is fixed by the requester before summation); up to
//! `clerks - threshold` clerks may drop.

use crate::{Error, Fr, Result, executor, shamir};
use ark_ff::UniformRand;
use rand::RngCore;

/// A committee of clerks and its reconstruction threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committee {
    /// Number of clerks.
    pub clerks: usize,
    /// Clerk sums needed to reconstruct.
    pub threshold: usize,
}

/// What one contributor sends: a masked vector to the aggregator, and to clerk `k` (index
/// `k + 1`) the vector `pad_shares[k]`.
#[derive(Clone, Debug)]
pub struct Contribution {
    /// `values + pad`, for the aggregator.
    pub masked: Vec<Fr>,
    /// Share vectors of the pad, one per clerk.
    pub pad_shares: Vec<Vec<Fr>>,
}

/// Masks `values` and shares the pad to `committee`.
pub fn contribute(
    values: &[Fr],
    committee: Committee,
    rng: &mut impl RngCore,
) -> Result<Contribution> {
    let mut masked = Vec::with_capacity(values.len());
    let mut pad_shares = vec![Vec::with_capacity(values.len()); committee.clerks];
    for v in values {
        let pad = Fr::rand(rng);
        masked.push(*v + pad);
        for (k, s) in shamir::share(pad, committee.threshold, committee.clerks, rng)?
            .into_iter()
            .enumerate()
        {
            pad_shares[k].push(s.y);
        }
    }
    Ok(Contribution { masked, pad_shares })
}

/// A clerk's running sum of the pad shares it received.
#[derive(Clone, Debug)]
pub struct Clerk {
    index: u64,
    sum: Vec<Fr>,
}

/// A clerk's final output: its share of the pad sum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClerkSum {
    /// Clerk index (1-based Shamir evaluation point).
    pub index: u64,
    /// Sum of received share vectors.
    pub sum: Vec<Fr>,
}

impl Clerk {
    /// Clerk with 1-based `index` for vectors of `dims`.
    pub fn new(index: u64, dims: usize) -> Self {
        Self {
            index,
            sum: vec![Fr::from(0u64); dims],
        }
    }

    /// Adds one contributor's share vector.
    pub fn absorb(&mut self, share: &[Fr]) -> Result<()> {
        if share.len() != self.sum.len() {
            return Err(Error::Length {
                expected: self.sum.len(),
                got: share.len(),
            });
        }
        for (acc, s) in self.sum.iter_mut().zip(share) {
            *acc += s;
        }
        Ok(())
    }

    /// The clerk's output.
    pub fn finish(self) -> ClerkSum {
        ClerkSum {
            index: self.index,
            sum: self.sum,
        }
    }
}

/// Removes the pad sum (reconstructed from `threshold` clerk sums) from the aggregate of
/// masked vectors, giving the plain sum.
pub fn unmask(aggregate: &[Fr], clerks: &[ClerkSum], threshold: usize) -> Result<Vec<Fr>> {
    if clerks.len() < threshold {
        return Err(Error::TooFewShares {
            needed: threshold,
            got: clerks.len(),
        });
    }
    let used = &clerks[..threshold];
    let xs: Vec<u64> = used.iter().map(|c| c.index).collect();
    let ls = shamir::lagrange_at_zero(&xs)?;
    let mut out = aggregate.to_vec();
    for (c, l) in used.iter().zip(ls) {
        if c.sum.len() != out.len() {
            return Err(Error::Length {
                expected: out.len(),
                got: c.sum.len(),
            });
        }
        for (o, s) in out.iter_mut().zip(&c.sum) {
            *o -= *s * l;
        }
    }
    Ok(out)
}

/// Runs a whole aggregation in memory (contributors, aggregator, clerks) with the given
/// contributors and clerks dropping out; used by tests and the devnet's data owners.
pub fn aggregate_with_dropouts(
    values: &[Vec<Fr>],
    committee: Committee,
    dropped_contributors: &[usize],
    dropped_clerks: &[usize],
    rng: &mut impl RngCore,
) -> Result<Vec<Fr>> {
    let dims = values.first().map_or(0, Vec::len);
    let contributions: Vec<Contribution> = values
        .iter()
        .enumerate()
        .filter(|(i, _)| !dropped_contributors.contains(i))
        .map(|(_, v)| contribute(v, committee, rng))
        .collect::<Result<_>>()?;
    let masked: Vec<Vec<Fr>> = contributions.iter().map(|c| c.masked.clone()).collect();
    let aggregate = executor::secagg_sum(&masked, dims)?;
    let mut sums = Vec::new();
    for k in (0..committee.clerks).filter(|k| !dropped_clerks.contains(k)) {
        let mut clerk = Clerk::new(k as u64 + 1, dims);
        for c in &contributions {
            clerk.absorb(&c.pad_shares[k])?;
        }
        sums.push(clerk.finish());
    }
    unmask(&aggregate, &sums, committee.threshold)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::FixedPoint;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn data() -> Vec<Vec<f64>> {
        vec![
            vec![1.5, -2.0, 3.25],
            vec![0.5, 4.0, -1.0],
            vec![-3.0, 0.25, 2.0],
            vec![10.0, 0.0, 0.5],
        ]
    }

    fn run(dropped_contributors: &[usize], dropped_clerks: &[usize]) -> Result<Vec<f64>> {
        let fp = FixedPoint::default();
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let values: Vec<Vec<Fr>> = data()
            .iter()
            .map(|v| fp.encode_vec(v))
            .collect::<Result<_>>()?;
        let committee = Committee {
            clerks: 5,
            threshold: 3,
        };
        let out = aggregate_with_dropouts(
            &values,
            committee,
            dropped_contributors,
            dropped_clerks,
            &mut rng,
        )?;
        Ok(fp.decode_vec(&out))
    }

    fn plain_sum(skip: &[usize]) -> Vec<f64> {
        let d = data();
        (0..3)
            .map(|j| {
                d.iter()
                    .enumerate()
                    .filter(|(i, _)| !skip.contains(i))
                    .map(|(_, v)| v[j])
                    .sum()
            })
            .collect()
    }

    #[test]
    fn aggregate_equals_plaintext_sum() {
        assert_eq!(run(&[], &[]).expect("run"), plain_sum(&[]));
    }

    #[test]
    fn tolerates_dropped_contributor_and_n_minus_t_clerks() {
        assert_eq!(run(&[1], &[0, 3]).expect("run"), plain_sum(&[1]));
    }

    #[test]
    fn too_many_dropped_clerks_is_a_clear_error() {
        let err = run(&[], &[0, 1, 2]).expect_err("only 2 clerks left");
        assert!(matches!(err, Error::TooFewShares { needed: 3, got: 2 }));
    }

    #[test]
    fn masked_vectors_hide_the_values() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let fp = FixedPoint::default();
        let v = fp.encode_vec(&[1.0, 2.0, 3.0]).expect("fits");
        let c = contribute(
            &v,
            Committee {
                clerks: 3,
                threshold: 2,
            },
            &mut rng,
        )
        .expect("contribute");
        assert!(c.masked.iter().zip(&v).all(|(m, x)| m != x));
        assert_eq!(c.pad_shares.len(), 3);
    }
}

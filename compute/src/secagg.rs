//! Secure aggregation, SDA style (Snips): a contributor adds a uniformly random pad to its
//! encoded vector and Shamir-shares the pad to a committee of clerks (packed Shamir when
//! the committee's `packing` is above 1: one share per `packing` pad elements). The aggregator only
//! ever sees masked vectors; each clerk only sees shares. The requester reconstructs the
//! pad sum from any `threshold` clerks' share sums and subtracts it from the aggregate.
//!
//! Drop-outs: a contributor that drops is left out of both the aggregate and every clerk's
//! sum (the participant set is fixed by the requester before summation); up to
//! `clerks - threshold` clerks may drop.

use crate::{
    Error, Fr, Result, executor,
    shamir::{PackedShamir, Reconstructor},
};
use ark_ff::UniformRand;
use rand::RngCore;

/// A committee of clerks, its reconstruction threshold and its packing.
///
/// Any `threshold - packing` clerks (together with the aggregator) learn nothing about
/// any contributor's values; any `threshold` clerks reconstruct the pad sum, so up to
/// `clerks - threshold` clerks may drop out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committee {
    /// Number of clerks.
    pub clerks: usize,
    /// Clerk sums needed to reconstruct.
    pub threshold: usize,
    /// Pad elements packed into one share (1 = classic Shamir).
    pub packing: usize,
}

impl Committee {
    /// Classic Shamir: one share per pad element; `threshold - 1` clerks learn nothing.
    pub const fn plain(clerks: usize, threshold: usize) -> Self {
        Self {
            clerks,
            threshold,
            packing: 1,
        }
    }

    /// The sharing scheme this committee uses.
    pub fn scheme(&self) -> Result<PackedShamir> {
        if self.threshold <= self.packing {
            return Err(Error::Parameters(format!(
                "threshold {} must exceed packing {}: otherwise a single clerk learns the pads",
                self.threshold, self.packing
            )));
        }
        PackedShamir::new(self.clerks, self.threshold - self.packing, self.packing)
    }

    /// Length of each clerk's share vector for `dims` values.
    pub fn share_len(&self, dims: usize) -> usize {
        dims.div_ceil(self.packing.max(1))
    }
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
    contribute_with(values, &committee.scheme()?, rng)
}

/// [`contribute`] with a prepared scheme (saves recomputing its weights per contributor).
pub fn contribute_with(
    values: &[Fr],
    scheme: &PackedShamir,
    rng: &mut impl RngCore,
) -> Result<Contribution> {
    let pads: Vec<Fr> = values.iter().map(|_| Fr::rand(rng)).collect();
    let masked = values.iter().zip(&pads).map(|(v, p)| *v + p).collect();
    let pad_shares = scheme.share_vec(&pads, rng)?;
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

    /// Adds one contributor's share vector as received on the wire ([`crate::wire`]),
    /// decoding as it goes. A malformed vector is refused before anything is added.
    pub fn absorb_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        let decoded = crate::wire::decode(bytes, self.sum.len())?;
        self.absorb(&decoded)
    }

    /// The clerk's output.
    pub fn finish(self) -> ClerkSum {
        ClerkSum {
            index: self.index,
            sum: self.sum,
        }
    }
}

/// Removes the pad sum (reconstructed from the first `threshold` clerk sums) from the
/// aggregate of masked vectors, giving the plain sum.
pub fn unmask(aggregate: &[Fr], clerks: &[ClerkSum], committee: Committee) -> Result<Vec<Fr>> {
    let indices: Vec<u64> = clerks.iter().map(|c| c.index).collect();
    let reconstructor: Reconstructor = committee.scheme()?.reconstructor(&indices)?;
    let sums: Vec<&[Fr]> = clerks[..reconstructor.clerks().len()]
        .iter()
        .map(|c| c.sum.as_slice())
        .collect();
    let pad_sum = reconstructor.reconstruct_vec(&sums, aggregate.len())?;
    Ok(aggregate.iter().zip(pad_sum).map(|(a, p)| *a - p).collect())
}

/// What the requester holds before unmasking: the aggregator's sum of masked vectors and
/// the surviving clerks' share sums.
#[derive(Clone, Debug)]
pub struct MaskedAggregate {
    /// Sum of the masked vectors.
    pub aggregate: Vec<Fr>,
    /// The clerks' outputs.
    pub clerks: Vec<ClerkSum>,
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
    let masked = mask_and_sum(values, committee, dropped_contributors, dropped_clerks, rng)?;
    unmask(&masked.aggregate, &masked.clerks, committee)
}

/// Everything up to unmasking, in memory: contributors mask and share, the aggregator and
/// the clerks sum. The caller decides when to [`unmask`] (a DP round charges its privacy
/// budget first).
pub fn mask_and_sum(
    values: &[Vec<Fr>],
    committee: Committee,
    dropped_contributors: &[usize],
    dropped_clerks: &[usize],
    rng: &mut impl RngCore,
) -> Result<MaskedAggregate> {
    let dims = values.first().map_or(0, Vec::len);
    let scheme = committee.scheme()?;
    let contributions: Vec<Contribution> = values
        .iter()
        .enumerate()
        .filter(|(i, _)| !dropped_contributors.contains(i))
        .map(|(_, v)| contribute_with(v, &scheme, rng))
        .collect::<Result<_>>()?;
    let masked: Vec<Vec<Fr>> = contributions.iter().map(|c| c.masked.clone()).collect();
    let aggregate = executor::secagg_sum(&masked, dims)?;
    let mut sums = Vec::new();
    for k in (0..committee.clerks).filter(|k| !dropped_clerks.contains(k)) {
        let mut clerk = Clerk::new(k as u64 + 1, committee.share_len(dims));
        for c in &contributions {
            clerk.absorb(&c.pad_shares[k])?;
        }
        sums.push(clerk.finish());
    }
    Ok(MaskedAggregate {
        aggregate,
        clerks: sums,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{fixed::FixedPoint, shamir};
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
        run_with(Committee::plain(5, 3), dropped_contributors, dropped_clerks)
    }

    fn run_with(
        committee: Committee,
        dropped_contributors: &[usize],
        dropped_clerks: &[usize],
    ) -> Result<Vec<f64>> {
        let fp = FixedPoint::default();
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let values: Vec<Vec<Fr>> = data()
            .iter()
            .map(|v| fp.encode_vec(v))
            .collect::<Result<_>>()?;
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
        let c = contribute(&v, Committee::plain(3, 2), &mut rng).expect("contribute");
        assert!(c.masked.iter().zip(&v).all(|(m, x)| m != x));
        assert_eq!(c.pad_shares.len(), 3);
    }

    #[test]
    fn packed_committee_aggregates_and_tolerates_dropouts() {
        // 6 clerks, 2 pad elements per share, any 4 reconstruct, any 2 learn nothing.
        let committee = Committee {
            clerks: 6,
            threshold: 4,
            packing: 2,
        };
        assert_eq!(run_with(committee, &[], &[]).expect("run"), plain_sum(&[]));
        assert_eq!(
            run_with(committee, &[2], &[1, 4]).expect("run"),
            plain_sum(&[2])
        );
        assert!(matches!(
            run_with(committee, &[], &[0, 1, 2]),
            Err(Error::TooFewShares { needed: 4, got: 3 })
        ));
        let single_clerk_sees_pads = Committee {
            packing: 4,
            ..committee
        };
        assert!(single_clerk_sees_pads.scheme().is_err());
    }

    /// The coalition's view: the aggregator's masked vector and the coalition clerks'
    /// share vectors.
    fn view(c: &Contribution, coalition: &[u64]) -> (Vec<Fr>, Vec<Vec<Fr>>) {
        let shares = coalition
            .iter()
            .map(|i| c.pad_shares[*i as usize - 1].clone())
            .collect();
        (c.masked.clone(), shares)
    }

    /// Replays a contribution with chosen pads and per-block sharing randomness.
    fn contribute_det(
        values: &[Fr],
        scheme: &PackedShamir,
        pads: &[Fr],
        randomness: &[Vec<Fr>],
    ) -> Contribution {
        let masked = values.iter().zip(pads).map(|(v, p)| *v + p).collect();
        let mut pad_shares = vec![Vec::new(); scheme.clerks()];
        for (block, r) in pads.chunks(scheme.packing()).zip(randomness) {
            for (k, s) in scheme
                .share_block(block, r)
                .expect("share")
                .into_iter()
                .enumerate()
            {
                pad_shares[k].push(s);
            }
        }
        Contribution { masked, pad_shares }
    }

    /// Given the coalition's view of a run on `x`, finds the randomness under which the
    /// protocol run on `x_alt` produces the very same view, or `None` if there is none.
    ///
    /// The pads shift by `x - x_alt`; in each block the sharing polynomial is the unique
    /// one through the shifted pads (at the secret nodes) and the coalition's shares (at
    /// the coalition's points), which exists whenever the coalition has at most `privacy`
    /// clerks. The shift is a bijection of the randomness, so for every view the number
    /// of random tapes producing it is the same under `x` and `x_alt`: the coalition's
    /// view is independent of the inputs.
    fn explain_view_with(
        scheme: &PackedShamir,
        view: &(Vec<Fr>, Vec<Vec<Fr>>),
        pads: &[Fr],
        x: &[Fr],
        x_alt: &[Fr],
        coalition: &[u64],
    ) -> Option<(Vec<Fr>, Vec<Vec<Fr>>)> {
        let pads_alt: Vec<Fr> = pads
            .iter()
            .zip(x)
            .zip(x_alt)
            .map(|((p, a), b)| *p + a - b)
            .collect();
        let (k, privacy) = (scheme.packing(), scheme.privacy());
        let secret_nodes: Vec<Fr> = (1..=k as u64).map(|j| -Fr::from(j)).collect();
        let random_nodes: Vec<Fr> = (k as u64 + 1..=(k + privacy) as u64)
            .map(|j| -Fr::from(j))
            .collect();
        let mut randomness = Vec::new();
        for (b, block) in pads_alt.chunks(k).enumerate() {
            let mut xs = secret_nodes.clone();
            let mut ys: Vec<Fr> = block.to_vec();
            ys.resize(k, Fr::from(0u64));
            xs.extend(coalition.iter().map(|i| Fr::from(*i)));
            ys.extend(view.1.iter().map(|s| s[b]));
            // A polynomial of degree < k + privacy is fixed by its first k + privacy
            // points; any further coalition share must agree with it.
            let degree_bound = k + privacy;
            let fits = (degree_bound..xs.len()).all(|extra| {
                shamir::interpolate_at(&xs[..degree_bound], &ys[..degree_bound], xs[extra])
                    .expect("distinct points")
                    == ys[extra]
            });
            if !fits {
                return None;
            }
            let n = xs.len().min(degree_bound);
            randomness.push(
                random_nodes
                    .iter()
                    .map(|at| shamir::interpolate_at(&xs[..n], &ys[..n], *at).expect("distinct"))
                    .collect(),
            );
        }
        Some((pads_alt, randomness))
    }

    #[test]
    fn sub_threshold_coalition_view_is_independent_of_the_inputs() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        // Any 2 clerks learn nothing; 4 reconstruct.
        let scheme = PackedShamir::new(6, 2, 2).expect("scheme");
        let x: Vec<Fr> = (0..5u64).map(|i| Fr::from(1000 + i)).collect();
        let x_alt: Vec<Fr> = (0..5u64).map(|i| Fr::from(7 * i + 3)).collect();
        let pads: Vec<Fr> = (0..5).map(|_| Fr::rand(&mut rng)).collect();
        let randomness: Vec<Vec<Fr>> = (0..3)
            .map(|_| (0..2).map(|_| Fr::rand(&mut rng)).collect())
            .collect();
        let real = contribute_det(&x, &scheme, &pads, &randomness);

        // The aggregator plus every sub-threshold coalition of clerks.
        for coalition in [[2u64, 5], [1, 2], [6, 3]] {
            let seen = view(&real, &coalition);
            let (pads_alt, randomness_alt) =
                explain_view_with(&scheme, &seen, &pads, &x, &x_alt, &coalition)
                    .expect("a sub-threshold view is explained by any input");
            let alt = contribute_det(&x_alt, &scheme, &pads_alt, &randomness_alt);
            assert_eq!(view(&alt, &coalition), seen, "coalition {coalition:?}");
            // The explanation is genuinely another run: the other clerks' shares differ.
            let outside = (1..=6u64)
                .find(|i| !coalition.contains(i))
                .expect("outsider");
            assert_ne!(
                alt.pad_shares[outside as usize - 1],
                real.pad_shares[outside as usize - 1]
            );
        }

        // The check has teeth: one clerk more than the privacy bound can no longer explain
        // its view with other inputs (three shares plus two pads over-determine a cubic).
        let seen = view(&real, &[1, 2, 3]);
        assert!(explain_view_with(&scheme, &seen, &pads, &x, &x_alt, &[1, 2, 3]).is_none());
    }
}

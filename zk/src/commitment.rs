//! The Poseidon commitment scheme shared by contributors, workers and circuits.
//!
//! ## Parameters (fixed; changing any of them changes every commitment)
//!
//! Poseidon over BN254 `Fr`, as implemented by `ark-crypto-primitives` 0.6
//! (`PoseidonSponge`), S-box `x^5`, 8 full rounds, round constants and MDS matrix from
//! arkworks' Grain LFSR, in two widths ([`Sponge`]; each job kind uses one for all its
//! commitments):
//!
//! - rate 8 (width 9), 63 partial rounds (the Poseidon paper's 128-bit choice for t = 9,
//!   as in circomlib), `find_poseidon_ark_and_mds(254, 8, 8, 63, 0)`: `secagg-sum` and
//!   `fl-round`, ~405 constraints per 8 absorbed elements (~51 per element);
//! - rate 16 (width 17), 68 partial rounds (t = 17), `find_poseidon_ark_and_mds(254, 16,
//!   8, 68, 0)`: `he-linear`, four field elements per ciphertext, ~612 constraints per 16
//!   absorbed elements (~38 per element).
//!
//! ## Commitments
//!
//! `commit(domain, xs)`: a fresh sponge whose capacity element is set to
//! `domain * 2^64 + len(xs)` (domain separation and length binding at no cost), absorb
//! `xs` a rate at a time, squeeze one element.
//!
//! - a contributor commits to its (masked) vector: `c_i = commit(CONTRIBUTION, x_i)`;
//! - a job's input commitment, posted on chain: `commit(INPUTS, [c_1, ..., c_n, e_1, ..., e_n])`
//!   where `e_i` is contributor `i`'s extra element: its weight for `he-linear`, its share
//!   anchor `a_i` for `secagg-sum` and `fl-round` (zero when it anchors nothing);
//! - a share anchor (see [`crate::oracle`]): `a_i = commit(ANCHOR, [query_tag, d_1, ..,
//!   d_M])` over the commitments `d_k = commit(SHARE, s_k)` to the pad shares the
//!   contributor sent each clerk `k`;
//! - a clerk's sum of shares: `commit(CLERK_SUM, sigma_k)`;
//! - the output commitment, submitted with the proof: `commit(OUTPUT, y)`.
//!
//! Contributors can thus each check their own `c_i` is part of the posted commitment.

use crate::{
    Fr,
    r1cs::{Builder, Sig},
};
use ark_crypto_primitives::sponge::{
    CryptographicSponge,
    poseidon::{PoseidonConfig, PoseidonSponge, find_poseidon_ark_and_mds},
};
use ark_relations::gr1cs::SynthesisError;
use std::sync::OnceLock;

/// Poseidon rate of the default sponge (field elements absorbed per permutation).
pub const RATE: usize = 8;
/// Full rounds.
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds of the default sponge.
pub const PARTIAL_ROUNDS: usize = 63;
/// S-box exponent.
pub const ALPHA: u64 = 5;

/// The two Poseidon sponges: a job kind's commitments all use one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sponge {
    /// Width 9 (rate 8), 63 partial rounds: `secagg-sum` and `fl-round`.
    Rate8,
    /// Width 17 (rate 16), 68 partial rounds: `he-linear`, four field elements per
    /// ciphertext; ~38 constraints per absorbed element against ~51 at rate 8.
    Rate16,
}

impl Sponge {
    /// Elements absorbed per permutation.
    pub fn rate(self) -> usize {
        match self {
            Self::Rate8 => RATE,
            Self::Rate16 => 16,
        }
    }

    /// Partial rounds (the Poseidon paper's 128-bit choice for the width, as in circomlib).
    pub fn partial_rounds(self) -> usize {
        match self {
            Self::Rate8 => PARTIAL_ROUNDS,
            Self::Rate16 => 68,
        }
    }

    /// The fixed Poseidon configuration (computed once).
    pub fn config(self) -> &'static PoseidonConfig<Fr> {
        static CONFIGS: [OnceLock<PoseidonConfig<Fr>>; 2] = [OnceLock::new(), OnceLock::new()];
        CONFIGS[self as usize].get_or_init(|| {
            let (ark, mds) = find_poseidon_ark_and_mds::<Fr>(
                254,
                self.rate(),
                FULL_ROUNDS as u64,
                self.partial_rounds() as u64,
                0,
            );
            PoseidonConfig::new(
                FULL_ROUNDS,
                self.partial_rounds(),
                ALPHA,
                mds,
                ark,
                self.rate(),
                1,
            )
        })
    }
}

/// What a commitment commits to; part of the sponge's initial capacity element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Domain {
    /// One contributor's input vector.
    Contribution = 1,
    /// The list of contributor commitments of a job.
    Inputs = 2,
    /// A job's output vector.
    Output = 3,
    /// A contributor's share anchor: the query tag and its share commitments.
    Anchor = 4,
    /// One pad share vector sent to one clerk.
    Share = 5,
    /// A clerk's sum of the shares it received.
    ClerkSum = 6,
    /// A key committee's threshold and verification keys.
    Keys = 7,
    /// The first components of the ciphertext sums a feed's statistic reads.
    DecryptSum = 8,
    /// A committee member's decryption shares of those sums.
    Decryption = 9,
}

impl Domain {
    fn tag(self, len: usize) -> Fr {
        Fr::from(self as u64) * Fr::from(1u128 << 64) + Fr::from(len as u64)
    }
}

/// The default (rate-8) Poseidon configuration.
pub fn config() -> &'static PoseidonConfig<Fr> {
    Sponge::Rate8.config()
}

/// `commit(domain, xs)` natively, with the default (rate-8) sponge.
pub fn commit(domain: Domain, xs: &[Fr]) -> Fr {
    commit_with(Sponge::Rate8, domain, xs)
}

/// `commit(domain, xs)` natively with `sponge`.
pub fn commit_with(sponge: Sponge, domain: Domain, xs: &[Fr]) -> Fr {
    let mut state = PoseidonSponge::new(sponge.config());
    state.state[0] = domain.tag(xs.len());
    state.absorb(&xs.to_vec());
    state.squeeze_field_elements::<Fr>(1)[0]
}

/// A contributor's commitment to its vector.
pub fn contribution(x: &[Fr]) -> Fr {
    commit(Domain::Contribution, x)
}

/// A `secagg-sum` job's input commitment from its contributors' vectors, anchoring
/// nothing (default sponge).
pub fn inputs(xs: &[Vec<Fr>]) -> Fr {
    inputs_anchored(xs, &[])
}

/// A `secagg-sum` job's input commitment from its contributors' vectors and their share
/// anchors (missing anchors are zero).
pub fn inputs_anchored(xs: &[Vec<Fr>], anchors: &[Fr]) -> Fr {
    let mut absorbed: Vec<Fr> = xs.iter().map(|x| contribution(x)).collect();
    absorbed.extend((0..xs.len()).map(|i| anchors.get(i).copied().unwrap_or_default()));
    commit(Domain::Inputs, &absorbed)
}

/// A job's output commitment.
pub fn output(y: &[Fr]) -> Fr {
    commit(Domain::Output, y)
}

/// `commit(domain, xs)` inside a circuit; equals [`commit`] on the same values.
///
/// The sponge is written out by hand: absorbing adds `xs` to the rate part eight at a
/// time, each permutation costs three constraints per S-box (`x^2`, `x^4`, `x^5`) and
/// nothing else (round constants and the MDS mix stay linear combinations); S-boxes of
/// constants are free. Equals arkworks' `PoseidonSponge` absorb-then-squeeze.
pub fn commit_sig(b: &mut Builder, domain: Domain, xs: &[Sig]) -> Result<Sig, SynthesisError> {
    commit_sig_with(b, Sponge::Rate8, domain, xs)
}

/// [`commit_sig`] with `sponge`; equals [`commit_with`] on the same values.
pub fn commit_sig_with(
    b: &mut Builder,
    sponge: Sponge,
    domain: Domain,
    xs: &[Sig],
) -> Result<Sig, SynthesisError> {
    let rate = sponge.rate();
    let mut state = vec![Sig::zero(); rate + 1];
    state[0] = Sig::constant(domain.tag(xs.len()));
    if xs.is_empty() {
        permute(b, sponge.config(), &mut state)?;
    }
    for chunk in xs.chunks(rate) {
        for (s, x) in state[1..].iter_mut().zip(chunk) {
            *s = s.add(x);
        }
        permute(b, sponge.config(), &mut state)?;
    }
    Ok(state.swap_remove(1))
}

fn permute(
    b: &mut Builder,
    cfg: &PoseidonConfig<Fr>,
    state: &mut Vec<Sig>,
) -> Result<(), SynthesisError> {
    let half = cfg.full_rounds / 2;
    for round in 0..cfg.full_rounds + cfg.partial_rounds {
        for (s, c) in state.iter_mut().zip(&cfg.ark[round]) {
            *s = s.add_constant(*c);
        }
        if round < half || round >= half + cfg.partial_rounds {
            for s in state.iter_mut() {
                *s = sbox(b, s)?;
            }
        } else {
            state[0] = sbox(b, &state[0])?;
        }
        *state = cfg
            .mds
            .iter()
            .map(|row| Sig::lincomb(row.iter().copied().zip(state.iter())))
            .collect();
    }
    Ok(())
}

fn sbox(b: &mut Builder, x: &Sig) -> Result<Sig, SynthesisError> {
    let x2 = b.mul(x, x)?;
    let x4 = b.mul(&x2, &x2)?;
    b.mul(&x4, x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;

    #[test]
    fn gadget_matches_native_and_costs_one_permutation_per_rate() {
        for (sponge, len) in [0usize, 1, 7, 8, 9, 16, 17, 33]
            .into_iter()
            .flat_map(|len| [(Sponge::Rate8, len), (Sponge::Rate16, len)])
        {
            let xs: Vec<Fr> = (0..len as u64).map(|i| Fr::from(i * 31 + 5)).collect();
            let cs = ConstraintSystem::<Fr>::new_ref();
            let mut b = Builder::constraints(cs.clone());
            let vars: Vec<Sig> = xs.iter().map(|x| b.witness(*x).expect("alloc")).collect();
            let c = commit_sig_with(&mut b, sponge, Domain::Output, &vars).expect("gadget");
            assert_eq!(
                c.value(),
                commit_with(sponge, Domain::Output, &xs),
                "{sponge:?} len {len}"
            );
            // The hash is pinned by a public input; the system must be satisfied, and a
            // wrong claimed hash must not be.
            let claimed = b.input(c.value()).expect("input");
            b.enforce_equal(&c, &claimed, "hash").expect("enforce");
            assert!(cs.is_satisfied().expect("check"), "len {len}");
            // At most 3 constraints per S-box (x^5); S-boxes on constants are free, so an
            // empty commitment costs nothing.
            let width = sponge.rate() + 1;
            let perms = if len == 0 {
                0
            } else {
                len.div_ceil(sponge.rate())
            };
            let per_perm = 3 * (width * FULL_ROUNDS + sponge.partial_rounds());
            let hashing = cs.num_constraints() - 1;
            assert!(hashing <= perms * per_perm, "{sponge:?} len {len}");
            assert!(
                hashing + width * 3 >= perms * per_perm,
                "{sponge:?} len {len}"
            );
        }
    }

    #[test]
    fn domains_and_lengths_separate() {
        let xs = vec![Fr::from(1u64), Fr::from(2u64)];
        assert_ne!(
            commit(Domain::Output, &xs),
            commit(Domain::Contribution, &xs)
        );
        let mut padded = xs.clone();
        padded.push(Fr::from(0u64));
        assert_ne!(commit(Domain::Output, &xs), commit(Domain::Output, &padded));
        assert_ne!(
            commit(Domain::Output, &xs),
            commit_with(Sponge::Rate16, Domain::Output, &xs)
        );
    }

    /// Pins the scheme: if the parameters or layout change, this vector changes and every
    /// contributor, worker and the docs must change with it.
    #[test]
    fn test_vector() {
        let xs: Vec<Fr> = (1..=8u64).map(Fr::from).collect();
        let c = crate::field::fr_to_u256(commit(Domain::Contribution, &xs));
        assert_eq!(
            c.to_string(),
            include_str!("../testdata/commit_1_to_8.txt").trim()
        );
    }
}

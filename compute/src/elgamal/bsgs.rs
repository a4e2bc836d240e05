//! Bounded discrete log by baby-step giant-step with a reusable, shareable table.
//!
//! The table stores `j·G` for `j = 0..=2^b` keyed by 64 bits of the affine `y` coordinate.
//! On a twisted Edwards curve `P` and `-P` share `y`, so one entry answers both `±j` and
//! the giant step can be `S = 2^(b+1)·G`: to find `m` from `M = m·G` we probe
//! `M ∓ i·S` for `i = 0, 1, 2, …` (small magnitudes of either sign first), and on a key hit
//! confirm the candidate by recomputing the point, so a 64-bit key collision can cost time
//! but never give a wrong answer. Probes are computed in batches and normalized with one
//! inversion per batch (`normalize_batch`). Build a table once, put it in an `Arc`, and
//! decrypt any number of values with it; it is immutable and `Sync`.

use super::{EdwardsAffine, EdwardsProjective, Error, Result};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{PrimeField, Zero};

/// Largest supported baby-step exponent (2^26 entries, ~800 MB).
pub const MAX_BABY_BITS: u32 = 26;
/// Largest supported range exponent (values up to 2^48 in magnitude).
pub const MAX_RANGE_BITS: u32 = 48;

/// A baby-step giant-step table solving `M = m·G` for `|m| <= 2^range_bits`.
pub struct BsgsTable {
    range_bits: u32,
    baby_bits: u32,
    /// Sorted keys of `j·G`.
    keys: Vec<u64>,
    /// `j` for each key.
    vals: Vec<u32>,
    /// `S = 2^(baby_bits+1)·G`.
    giant: EdwardsAffine,
    /// Largest giant index `i` to probe on either side.
    max_giant: u64,
}

impl std::fmt::Debug for BsgsTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BsgsTable")
            .field("range_bits", &self.range_bits)
            .field("baby_bits", &self.baby_bits)
            .field("entries", &self.keys.len())
            .finish()
    }
}

fn key(p: &EdwardsAffine) -> u64 {
    p.y.into_bigint().as_ref()[0]
}

impl BsgsTable {
    /// A table for plaintexts with `|m| <= 2^range_bits`, choosing the baby-step size
    /// `2^((range_bits+8)/2)` (for 32 bits: 2^20 entries, ~12 MB, ≤ 4,097 giant steps).
    pub fn new(range_bits: u32) -> Result<Self> {
        let baby_bits = range_bits.min((range_bits + 8) / 2).min(MAX_BABY_BITS);
        Self::with_baby_bits(range_bits, baby_bits)
    }

    /// A table for `|m| <= 2^range_bits` with `2^baby_bits + 1` baby steps: more baby bits
    /// cost memory and build time, fewer make each decryption slower.
    pub fn with_baby_bits(range_bits: u32, baby_bits: u32) -> Result<Self> {
        if !(1..=MAX_RANGE_BITS).contains(&range_bits) {
            return Err(Error::Parameters(format!(
                "discrete-log range of 2^{range_bits} unsupported; choose range bits in 1..={MAX_RANGE_BITS}"
            )));
        }
        if !(1..=MAX_BABY_BITS.min(range_bits)).contains(&baby_bits) {
            return Err(Error::Parameters(format!(
                "baby-step bits {baby_bits} unsupported; choose 1..={} (at most the range bits)",
                MAX_BABY_BITS.min(range_bits)
            )));
        }
        let g = EdwardsAffine::generator();
        let count = (1usize << baby_bits) + 1;
        let mut entries: Vec<(u64, u32)> = Vec::with_capacity(count);
        let mut acc = EdwardsProjective::zero();
        let mut chunk = Vec::with_capacity(1 << 12);
        let mut j: u32 = 0;
        while (j as usize) < count {
            chunk.clear();
            let start = j;
            while chunk.len() < chunk.capacity() && (j as usize) < count {
                chunk.push(acc);
                acc += g;
                j += 1;
            }
            for (off, p) in EdwardsProjective::normalize_batch(&chunk)
                .iter()
                .enumerate()
            {
                entries.push((key(p), start + off as u32));
            }
        }
        entries.sort_unstable();
        let (keys, vals) = entries.into_iter().unzip();
        let step = 1u64 << (baby_bits + 1);
        let bound = 1u64 << range_bits;
        let max_giant = bound.saturating_sub(1u64 << baby_bits).div_ceil(step);
        Ok(Self {
            range_bits,
            baby_bits,
            keys,
            vals,
            giant: g.mul_bigint([step]).into_affine(),
            max_giant,
        })
    }

    /// Every `m` with `|m|` up to this bound is recoverable.
    pub fn bound(&self) -> u64 {
        1u64 << self.range_bits
    }

    /// Range exponent.
    pub fn range_bits(&self) -> u32 {
        self.range_bits
    }

    /// Baby-step exponent.
    pub fn baby_bits(&self) -> u32 {
        self.baby_bits
    }

    /// Approximate heap size of the table in bytes.
    pub fn size_bytes(&self) -> usize {
        self.keys.len() * std::mem::size_of::<u64>() + self.vals.len() * std::mem::size_of::<u32>()
    }

    /// If `p = ±j·G` for a table entry, the signed `j`.
    fn lookup(&self, p: &EdwardsAffine) -> Option<i64> {
        let k = key(p);
        let start = self.keys.partition_point(|&x| x < k);
        for idx in start..self.keys.len() {
            if self.keys[idx] != k {
                break;
            }
            let j = self.vals[idx];
            let candidate = EdwardsAffine::generator()
                .mul_bigint([u64::from(j)])
                .into_affine();
            if candidate == *p {
                return Some(i64::from(j));
            }
            if -candidate == *p {
                return Some(-i64::from(j));
            }
        }
        None
    }

    /// Solves `p = m·G` for `|m| <= bound()`, or [`Error::OutOfRange`].
    pub fn solve(&self, p: &EdwardsAffine) -> Result<i64> {
        if let Some(j) = self.lookup(p) {
            return Ok(j);
        }
        let step = 1i64 << (self.baby_bits + 1);
        let mut minus = p.into_group(); // p - i·S
        let mut plus = p.into_group(); // p + i·S
        let mut i: u64 = 0;
        let mut batch = 16usize;
        let mut probes = Vec::with_capacity(2048);
        while i < self.max_giant {
            let n = batch.min((self.max_giant - i) as usize);
            probes.clear();
            for _ in 0..n {
                minus -= self.giant;
                plus += self.giant;
                probes.push(minus);
                probes.push(plus);
            }
            let affine = EdwardsProjective::normalize_batch(&probes);
            for (off, pair) in affine.chunks_exact(2).enumerate() {
                let gi = (i + off as u64 + 1) as i64;
                if let Some(j) = self.lookup(&pair[0]) {
                    return Ok(j + gi * step);
                }
                if let Some(j) = self.lookup(&pair[1]) {
                    return Ok(j - gi * step);
                }
            }
            i += n as u64;
            batch = (batch * 2).min(1024);
        }
        Err(Error::OutOfRange {
            bound: self.bound(),
        })
    }

    /// Solves every point; fails on the first out-of-range value.
    pub fn solve_batch(&self, points: &[EdwardsAffine]) -> Result<Vec<i64>> {
        points.iter().map(|p| self.solve(p)).collect()
    }
}

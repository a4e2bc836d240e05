//! Fixed-base multi-scalar multiplication over the proving key's bases.
//!
//! A Groth16 proving key's bases never change for a shape, while every proof multiplies
//! them by fresh scalars. [`FixedBaseTable`] precomputes, once per base `P`, the points
//! `2^(c*k) * P` for every `c`-bit window `k` of a scalar. A multi-scalar multiplication
//! then needs no doublings and a single set of buckets for all windows:
//!
//! 1. each scalar is cut into signed `c`-bit digits `d_k` in `(-2^(c-1), 2^(c-1)]`, so that
//!    `s * P = sum_k d_k * (2^(c*k) * P)`: table point `(P, k)` goes to bucket `|d_k|`,
//!    negated if `d_k < 0`;
//! 2. every bucket's points are summed by a balanced tree of affine additions, level by
//!    level across all buckets at once, with one batched field inversion per level
//!    (Montgomery's trick: ~5 multiplications and a squaring per addition, against ~10 for
//!    the mixed additions of a variable-base Pippenger);
//! 3. `sum_v v * B_v` is the usual running sum over the buckets.
//!
//! Work is split by bucket ranges over rayon's threads. Doublings (`P + P`) and
//! cancellations (`P + (-P)`) inside a bucket are handled, so duplicate or opposite bases
//! in a key are fine; zero bases are skipped.
//!
//! The table costs ~255 doublings per base to build and `ceil(255 / c)` affine points per
//! base to hold; it is built once per shape and process (see `keys::ShapeKeys::prover`).
//!
//! **Bounded memory.** [`FixedBaseTable::with_budget`] keeps only every `t`-th window's
//! multiple, `2^(c*t*g) * P`, so a table holds `ceil(windows / t)` points per base. The
//! MSM then runs `t` passes, pass `j` over the digits `d_{g*t + j}`, combined by Horner's
//! rule with `c` doublings between passes: the same bucket additions, `t` running sums,
//! `(t - 1) * c` doublings. At `t = windows` the table holds the bases themselves and
//! costs nothing to build: a plain Pippenger with batched affine bucket sums.

use ark_ec::{
    AffineRepr, CurveGroup, PrimeGroup,
    short_weierstrass::{Affine, Projective, SWCurveConfig},
};
use ark_ff::{AdditiveGroup, BigInteger256, Field, PrimeField, Zero};
use rayon::prelude::*;

/// Set in a bucket entry when the table point is to be negated.
const NEG: u32 = 1 << 31;

/// Points tree-summed together: a block's levels fit in the L2 cache.
const BLOCK: usize = 4096;

/// Bits covered by the windows: scalars are below `2^254`, one more bit absorbs the carry
/// of the signed digits.
const SCALAR_BITS: usize = 255;

/// A table point: affine coordinates without arkworks' infinity flag, aligned so that a
/// G1 point is one 64-byte cache line (a G2 point two) and a random gather touches no more
/// lines than it must. A zero base is stored as `(0, 0)`, which is on neither curve.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
struct TablePoint<F> {
    x: F,
    y: F,
}

impl<P: SWCurveConfig> From<Affine<P>> for TablePoint<P::BaseField> {
    fn from(p: Affine<P>) -> Self {
        if p.is_zero() {
            Self {
                x: P::BaseField::ZERO,
                y: P::BaseField::ZERO,
            }
        } else {
            Self { x: p.x, y: p.y }
        }
    }
}

impl<F: Field> TablePoint<F> {
    fn is_zero(&self) -> bool {
        self.x.is_zero() && self.y.is_zero()
    }
}

/// Precomputed window multiples of a fixed list of bases.
#[derive(Clone)]
pub struct FixedBaseTable<P: SWCurveConfig> {
    /// Window width in bits.
    c: usize,
    /// Windows per scalar.
    windows: usize,
    /// Windows per stored point: pass `j` of `stride` handles windows `g * stride + j`.
    stride: usize,
    /// Stored points per base: `ceil(windows / stride)`.
    stored: usize,
    /// Number of bases.
    len: usize,
    /// `points[i * stored + g] = 2^(c*stride*g) * bases[i]`; all `(0, 0)` for a zero base.
    points: Vec<TablePoint<P::BaseField>>,
}

impl<P: SWCurveConfig> std::fmt::Debug for FixedBaseTable<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedBaseTable")
            .field("bases", &self.len)
            .field("window_bits", &self.c)
            .field("windows", &self.windows)
            .field("stride", &self.stride)
            .finish_non_exhaustive()
    }
}

/// Bytes of the full table (stride 1) over `n` bases of curve `P`.
pub fn full_table_bytes<P: SWCurveConfig>(n: usize) -> usize {
    n * SCALAR_BITS.div_ceil(window_bits(n)) * std::mem::size_of::<TablePoint<P::BaseField>>()
}

/// The window width minimising bucket additions (`n * windows`) plus the running sums
/// (about two projective additions, worth ~2 affine ones each, per bucket).
fn window_bits(n: usize) -> usize {
    (6..=16)
        .min_by_key(|&c| n * SCALAR_BITS.div_ceil(c) + (1 << (c + 1)))
        .unwrap_or(16)
}

impl<P: SWCurveConfig> FixedBaseTable<P>
where
    P::ScalarField: PrimeField<BigInt = BigInteger256>,
{
    /// Builds the full table of `bases` (in parallel).
    pub fn new(bases: &[Affine<P>]) -> Self {
        Self::with_stride(bases, 1)
    }

    /// Builds the table of `bases` holding at most `max_bytes` of points (at least the
    /// bases themselves): the least stride that fits.
    pub fn with_budget(bases: &[Affine<P>], max_bytes: usize) -> Self {
        let windows = SCALAR_BITS.div_ceil(window_bits(bases.len()));
        let point = std::mem::size_of::<TablePoint<P::BaseField>>();
        let stride = (1..=windows)
            .find(|t| bases.len() * windows.div_ceil(*t) * point <= max_bytes)
            .unwrap_or(windows);
        Self::with_stride(bases, stride)
    }

    /// Builds the table of `bases` keeping every `stride`-th window's multiple.
    pub fn with_stride(bases: &[Affine<P>], stride: usize) -> Self {
        let c = window_bits(bases.len());
        let windows = SCALAR_BITS.div_ceil(c);
        let stride = stride.clamp(1, windows);
        let stored = windows.div_ceil(stride);
        assert!(
            bases.len() * stored < NEG as usize,
            "too many bases for one table"
        );
        let points = bases
            .par_chunks(256)
            .flat_map_iter(|chunk| {
                let mut proj = Vec::with_capacity(chunk.len() * stored);
                for base in chunk {
                    let mut p: Projective<P> = (*base).into();
                    for g in 0..stored {
                        proj.push(p);
                        if g + 1 < stored {
                            for _ in 0..c * stride {
                                p.double_in_place();
                            }
                        }
                    }
                }
                Projective::normalize_batch(&proj)
                    .into_iter()
                    .map(TablePoint::from)
            })
            .collect();
        Self {
            c,
            windows,
            stride,
            stored,
            len: bases.len(),
            points,
        }
    }

    /// Windows per stored point (1: the full table).
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Number of bases.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table has no bases.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held by the precomputed points.
    pub fn size_bytes(&self) -> usize {
        self.points.len() * std::mem::size_of::<TablePoint<P::BaseField>>()
    }

    /// `sum_i scalars[i] * bases[i]` over the first `min(len, scalars.len())` pairs.
    pub fn msm(&self, scalars: &[BigInteger256]) -> Projective<P> {
        let n = self.len.min(scalars.len());
        let (c, windows, stored) = (self.c, self.windows, self.stored);
        // Signed digits, window-major per base, zero for a zero base.
        let mut digits = vec![0i32; n * windows];
        digits
            .par_chunks_mut(windows)
            .zip(scalars[..n].par_iter())
            .enumerate()
            .for_each(|(i, (out, s))| {
                if !self.points[i * stored].is_zero() {
                    signed_digits(s, c, out);
                }
            });
        // Horner over the passes, the highest first.
        let mut acc = Projective::<P>::zero();
        for j in (0..self.stride).rev() {
            for _ in 0..c {
                acc.double_in_place();
            }
            acc += self.pass(&digits, n, j);
        }
        acc
    }

    /// Pass `j`: `sum_i sum_g d_{g*stride + j}(s_i) * 2^(c*stride*g) * bases[i]`.
    fn pass(&self, digits: &[i32], n: usize, j: usize) -> Projective<P> {
        let (c, windows, stored, stride) = (self.c, self.windows, self.stored, self.stride);
        // Pass `j`'s windows `k = g * stride + j`, with `g`: base `i`'s table point
        // `i * stored + g`.
        let pass = || (j..windows).step_by(stride).enumerate();

        // Counting sort of the non-zero digits by magnitude: bucket v's entries are
        // entries[start[v]..start[v + 1]], each a table index with the sign in the top bit.
        let buckets = 1usize << (c - 1);
        let mut start = vec![0u32; buckets + 2];
        for i in 0..n {
            for (_, k) in pass() {
                start[digits[i * windows + k].unsigned_abs() as usize + 1] += 1;
            }
        }
        start[1] = 0; // zero digits are not entries
        for v in 1..=buckets {
            start[v + 1] += start[v];
        }
        let mut next = start.clone();
        let mut entries = vec![0u32; start[buckets + 1] as usize];
        for i in 0..n {
            for (g, k) in pass() {
                let d = digits[i * windows + k];
                let v = d.unsigned_abs() as usize;
                if v != 0 {
                    entries[next[v] as usize] =
                        (i * stored + g) as u32 | if d < 0 { NEG } else { 0 };
                    next[v] += 1;
                }
            }
        }

        // Bucket ranges with about the same number of entries each, summed in parallel.
        let parts = rayon::current_num_threads() * 4;
        let total = entries.len();
        let mut bounds = vec![1usize];
        for part in 1..parts {
            let goal = (total * part / parts) as u32;
            let v = start[1..=buckets].partition_point(|&x| x < goal) + 1;
            if v > *bounds.last().expect("non-empty") {
                bounds.push(v);
            }
        }
        if *bounds.last().expect("non-empty") <= buckets {
            bounds.push(buckets + 1);
        }
        bounds
            .par_windows(2)
            .map(|w| self.bucket_range(&entries, &start, w[0], w[1]))
            .reduce(Projective::zero, |a, b| a + b)
    }

    /// `sum_{v in [lo, hi)} v * B_v`, where `B_v` sums the table points of bucket `v`.
    fn bucket_range(&self, entries: &[u32], start: &[u32], lo: usize, hi: usize) -> Projective<P> {
        let mut sizes: Vec<u32> = (lo..hi).map(|v| start[v + 1] - start[v]).collect();
        let base = start[lo] as usize;

        // Tree-sum the buckets a block at a time, so that a block's levels stay in cache.
        let mut sums: Vec<Affine<P>> = Vec::with_capacity(hi - lo);
        let mut level = Vec::with_capacity(BLOCK);
        let mut scratch = Scratch::default();
        let (mut bucket, mut at) = (0, base);
        while bucket < sizes.len() {
            let mut end = bucket;
            let mut len = 0;
            while end < sizes.len() && (len == 0 || len + (sizes[end] as usize) <= BLOCK) {
                len += sizes[end] as usize;
                end += 1;
            }
            let block = &mut sizes[bucket..end];
            level.clear();
            level.extend(entries[at..at + len].iter().map(|&e| {
                let p = &self.points[(e & !NEG) as usize];
                Affine::new_unchecked(p.x, if e & NEG != 0 { -p.y } else { p.y })
            }));
            while block.iter().any(|&s| s > 1) {
                add_pairs(&mut level, block, &mut scratch);
            }
            sums.extend_from_slice(&level);
            at += len;
            bucket = end;
        }

        // Running sum from the top bucket: sum_v (v - lo + 1) * B_v, plus (lo - 1) * sum_v B_v.
        let mut running = Projective::<P>::zero();
        let mut acc = Projective::<P>::zero();
        let mut at = sums.len();
        for &s in sizes.iter().rev() {
            if s == 1 {
                at -= 1;
                running += sums[at];
            }
            acc += running;
        }
        acc + running.mul_bigint([(lo - 1) as u64])
    }
}

/// Writes the signed `c`-bit digits of `s` into `out`, lowest window first:
/// `s = sum_k out[k] * 2^(c*k)`, every digit in `(-2^(c-1), 2^(c-1)]`.
fn signed_digits(s: &BigInteger256, c: usize, out: &mut [i32]) {
    let limbs = s.as_ref();
    let half = 1i64 << (c - 1);
    let mut carry = 0i64;
    for (k, d) in out.iter_mut().enumerate() {
        let off = k * c;
        let (limb, shift) = (off / 64, off % 64);
        let mut bits = limbs.get(limb).map_or(0, |l| l >> shift);
        if shift + c > 64
            && let Some(next) = limbs.get(limb + 1)
        {
            bits |= next << (64 - shift);
        }
        let mut v = (bits & ((1u64 << c) - 1)) as i64 + carry;
        carry = i64::from(v > half);
        if carry == 1 {
            v -= 1 << c;
        }
        *d = v as i32;
    }
    debug_assert_eq!(carry, 0, "scalar wider than the windows");
}

/// Reused buffers of [`add_pairs`].
struct Scratch<F> {
    den: Vec<F>,
    prefix: Vec<F>,
}

impl<F> Default for Scratch<F> {
    fn default() -> Self {
        Self {
            den: Vec::new(),
            prefix: Vec::new(),
        }
    }
}

/// One level of the bucket trees, in place: within each bucket (consecutive runs of
/// `sizes[b]` points), adds the points pairwise, carrying an odd one over, and updates
/// `sizes`. All the pairs' slope denominators share one field inversion.
fn add_pairs<P: SWCurveConfig>(
    points: &mut Vec<Affine<P>>,
    sizes: &mut [u32],
    scratch: &mut Scratch<P::BaseField>,
) {
    // Denominators: x2 - x1, or 2 * y1 when doubling; one for a cancelling pair. None is
    // zero, so the inversion below cannot fail.
    let Scratch { den, prefix } = scratch;
    den.clear();
    prefix.clear();
    // Montgomery's batch inversion, its prefix products taken as the denominators come.
    let mut acc = P::BaseField::ONE;
    let mut start = 0;
    for &s in sizes.iter() {
        for t in 0..s as usize / 2 {
            let (p, q) = (&points[start + 2 * t], &points[start + 2 * t + 1]);
            let d = if p.x != q.x {
                q.x - p.x
            } else if p.y == q.y && !p.y.is_zero() {
                p.y.double()
            } else {
                P::BaseField::ONE
            };
            prefix.push(acc);
            den.push(d);
            acc *= d;
        }
        start += s as usize;
    }
    let mut inv = acc.inverse().expect("denominators are non-zero");
    for (d, before) in den.iter_mut().zip(prefix.iter()).rev() {
        let this = inv * before;
        inv *= *d;
        *d = this;
    }

    // Outputs overwrite the inputs: the write position never passes the read position.
    let (mut start, mut pair, mut write) = (0, 0, 0);
    for s in sizes.iter_mut() {
        let before = write;
        for t in 0..*s as usize / 2 {
            let (p, q) = (points[start + 2 * t], points[start + 2 * t + 1]);
            let inv = den[pair];
            pair += 1;
            let lambda = if p.x != q.x {
                (q.y - p.y) * inv
            } else if p.y == q.y && !p.y.is_zero() {
                (p.x.square() * P::BaseField::from(3u64) + P::COEFF_A) * inv
            } else {
                // p + (-p), or p + p for a point of order 2: the identity, dropped.
                continue;
            };
            let x = lambda.square() - p.x - q.x;
            let y = lambda * (p.x - x) - p.y;
            points[write] = Affine::new_unchecked(x, y);
            write += 1;
        }
        if *s % 2 == 1 {
            points[write] = points[start + *s as usize - 1];
            write += 1;
        }
        start += *s as usize;
        *s = (write - before) as u32;
    }
    points.truncate(write);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
    use ark_ec::{PrimeGroup, VariableBaseMSM};
    use ark_ff::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn check<P>(bases: &[Affine<P>], scalars: &[Fr])
    where
        P: SWCurveConfig<ScalarField = Fr>,
        Projective<P>: VariableBaseMSM<MulBase = Affine<P>, ScalarField = Fr>,
    {
        let ints: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        let expected = <Projective<P> as VariableBaseMSM>::msm(bases, scalars).expect("lengths");
        // The full table, strided ones, and the bases alone (the stride clamps to the
        // number of windows).
        for stride in [1, 2, 3, 5, usize::MAX] {
            let table = FixedBaseTable::with_stride(bases, stride);
            assert_eq!(
                table.msm(&ints).into_affine(),
                expected.into_affine(),
                "stride {stride}"
            );
        }
    }

    #[test]
    fn a_budget_bounds_the_table_down_to_the_bases_alone() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let bases: Vec<G1Affine> = (0..1000)
            .map(|_| (G1Projective::generator() * Fr::rand(&mut rng)).into_affine())
            .collect();
        let full = FixedBaseTable::new(&bases);
        assert_eq!(full.stride(), 1);
        let half = FixedBaseTable::with_budget(&bases, full.size_bytes() / 2);
        assert!(half.stride() >= 2 && half.size_bytes() <= full.size_bytes() / 2);
        let point = std::mem::size_of::<G1Affine>();
        let least = FixedBaseTable::with_budget(&bases, 0);
        assert_eq!(least.size_bytes(), 1000 * point, "the bases alone");
        let scalars: Vec<Fr> = (0..1000).map(|_| Fr::rand(&mut rng)).collect();
        let ints: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
        assert_eq!(half.msm(&ints), full.msm(&ints));
        assert_eq!(least.msm(&ints), full.msm(&ints));
    }

    fn awkward_scalars(n: usize, rng: &mut ChaCha20Rng) -> Vec<Fr> {
        (0..n)
            .map(|i| match i % 7 {
                0 => Fr::zero(),
                1 => Fr::from(1u64),
                2 => -Fr::from(1u64),
                3 => Fr::from(1u64 << 15),
                4 => Fr::from((i as u64) << 40),
                _ => Fr::rand(rng),
            })
            .collect()
    }

    #[test]
    fn matches_arkworks_msm_in_g1_with_zero_duplicate_and_opposite_bases() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for n in [0usize, 1, 2, 3, 17, 300, 5000] {
            let mut bases: Vec<G1Affine> = (0..n)
                .map(|_| (G1Projective::generator() * Fr::rand(&mut rng)).into_affine())
                .collect();
            if n >= 17 {
                // Zero bases, repeated bases (doublings in a bucket) and opposite bases
                // (cancellations in a bucket).
                bases[3] = G1Affine::identity();
                bases[5] = bases[4];
                bases[6] = bases[4];
                bases[8] = -bases[7];
                bases[9] = bases[7];
            }
            let mut scalars = awkward_scalars(n, &mut rng);
            if n >= 17 {
                // Equal scalars on equal bases put the same table point in the same bucket.
                scalars[5] = scalars[4];
                scalars[6] = scalars[4];
                scalars[8] = scalars[7];
                scalars[9] = scalars[7];
            }
            check(&bases, &scalars);
        }
    }

    #[test]
    fn matches_arkworks_msm_in_g2() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let mut bases: Vec<G2Affine> = (0..400)
            .map(|_| (G2Projective::generator() * Fr::rand(&mut rng)).into_affine())
            .collect();
        bases[10] = G2Affine::identity();
        bases[12] = bases[11];
        bases[13] = -bases[11];
        let mut scalars = awkward_scalars(bases.len(), &mut rng);
        scalars[12] = scalars[11];
        scalars[13] = scalars[11];
        check(&bases, &scalars);
    }

    #[test]
    fn signed_digits_recompose_the_scalar() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        for c in [6, 11, 13, 16] {
            let windows = SCALAR_BITS.div_ceil(c);
            for s in [Fr::zero(), -Fr::from(1u64), Fr::rand(&mut rng)] {
                let mut d = vec![0; windows];
                signed_digits(&s.into_bigint(), c, &mut d);
                let half = 1i32 << (c - 1);
                assert!(d.iter().all(|&x| x > -half && x <= half));
                let back = d.iter().rev().fold(Fr::zero(), |acc, &x| {
                    acc * Fr::from(1u64 << c) + Fr::from(i64::from(x))
                });
                assert_eq!(back, s, "c = {c}");
            }
        }
    }
}

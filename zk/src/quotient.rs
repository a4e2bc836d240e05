//! The quotient polynomial `h = (A(X) B(X) - C(X)) / Z(X)` of a Groth16 proof: the same
//! coefficients as arkworks' libsnark reduction (`LibsnarkReduction::witness_map_from_matrices`),
//! computed with the domain's twiddles and coset powers precomputed once per shape.
//!
//! Given the full assignment `z`, on the evaluation domain `H` of size `n`:
//!
//! 1. `a = A z`, `b = B z` (rows past the constraints carry the public inputs in `a`, as in
//!    the reduction; the circuit's witness-only run records them, so the prover does not
//!    evaluate the matrices either), and `c = a * b` pointwise: for a satisfying assignment
//!    it equals `C z` on every point of `H`, so the `C` matrix is never evaluated;
//! 2. each of `a`, `b`, `c` is interpolated (inverse FFT) and evaluated on the coset `gH`
//!    (the `1/n` of the inverse and the coset shift `g^i` folded into one pass);
//! 3. `h(gw^i) = (a b - c)(gw^i) / Z(g)`, where `Z(X) = X^n - 1` is constant on the coset;
//! 4. an inverse FFT on the coset gives `h`'s coefficients.
//!
//! Seven FFTs of size `n`; the three interpolations and evaluations run side by side.
//! [`QuotientDomain::quotient`] requires a satisfying assignment (the prover checks the
//! witness first); for any other it returns a polynomial that makes the proof fail.

use crate::Fr;
use ark_ff::{FftField, Field, One, Zero};
use ark_relations::gr1cs::Matrix;
use rayon::prelude::*;

/// Butterflies per parallel task.
const TASK: usize = 1 << 10;

/// A radix-2 evaluation domain of `Fr` with everything the quotient needs precomputed.
#[derive(Clone, Debug)]
pub struct QuotientDomain {
    /// `log2(n)`.
    log_n: u32,
    /// `w^i` for `i < n/2`, `w` the domain's generator.
    twiddles: Vec<Fr>,
    /// `w^-i` for `i < n/2`.
    inv_twiddles: Vec<Fr>,
    /// `g^i / n` for `i < n`: interpolate, then shift onto the coset.
    to_coset: Vec<Fr>,
    /// `g^-i / n` for `i < n`: the coset's inverse FFT.
    from_coset: Vec<Fr>,
    /// `1 / Z(g) = 1 / (g^n - 1)`.
    vanishing_inv: Fr,
}

impl QuotientDomain {
    /// The domain of the smallest power of two at least `size` (the constraints plus the
    /// public inputs, as arkworks sizes it); `None` past `Fr`'s two-adicity.
    pub fn new(size: usize) -> Option<Self> {
        let n = size.max(2).checked_next_power_of_two()?;
        let log_n = n.trailing_zeros();
        let w = Fr::get_root_of_unity(n as u64)?;
        let powers = |x: Fr, len: usize, scale: Fr| {
            let mut out = Vec::with_capacity(len);
            let mut acc = scale;
            for _ in 0..len {
                out.push(acc);
                acc *= x;
            }
            out
        };
        let w_inv = w.inverse()?;
        let g = Fr::GENERATOR;
        let n_inv = Fr::from(n as u64).inverse()?;
        Some(Self {
            log_n,
            twiddles: powers(w, n / 2, Fr::one()),
            inv_twiddles: powers(w_inv, n / 2, Fr::one()),
            to_coset: powers(g, n, n_inv),
            from_coset: powers(g.inverse()?, n, n_inv),
            vanishing_inv: (g.pow([n as u64]) - Fr::one()).inverse()?,
        })
    }

    /// The domain's size `n`.
    pub fn size(&self) -> usize {
        1 << self.log_n
    }

    /// `h`'s `n` coefficients (a proving key's `h_query` multiplies the first `n - 1`; the
    /// top one is zero for a satisfying assignment), from the constraints' evaluations
    /// `a = A z`, `b = B z` (one value per constraint, see [`evaluations`]) and the public
    /// inputs `[1, x..]`.
    pub fn quotient(&self, mut a: Vec<Fr>, mut b: Vec<Fr>, inputs: &[Fr]) -> Vec<Fr> {
        let n = self.size();
        let constraints = a.len();
        assert!(
            b.len() == constraints && constraints + inputs.len() <= n,
            "{constraints} constraints and {} inputs do not fit a domain of {n}",
            inputs.len()
        );
        // The reduction's input rows: `a` carries the inputs, `b` and `c` are zero there.
        a.extend_from_slice(inputs);
        a.resize(n, Fr::zero());
        b.resize(n, Fr::zero());
        let mut c: Vec<Fr> = a.par_iter().zip(&b).map(|(x, y)| *x * y).collect();
        rayon::join(
            || self.to_coset_evaluations(&mut a),
            || {
                rayon::join(
                    || self.to_coset_evaluations(&mut b),
                    || self.to_coset_evaluations(&mut c),
                )
            },
        );
        let z = self.vanishing_inv;
        a.par_iter_mut()
            .zip(&b)
            .zip(&c)
            .for_each(|((a, b), c)| *a = (*a * b - c) * z);
        fft(&mut a, &self.inv_twiddles);
        a.par_iter_mut()
            .zip(&self.from_coset)
            .for_each(|(x, s)| *x *= s);
        a
    }

    /// Evaluations on `H` to evaluations on `gH`.
    fn to_coset_evaluations(&self, v: &mut [Fr]) {
        fft(v, &self.inv_twiddles);
        v.par_iter_mut()
            .zip(&self.to_coset)
            .for_each(|(x, s)| *x *= s);
        fft(v, &self.twiddles);
    }
}

/// `(A z, B z)` from the constraint matrices, one value per constraint (what a
/// witness-only run of the circuit records as it goes).
pub fn evaluations(matrices: &[Matrix<Fr>], assignment: &[Fr]) -> (Vec<Fr>, Vec<Fr>) {
    let eval = |m: &Matrix<Fr>| -> Vec<Fr> {
        m.par_iter()
            .map(|row| row.iter().map(|(c, i)| *c * assignment[*i]).sum())
            .collect()
    };
    rayon::join(|| eval(&matrices[0]), || eval(&matrices[1]))
}

/// In-place radix-2 FFT (decimation in time, natural order in and out) of `v` with
/// `twiddles[i] = w^i`, `i < n/2`, `w` of order `n = v.len()`: `v_j <- sum_i v_i w^(ij)`.
fn fft(v: &mut [Fr], twiddles: &[Fr]) {
    let n = v.len();
    debug_assert!(n.is_power_of_two() && twiddles.len() == n / 2);
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if i < j {
            v.swap(i, j);
        }
    }
    // The first stages inside cache-sized chunks, one task per chunk.
    let chunk = n.min(2 * TASK);
    v.par_chunks_mut(chunk).for_each(|c| {
        let mut half = 1;
        while half < chunk {
            let step = n / (2 * half);
            for block in c.chunks_mut(2 * half) {
                let (lo, hi) = block.split_at_mut(half);
                butterflies(lo, hi, twiddles, 0, step);
            }
            half *= 2;
        }
    });
    // The remaining stages, each split into tasks of `TASK` butterflies.
    let mut half = chunk;
    while half < n {
        let step = n / (2 * half);
        v.par_chunks_mut(2 * half).for_each(|block| {
            let (lo, hi) = block.split_at_mut(half);
            lo.par_chunks_mut(TASK)
                .zip(hi.par_chunks_mut(TASK))
                .enumerate()
                .for_each(|(k, (lo, hi))| butterflies(lo, hi, twiddles, k * TASK, step));
        });
        half *= 2;
    }
}

/// `(lo_j, hi_j) <- (lo_j + t, lo_j - t)`, `t = w^((first + j) * step) * hi_j`.
fn butterflies(lo: &mut [Fr], hi: &mut [Fr], twiddles: &[Fr], first: usize, step: usize) {
    for (j, (l, h)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
        let t = if first + j == 0 {
            *h
        } else {
            *h * twiddles[(first + j) * step]
        };
        *h = *l - t;
        *l += t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn fft_matches_arkworks() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for log_n in [1, 2, 5, 11, 12, 13] {
            let n = 1 << log_n;
            let q = QuotientDomain::new(n).expect("domain");
            let domain = GeneralEvaluationDomain::<Fr>::new(n).expect("domain");
            let v: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let mut ours = v.clone();
            fft(&mut ours, &q.twiddles);
            assert_eq!(ours, domain.fft(&v), "fft, n = {n}");
            let mut ours = v.clone();
            q.to_coset_evaluations(&mut ours);
            let coset = domain.get_coset(Fr::GENERATOR).expect("coset");
            assert_eq!(ours, coset.fft(&domain.ifft(&v)), "coset, n = {n}");
        }
    }
}

//! The mutator the hostile-input test and the fuzz bench (`p2p/benches/fuzz.rs`) share:
//! truncation, bit flips, inserted bytes, random bytes, and huge runs of digits (numbers
//! far out of range).

use rand::{Rng, rngs::StdRng};

/// One mutation of `valid`.
pub(crate) fn mutate(rng: &mut StdRng, valid: &[u8]) -> Vec<u8> {
    let mut b = valid.to_vec();
    match rng.gen_range(0..5) {
        0 => b.truncate(rng.gen_range(0..=b.len())),
        1 => {
            for _ in 0..rng.gen_range(1..8) {
                let i = rng.gen_range(0..b.len());
                b[i] ^= 1 << rng.gen_range(0..8);
            }
        }
        2 => {
            let i = rng.gen_range(0..b.len());
            b.insert(i, rng.r#gen());
        }
        3 => b = (0..rng.gen_range(0..512)).map(|_| rng.r#gen()).collect(),
        _ => {
            let i = rng.gen_range(0..b.len());
            let digits = vec![b'9'; rng.gen_range(1..100_000)];
            b.splice(i..i, digits);
        }
    }
    b
}

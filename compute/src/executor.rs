//! Job executors: the functions a worker computes and then proves. Each returns its output
//! together with nothing the prover would not already hold (for `secagg-sum`, the witness
//! is exactly the inputs).

use crate::{Error, Fr, Result};

/// `secagg-sum`: the elementwise sum of `inputs`, each of length `dims`.
pub fn secagg_sum(inputs: &[Vec<Fr>], dims: usize) -> Result<Vec<Fr>> {
    let mut out = vec![Fr::from(0u64); dims];
    for x in inputs {
        if x.len() != dims {
            return Err(Error::Length {
                expected: dims,
                got: x.len(),
            });
        }
        for (o, v) in out.iter_mut().zip(x) {
            *o += v;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_elementwise_and_checks_lengths() {
        let xs = vec![
            vec![Fr::from(1u64), Fr::from(2u64)],
            vec![Fr::from(10u64), -Fr::from(3u64)],
        ];
        assert_eq!(
            secagg_sum(&xs, 2).expect("sum"),
            vec![Fr::from(11u64), -Fr::from(1u64)]
        );
        assert!(matches!(
            secagg_sum(&xs, 3),
            Err(Error::Length {
                expected: 3,
                got: 2
            })
        ));
    }
}

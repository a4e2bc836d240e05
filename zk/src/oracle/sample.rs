//! A sample anchored `secagg-sum-4x8` job (three owners answering a mean, 3 clerks at
//! threshold 2, one empty slot) on a real sharing, for tests and the contracts' fixture.

use super::{
    OracleShape, SECAGG_SUM_4X8_C5_T2, anchor,
    clerk::{ClerkStatement, ClerkSumCircuit, Slot, sum_of},
    clerk_commitment,
    finalize::{FinalizeCircuit, FinalizeStatement, Statistic, unmask},
    query_tag, share_commitment,
};
use crate::{Fr, commitment};
use arcanum_compute::{
    fixed::FixedPoint,
    secagg::{Committee, contribute},
};

/// The sample's statistic: the mean of the second element over the first (a count), 18
/// decimals.
pub const MEAN: Statistic = Statistic {
    num: 1,
    den: 0,
    decimals: 18,
    scale_bits: 16,
};

/// Its oracle shape.
pub const SHAPE: OracleShape = SECAGG_SUM_4X8_C5_T2;

/// The sample job: three owners of rows `[n, sum]`, 3 clerks at threshold 2, one empty slot.
/// The sample job: what each clerk holds, the masked vectors, anchors and plain sum.
pub struct Job {
    /// The query tag.
    pub tag: Fr,
    /// Per clerk, its slots.
    pub slots: Vec<Vec<Slot>>,
    /// The masked vectors.
    pub masked: Vec<Vec<Fr>>,
    /// The anchors.
    pub anchors: Vec<Fr>,
    /// The plain sum.
    pub plain: Vec<Fr>,
}

/// Builds the sample job (deterministic).
pub fn job() -> Job {
    let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(3);
    let codec = FixedPoint::default();
    let owners = [[10.0, 52.5], [20.0, 118.25], [5.0, 31.0]];
    let tag = query_tag("iris/mean/sepal_length");
    let committee = Committee::plain(3, 2);
    let d = SHAPE.job.dims;
    let mut slots = vec![Vec::new(); 3];
    let mut masked = Vec::new();
    let mut anchors = Vec::new();
    let mut plain = vec![Fr::from(0u64); d];
    for row in owners {
        let mut values = codec.encode_vec(&row).expect("encode");
        values.resize(d, Fr::from(0u64));
        for (p, v) in plain.iter_mut().zip(&values) {
            *p += v;
        }
        let c = contribute(&values, committee, &mut rng).expect("contribute");
        let ds: Vec<Fr> = c.pad_shares.iter().map(|s| share_commitment(s)).collect();
        let mut padded = ds.clone();
        padded.resize(SHAPE.clerks, Fr::from(0u64));
        let contribution = commitment::contribution(&c.masked);
        anchors.push(anchor(tag, contribution, &ds, SHAPE.clerks).expect("anchor"));
        for (k, share) in c.pad_shares.iter().enumerate() {
            slots[k].push(Slot {
                present: true,
                contribution: commitment::contribution(&c.masked),
                share_commitments: padded.clone(),
                share: share.clone(),
            });
        }
        masked.push(c.masked);
    }
    for s in &mut slots {
        s.push(Slot::absent(SHAPE));
    }
    masked.push(vec![Fr::from(0u64); d]);
    anchors.push(Fr::from(0u64));
    Job {
        tag,
        slots,
        masked,
        anchors,
        plain,
    }
}

impl Job {
    /// The job's input commitment.
    pub fn input_commitment(&self) -> Fr {
        commitment::inputs_anchored(&self.masked, &self.anchors)
    }

    /// The masked sum (the job's output).
    pub fn masked_sum(&self) -> Vec<Fr> {
        (0..SHAPE.job.dims)
            .map(|j| self.masked.iter().map(|x| x[j]).sum())
            .collect()
    }

    /// Clerk `k`'s circuit (index `k + 1`).
    pub fn clerk(&self, k: usize) -> ClerkSumCircuit {
        let sum = sum_of(&self.slots[k], SHAPE.job.dims);
        ClerkSumCircuit {
            shape: SHAPE,
            statement: ClerkStatement {
                input_commitment: self.input_commitment(),
                query_tag: self.tag,
                index: k as u64 + 1,
                clerk_commitment: clerk_commitment(&sum),
            },
            slots: self.slots[k].clone(),
        }
    }

    /// The finalize circuit bound to `binding` ([`super::finalize::binding`]) from clerks
    /// `clerks` (positions from 0).
    pub fn finalize(
        &self,
        binding: Fr,
        clerks: [usize; 2],
        statistic: Statistic,
    ) -> FinalizeCircuit {
        let sums: Vec<Vec<Fr>> = clerks
            .iter()
            .map(|k| sum_of(&self.slots[*k], SHAPE.job.dims))
            .collect();
        let indices: Vec<u64> = clerks.iter().map(|k| *k as u64 + 1).collect();
        let s = self.masked_sum();
        let a = unmask(&s, &indices, &sums).expect("unmask");
        let value = statistic.value(&a).expect("value");
        FinalizeCircuit {
            shape: SHAPE,
            statement: FinalizeStatement {
                request_id: binding,
                input_commitment: self.input_commitment(),
                statistic,
                value,
                indices,
                clerk_commitments: sums.iter().map(|x| clerk_commitment(x)).collect(),
                anchors: self.anchors.clone(),
            },
            masked: self.masked.clone(),
            clerk_sums: sums,
        }
    }
}

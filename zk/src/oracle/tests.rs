//! The oracle circuits on real sharings: honest witnesses satisfy; every way to publish a
//! wrong value (a wrong value, a clerk lying, clerks at the wrong positions or repeated,
//! contributors dropped or added, another query) does not.

use super::{
    clerk::sum_of,
    finalize::{DEN_SCALE, Statistic, unmask},
    *,
};
use crate::circuit::Synthesizer;
use arcanum_compute::fixed::FixedPoint;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

use super::sample::{SHAPE, job};

/// Whether `c`'s witness satisfies its constraints (synthesis must not fail).
pub(super) fn satisfied<C: crate::circuit::Circuit>(c: C) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    Synthesizer(c)
        .generate_constraints(cs.clone())
        .expect("synthesis");
    cs.is_satisfied().expect("check")
}

const MEAN: Statistic = super::sample::MEAN;

#[test]
fn unmasking_recovers_the_plain_sum_from_any_two_clerks() {
    let j = job();
    for pair in [[0, 1], [0, 2], [2, 1]] {
        let f = j.finalize(Fr::from(9u64), pair, MEAN);
        let indices = f.statement.indices.clone();
        assert_eq!(
            unmask(&j.masked_sum(), &indices, &f.clerk_sums).expect("unmask"),
            j.plain
        );
    }
}

#[test]
fn the_value_is_the_exact_statistic() {
    let j = job();
    // mean = (52.5 + 118.25 + 31) / 35 = 5.764285714285714285714..., 18 decimals, half up.
    assert_eq!(
        MEAN.value(&j.plain).expect("mean"),
        5_764_285_714_285_714_286
    );
    let sum = Statistic {
        num: 1,
        den: DEN_SCALE,
        decimals: 2,
        scale_bits: 16,
    };
    assert_eq!(sum.value(&j.plain).expect("sum"), 20_175);
    let count = Statistic { num: 0, ..sum };
    assert_eq!(count.value(&j.plain).expect("count"), 3_500);
    // Negative numerators round half up as well: -2.5 -> -2, -2.6 -> -3.
    let codec = FixedPoint::default();
    let neg = |x: f64| {
        Statistic {
            num: 0,
            den: DEN_SCALE,
            decimals: 0,
            scale_bits: 16,
        }
        .value(&[codec.encode(x).expect("encode")])
        .expect("value")
    };
    assert_eq!((neg(-2.5), neg(-2.6), neg(2.5)), (-2, -3, 3));
    assert_eq!(Statistic::from_params(MEAN.params()), MEAN);
}

#[test]
fn honest_clerks_and_finalize_satisfy() {
    let j = job();
    for k in 0..3 {
        assert!(satisfied(j.clerk(k)), "clerk {k}");
    }
    assert!(satisfied(j.finalize(Fr::from(9u64), [0, 2], MEAN)));
    let sum = Statistic {
        num: 1,
        den: DEN_SCALE,
        decimals: 2,
        scale_bits: 16,
    };
    assert!(satisfied(j.finalize(Fr::from(9u64), [1, 0], sum)));
}

#[test]
fn a_wrong_value_or_statistic_is_unsatisfied() {
    let j = job();
    for delta in [1i128, -1, 1_000_000] {
        let mut f = j.finalize(Fr::from(9u64), [0, 1], MEAN);
        f.statement.value += delta;
        assert!(!satisfied(f), "value off by {delta}");
    }
    // The value of another column (or another statistic) under this feed's parameters.
    let mut f = j.finalize(Fr::from(9u64), [0, 1], MEAN);
    f.statement.statistic = Statistic { num: 2, ..MEAN };
    assert!(!satisfied(f));
    // Malformed parameters: decimals past 31 (bit 21).
    let mut f = j.finalize(Fr::from(9u64), [0, 1], MEAN);
    f.statement.statistic.decimals = 40;
    assert!(!satisfied(f));
}

#[test]
fn lying_or_misplaced_clerks_are_unsatisfied() {
    let j = job();
    // A clerk commitment to another sum.
    let mut c = j.clerk(1);
    c.statement.clerk_commitment = clerk_commitment(&sum_of(&j.slots[0], SHAPE.job.dims));
    assert!(!satisfied(c));
    // A clerk claiming another position with its own shares.
    let mut c = j.clerk(1);
    c.statement.index = 1;
    assert!(!satisfied(c));
    // A position beyond the anchored ones.
    let mut c = j.clerk(1);
    c.statement.index = 6;
    assert!(!satisfied(c));
    // Another query.
    let mut c = j.clerk(0);
    c.statement.query_tag = query_tag("iris/mean/petal_length");
    assert!(!satisfied(c));
    // The finalize with a clerk sum that is not the committed one.
    let mut f = j.finalize(Fr::from(9u64), [0, 1], MEAN);
    f.clerk_sums[1][0] += Fr::from(1u64);
    assert!(!satisfied(f));
    // The same clerk twice.
    let mut f = j.finalize(Fr::from(9u64), [0, 1], MEAN);
    f.statement.indices = vec![1, 1];
    f.statement.clerk_commitments[1] = f.statement.clerk_commitments[0];
    f.clerk_sums[1] = f.clerk_sums[0].clone();
    assert!(!satisfied(f));
    // Masked vectors or anchors that do not open the input commitment.
    let mut f = j.finalize(Fr::from(9u64), [0, 1], MEAN);
    f.masked[2][3] += Fr::from(1u64);
    assert!(!satisfied(f));
    let mut f = j.finalize(Fr::from(9u64), [0, 1], MEAN);
    f.statement.anchors.swap(0, 1);
    assert!(!satisfied(f));
    // An anchor that is not the owner's (another owner's signature would not match it).
    let mut f = j.finalize(Fr::from(9u64), [0, 1], MEAN);
    f.statement.anchors[2] += Fr::from(1u64);
    assert!(!satisfied(f));
}

#[test]
fn dropped_or_invented_contributors_are_unsatisfied() {
    let j = job();
    // A present contributor declared absent (its shares left out of the clerk's sum).
    let mut c = j.clerk(0);
    c.slots[1].present = false;
    c.statement.clerk_commitment = clerk_commitment(&sum_of(&c.slots, SHAPE.job.dims));
    assert!(!satisfied(c));
    // The padding slot declared present with a made-up share.
    let mut c = j.clerk(0);
    c.slots[3].present = true;
    c.slots[3].share[0] = Fr::from(5u64);
    c.slots[3].share_commitments[0] = share_commitment(&c.slots[3].share);
    c.statement.clerk_commitment = clerk_commitment(&sum_of(&c.slots, SHAPE.job.dims));
    assert!(!satisfied(c));
    // A share that does not open the contributor's commitment.
    let mut c = j.clerk(2);
    c.slots[0].share[0] += Fr::from(1u64);
    c.statement.clerk_commitment = clerk_commitment(&sum_of(&c.slots, SHAPE.job.dims));
    assert!(!satisfied(c));
}

#[test]
fn constraint_counts() {
    let count = |c: Box<dyn crate::circuit::Circuit + Send + Sync>| {
        let cs = ConstraintSystem::<Fr>::new_ref();
        Synthesizer(c)
            .generate_constraints(cs.clone())
            .expect("synthesis");
        cs.num_constraints()
    };
    let clerk = count(SHAPE.clerk().blank_circuit().expect("blank"));
    let finalize = count(SHAPE.finalize().blank_circuit().expect("blank"));
    println!("finalize_constraints_secagg-sum: {finalize}\nclerk_constraints_secagg-sum: {clerk}");
    // A handful of Poseidon permutations each (about 400 constraints apiece).
    assert!((2_000..12_000).contains(&clerk), "clerk {clerk}");
    assert!((1_000..6_000).contains(&finalize), "finalize {finalize}");
}

//! The he-linear oracle circuits on real encryptions under a Shamir-shared key: honest
//! members and finalize satisfy; a wrong value, a share from outside the committee, a
//! wrong key digest, a repeated member, a dropped or invented contributor, or another
//! query does not.

use super::tests::satisfied;
use super::{
    decrypt::{self, lagrange_integers},
    finalize::{DEN_SCALE, Statistic},
    sample_he::{MEAN, job},
};
use crate::Fr;
use arcanum_compute::elgamal::Ciphertext;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ed_on_bn254::{EdwardsAffine, Fr as Scalar};

#[test]
fn integer_lagrange_coefficients_interpolate_at_zero() {
    let delta = decrypt::delta() as i64;
    for set in [[1u64, 2, 3], [1, 3, 5], [2, 4, 5], [3, 4, 5]] {
        let c = lagrange_integers(&set).expect("coefficients");
        // Δ f(0) = Σ c_k f(x_k) for every polynomial of degree < 3.
        for f in [|x: i64| 7 + 3 * x - 2 * x * x, |x: i64| -4 + x * x] {
            let lhs: i64 = c.iter().zip(&set).map(|(c, x)| c * f(*x as i64)).sum();
            assert_eq!(lhs, delta * f(0), "{set:?}");
        }
        assert!(
            c.iter()
                .all(|c| c.unsigned_abs() < 1 << decrypt::LAGRANGE_BITS)
        );
    }
    assert!(lagrange_integers(&[1, 1, 2]).is_err());
    assert!(lagrange_integers(&[0, 1, 2]).is_err());
    assert!(lagrange_integers(&[1, 2, 6]).is_err());
}

#[test]
fn honest_members_and_finalize_satisfy_for_any_three_members() {
    let j = job();
    for (i, s) in j.secrets.iter().enumerate() {
        assert!(
            satisfied(j.member(i as u64 + 1, *s, MEAN)),
            "member {}",
            i + 1
        );
    }
    for set in [[1, 2, 3], [1, 3, 5], [2, 4, 5]] {
        let f = j.finalize(Fr::from(9u64), set, MEAN).expect("finalize");
        // mean = (52.5 + 118.3 + 31.0) / 35 in tenths: 2018 / 35 = 57.657142857142857142857...
        assert_eq!(f.statement.value, 57_657_142_857_142_857_143, "{set:?}");
        assert!(satisfied(f), "{set:?}");
    }
    // A constant denominator: the sum of the second element, 2 decimals.
    let sum = Statistic {
        num: 1,
        den: DEN_SCALE,
        decimals: 2,
        scale_bits: 0,
    };
    let f = j
        .finalize(Fr::from(9u64), [1, 2, 4], sum)
        .expect("finalize");
    assert_eq!(f.statement.value, 201_800);
    assert!(satisfied(f));
}

#[test]
fn a_share_from_outside_the_committee_is_unsatisfiable() {
    let j = job();
    // An outsider proving under member 2's index, or member 1's share claimed as member 2.
    let outsider = Scalar::from(123_456_789u64);
    assert!(!satisfied(j.member(2, outsider, MEAN)));
    assert!(!satisfied(j.member(2, j.secrets[0], MEAN)));
    // Its own key in the digest instead: another committee than the owners anchored.
    let mut keys = j.keys.clone();
    keys[1] = (EdwardsAffine::generator() * outsider).into_affine();
    let m = decrypt::DecryptShareCircuit::honest(3, &keys, 2, outsider, j.c1(MEAN)).expect("m");
    assert!(satisfied(m.clone()));
    let mut f = j
        .finalize(Fr::from(9u64), [1, 2, 3], MEAN)
        .expect("finalize");
    f.keys = keys;
    f.statement.key_digest = m.statement.key_digest;
    assert!(
        !satisfied(f),
        "anchors bind the committee the owners encrypted to"
    );
    // Decrypted with an outsider's share in member 3's place.
    let mut f = j
        .finalize(Fr::from(9u64), [1, 2, 3], MEAN)
        .expect("finalize");
    let c1 = j.c1(MEAN);
    f.shares[2] = c1.map(|p| (p * outsider).into_affine());
    f.statement.share_commitments[2] = decrypt::share_commitment(&f.shares[2]);
    assert!(!satisfied(f));
}

#[test]
fn a_wrong_value_or_statistic_is_unsatisfiable() {
    let j = job();
    let honest = j
        .finalize(Fr::from(9u64), [1, 3, 5], MEAN)
        .expect("finalize");
    for delta in [1i128, -1, 1_000_000_000] {
        let mut f = honest.clone();
        f.statement.value += delta;
        assert!(!satisfied(f), "value off by {delta}");
    }
    // A wrong plaintext for the denominator (and the value made to match it).
    let mut f = honest.clone();
    f.plain[1] += 1;
    f.statement.value = 2018 * 10i128.pow(18) / 36;
    assert!(!satisfied(f));
    // Another statistic than the sums were selected for.
    let mut f = honest.clone();
    f.statement.statistic.num = 2;
    assert!(!satisfied(f));
    // Another query's tag.
    let mut f = honest.clone();
    f.statement.query_tag += Fr::from(1u64);
    assert!(!satisfied(f));
    // A repeated member.
    let mut f = honest;
    f.statement.indices[2] = f.statement.indices[1];
    f.shares[2] = f.shares[1];
    f.statement.share_commitments[2] = f.statement.share_commitments[1];
    assert!(!satisfied(f));
}

#[test]
fn dropped_or_invented_contributors_are_unsatisfiable() {
    let j = job();
    let honest = j
        .finalize(Fr::from(9u64), [1, 2, 3], MEAN)
        .expect("finalize");
    // An owner's anchor dropped: its slot is not the padding.
    let mut f = honest.clone();
    f.statement.anchors[0] = Fr::from(0u64);
    assert!(!satisfied(f));
    // A contribution invented in the empty slot (its anchor left zero).
    let mut f = honest.clone();
    let g = EdwardsAffine::generator();
    f.inputs[3][1] = Ciphertext { c1: g, c2: g };
    assert!(
        !satisfied(f),
        "the input commitment or the padding check binds the slot"
    );
    // Swapped anchors.
    let mut f = honest;
    f.statement.anchors.swap(0, 1);
    assert!(!satisfied(f));
}

//! The shape registry: fixed circuit shapes with stable ids. The same id names the
//! shape's keys off-chain and its verifier contract on-chain.

use crate::{Error, Result};
use arcanum_protocol::{JobKind, Shape, ShapeId};

/// `secagg-sum` over 4 contributors x 8 dimensions.
pub const SECAGG_SUM_4X8: Shape = Shape {
    id: ShapeId(1),
    kind: JobKind::SecaggSum,
    contributors: 4,
    dims: 8,
};

/// `he-linear` over 4 contributors x 8 ciphertexts.
pub const HE_LINEAR_4X8: Shape = Shape {
    id: ShapeId(2),
    kind: JobKind::HeLinear,
    contributors: 4,
    dims: 8,
};

/// `secagg-sum` over 16 contributors x 64 dimensions (a model update or a histogram per
/// contributor); 2^16 constraints.
pub const SECAGG_SUM_16X64: Shape = Shape {
    id: ShapeId(3),
    kind: JobKind::SecaggSum,
    contributors: 16,
    dims: 64,
};

/// `secagg-sum` over 16 contributors x 1152 dimensions: about a million constraints (the
/// domain is 2^20). Its dev setup takes minutes and its proving key hundreds of MB, so it
/// is in [`LARGE`], not [`ALL`]: nodes, devnets and CI leave it alone; the prover bench
/// measures it with `PROVE_LARGE=1`.
pub const SECAGG_SUM_16X1152: Shape = Shape {
    id: ShapeId(4),
    kind: JobKind::SecaggSum,
    contributors: 16,
    dims: 1152,
};

/// Every shape nodes set up and deploy verifiers for.
pub const ALL: &[Shape] = &[SECAGG_SUM_4X8, HE_LINEAR_4X8, SECAGG_SUM_16X64];

/// Registered shapes too large to set up by default (see [`SECAGG_SUM_16X1152`]).
pub const LARGE: &[Shape] = &[SECAGG_SUM_16X1152];

/// Looks a shape up by id.
pub fn by_id(id: ShapeId) -> Result<Shape> {
    ALL.iter()
        .chain(LARGE)
        .copied()
        .find(|s| s.id == id)
        .ok_or(Error::UnknownShape(id.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_resolve() {
        for s in ALL.iter().chain(LARGE) {
            assert_eq!(by_id(s.id).expect("registered"), *s);
            assert_eq!(ALL.iter().chain(LARGE).filter(|o| o.id == s.id).count(), 1);
        }
        assert!(matches!(
            by_id(ShapeId(9999)),
            Err(Error::UnknownShape(9999))
        ));
    }
}

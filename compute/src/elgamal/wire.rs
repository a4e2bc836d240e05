//! Canonical encodings: compressed points (32 bytes: `y` little-endian with the sign of `x`
//! in the top bit) and scalars (32 bytes little-endian), with validating decoders, plus
//! serde adapters (hex strings in human-readable formats, raw bytes otherwise).

use super::{EdwardsAffine, Error, Result, Scalar};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

/// Bytes of a compressed point.
pub(super) const POINT_BYTES: usize = 32;
/// Bytes of a scalar.
pub(super) const SCALAR_BYTES: usize = 32;

pub(super) fn point_to_bytes(p: &EdwardsAffine) -> [u8; POINT_BYTES] {
    let mut buf = [0u8; POINT_BYTES];
    // Cannot fail: the buffer has exactly the compressed size.
    let _ = p.serialize_compressed(&mut buf[..]);
    buf
}

/// Decodes a compressed point, rejecting bytes that are not a curve point, points outside
/// the prime-order subgroup, and non-canonical encodings.
pub(super) fn point_from_bytes(bytes: &[u8], what: &'static str) -> Result<EdwardsAffine> {
    if bytes.len() != POINT_BYTES {
        return Err(Error::ByteLength {
            what,
            expected: POINT_BYTES,
            got: bytes.len(),
        });
    }
    let p = EdwardsAffine::deserialize_with_mode(bytes, Compress::Yes, Validate::No)
        .map_err(|_| Error::NotOnCurve { what })?;
    if !p.is_on_curve() {
        return Err(Error::NotOnCurve { what });
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(Error::NotInSubgroup { what });
    }
    if point_to_bytes(&p) != bytes {
        return Err(Error::NonCanonical { what });
    }
    Ok(p)
}

/// A point from affine coordinates, rejecting points off the curve or outside the
/// prime-order subgroup.
pub(super) fn point_from_coordinates(
    x: crate::Fr,
    y: crate::Fr,
    what: &'static str,
) -> Result<EdwardsAffine> {
    let p = EdwardsAffine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(Error::NotOnCurve { what });
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(Error::NotInSubgroup { what });
    }
    Ok(p)
}

pub(super) fn scalar_to_bytes(s: &Scalar) -> [u8; SCALAR_BYTES] {
    let mut buf = [0u8; SCALAR_BYTES];
    // Cannot fail: the buffer has exactly the scalar's size.
    let _ = s.serialize_compressed(&mut buf[..]);
    buf
}

pub(super) fn scalar_from_bytes(bytes: &[u8], what: &'static str) -> Result<Scalar> {
    if bytes.len() != SCALAR_BYTES {
        return Err(Error::ByteLength {
            what,
            expected: SCALAR_BYTES,
            got: bytes.len(),
        });
    }
    let s = Scalar::deserialize_compressed(bytes).map_err(|_| Error::NonCanonical { what })?;
    if scalar_to_bytes(&s) != bytes {
        return Err(Error::NonCanonical { what });
    }
    Ok(s)
}

fn ser_bytes<S: Serializer>(bytes: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        s.serialize_str(&hex::encode(bytes))
    } else {
        s.serialize_bytes(bytes)
    }
}

fn de_bytes<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<u8>, D::Error> {
    if d.is_human_readable() {
        let s = String::deserialize(d)?;
        hex::decode(s.trim_start_matches("0x")).map_err(D::Error::custom)
    } else {
        serde_bytes_vec(d)
    }
}

fn serde_bytes_vec<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<u8>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("bytes")
        }
        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> std::result::Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }
        fn visit_byte_buf<E: serde::de::Error>(
            self,
            v: Vec<u8>,
        ) -> std::result::Result<Vec<u8>, E> {
            Ok(v)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Vec<u8>, A::Error> {
            let mut out = Vec::new();
            while let Some(b) = seq.next_element::<u8>()? {
                out.push(b);
            }
            Ok(out)
        }
    }
    d.deserialize_byte_buf(V)
}

/// Serde for one point (validated on decode).
pub(super) mod point {
    use super::*;

    pub(in crate::elgamal) fn serialize<S: Serializer>(
        p: &EdwardsAffine,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        ser_bytes(&point_to_bytes(p), s)
    }

    pub(in crate::elgamal) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<EdwardsAffine, D::Error> {
        point_from_bytes(&de_bytes(d)?, "point").map_err(D::Error::custom)
    }
}

/// Serde for a vector of points (concatenated encodings, each validated on decode).
pub(super) mod points {
    use super::*;

    pub(in crate::elgamal) fn serialize<S: Serializer>(
        ps: &[EdwardsAffine],
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = ps.iter().flat_map(point_to_bytes).collect();
        ser_bytes(&bytes, s)
    }

    pub(in crate::elgamal) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Vec<EdwardsAffine>, D::Error> {
        let bytes = de_bytes(d)?;
        if !bytes.len().is_multiple_of(POINT_BYTES) {
            return Err(D::Error::custom(Error::ByteLength {
                what: "point vector",
                expected: bytes.len() / POINT_BYTES * POINT_BYTES,
                got: bytes.len(),
            }));
        }
        bytes
            .chunks_exact(POINT_BYTES)
            .map(|c| point_from_bytes(c, "point vector").map_err(D::Error::custom))
            .collect()
    }
}

/// Serde for one scalar (canonical on decode).
pub(super) mod scalar {
    use super::*;

    pub(in crate::elgamal) fn serialize<S: Serializer>(
        v: &Scalar,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        ser_bytes(&scalar_to_bytes(v), s)
    }

    pub(in crate::elgamal) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Scalar, D::Error> {
        scalar_from_bytes(&de_bytes(d)?, "scalar").map_err(D::Error::custom)
    }
}

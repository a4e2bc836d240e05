//! Distributed key generation: Pedersen's "joint Feldman" protocol with proofs of knowledge.
//!
//! Parties are numbered `1..=n`; every party may also deal. The rounds:
//!
//! 1. **Deal.** Dealer `i` samples `f_i(z) = a_i0 + a_i1 z + … + a_i(t-1) z^(t-1)`,
//!    broadcasts a [`DealerBroadcast`] (Feldman commitments `A_ik = a_ik·G` and a Schnorr
//!    proof of knowledge of `a_i0`, bound to the session id and the dealer index) and sends
//!    each party `j` its [`DealerShare`] `s_ij = f_i(j)` privately.
//! 2. **Complain.** Party `j` checks every broadcast ([`DealerBroadcast::verify`]) and every
//!    share against its dealer's commitments ([`DealerShare::verify`]);
//!    [`check_shares`] returns a [`Complaint`] per dealer whose share is missing or wrong.
//! 3. **Justify.** An accused dealer answers each complaint by publishing the disputed
//!    share (a [`DealerShare`] used as a justification). Anyone can check it.
//! 4. **Finalize.** Everyone computes the same [`GroupKey`] with [`group_key`]: a dealer is
//!    disqualified (and the reason recorded as a [`Fault`]) for a bad proof of knowledge,
//!    malformed commitments, two different broadcasts, or a complaint without a valid
//!    justification. The joint key is `H = Σ_{i∈Q} A_i0`; party `j`'s verification key
//!    `X_j = Σ_{i∈Q} Σ_k j^k A_ik` is public. Party `j` obtains its [`KeyShare`]
//!    `x_j = Σ_{i∈Q} s_ij` with [`finalize`].

use super::hash::{DOMAIN_POK, Transcript};
use super::threshold::{GroupKey, KeyShare};
use super::{EdwardsAffine, EdwardsProjective, Error, Result, Scalar, wire};
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::{UniformRand, Zero};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Public parameters of one DKG run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkgParams {
    n: u32,
    t: u32,
    session: [u8; 32],
}

impl DkgParams {
    /// `n` parties, any `t` of which can decrypt; `session` must be unique per DKG run
    /// (e.g. a blake3 hash of the job id and committee) so proofs cannot be replayed.
    pub fn new(n: u32, t: u32, session: [u8; 32]) -> Result<Self> {
        if t == 0 || t > n {
            return Err(Error::Parameters(format!(
                "threshold {t} must be in 1..={n} (the committee size)"
            )));
        }
        Ok(Self { n, t, session })
    }

    /// Number of parties.
    pub fn n(&self) -> u32 {
        self.n
    }

    /// Threshold: shares needed to decrypt.
    pub fn t(&self) -> u32 {
        self.t
    }

    /// Session id.
    pub fn session(&self) -> &[u8; 32] {
        &self.session
    }

    fn check_party(&self, j: u32, role: &str) -> Result<()> {
        if j == 0 || j > self.n {
            return Err(Error::Parameters(format!(
                "{role} index {j} must be in 1..={} (parties are numbered from 1)",
                self.n
            )));
        }
        Ok(())
    }
}

/// Why a dealer was disqualified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Fault {
    /// The Schnorr proof of knowledge of the constant coefficient does not verify.
    #[error("its proof of knowledge of the secret coefficient does not verify")]
    ProofOfKnowledge,
    /// Wrong number of commitments.
    #[error("it broadcast {got} commitments, the threshold requires {expected}")]
    Commitments {
        /// `t`.
        expected: usize,
        /// Number broadcast.
        got: usize,
    },
    /// The dealer index is not a committee member.
    #[error("its index is not in 1..=n")]
    UnknownDealer,
    /// The dealer broadcast two different dealings.
    #[error("it broadcast two different dealings")]
    Equivocation,
    /// A party complained and the dealer published no valid justification.
    #[error("party {complainer} complained about its share and it gave no valid justification")]
    UnansweredComplaint {
        /// The complaining party.
        complainer: u32,
    },
}

/// A Schnorr proof of knowledge of `a` with `A = a·G`: `(c, s)` with
/// `c = H(session, n, t, dealer, commitments, s·G - c·A)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchnorrProof {
    /// Challenge.
    #[serde(with = "wire::scalar")]
    pub challenge: Scalar,
    /// Response.
    #[serde(with = "wire::scalar")]
    pub response: Scalar,
}

/// Dealer `i`'s broadcast: Feldman commitments and proof of knowledge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealerBroadcast {
    /// The dealer's index.
    pub dealer: u32,
    /// `A_ik = a_ik·G` for `k = 0..t`.
    #[serde(with = "wire::points")]
    pub commitments: Vec<EdwardsAffine>,
    /// Proof of knowledge of `a_i0`.
    pub pok: SchnorrProof,
}

fn pok_challenge(params: &DkgParams, b: &DealerBroadcast, r: &EdwardsAffine) -> Scalar {
    let mut tr = Transcript::new(DOMAIN_POK);
    tr.bytes(b"session", &params.session)
        .u64(b"n", params.n.into())
        .u64(b"t", params.t.into())
        .u64(b"dealer", b.dealer.into());
    for a in &b.commitments {
        tr.point(b"commitment", a);
    }
    tr.point(b"nonce", r);
    tr.challenge()
}

/// `Σ_k j^k C_k` by Horner's rule.
pub(super) fn eval_commitments(commitments: &[EdwardsAffine], j: u32) -> EdwardsProjective {
    let mut acc = EdwardsProjective::zero();
    for c in commitments.iter().rev() {
        acc = acc.mul_bigint([u64::from(j)]) + c;
    }
    acc
}

impl DealerBroadcast {
    /// Checks the dealer index, the number of commitments and the proof of knowledge.
    pub fn verify(&self, params: &DkgParams) -> Result<()> {
        let fault = |fault| Error::Dealer {
            dealer: self.dealer,
            fault,
        };
        if self.dealer == 0 || self.dealer > params.n {
            return Err(fault(Fault::UnknownDealer));
        }
        if self.commitments.len() != params.t as usize {
            return Err(fault(Fault::Commitments {
                expected: params.t as usize,
                got: self.commitments.len(),
            }));
        }
        let a0 = self.commitments[0];
        let r = (EdwardsProjective::generator() * self.pok.response - a0 * self.pok.challenge)
            .into_affine();
        if pok_challenge(params, self, &r) != self.pok.challenge {
            return Err(fault(Fault::ProofOfKnowledge));
        }
        Ok(())
    }
}

/// A share `s_ij = f_i(j)` sent privately from dealer `i` to party `j` (or published as a
/// justification after a complaint). `Debug` does not print the value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealerShare {
    /// The dealer `i`.
    pub dealer: u32,
    /// The recipient `j`.
    pub recipient: u32,
    /// `f_i(j)`.
    #[serde(with = "wire::scalar")]
    pub value: Scalar,
}

impl fmt::Debug for DealerShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DealerShare")
            .field("dealer", &self.dealer)
            .field("recipient", &self.recipient)
            .field("value", &"<redacted>")
            .finish()
    }
}

impl DealerShare {
    /// Checks `value·G == Σ_k recipient^k A_ik` against the dealer's broadcast.
    pub fn verify(&self, params: &DkgParams, broadcast: &DealerBroadcast) -> Result<()> {
        params.check_party(self.recipient, "recipient")?;
        let bad = Error::BadDealerShare {
            dealer: self.dealer,
            recipient: self.recipient,
        };
        if broadcast.dealer != self.dealer {
            return Err(bad);
        }
        let expected = eval_commitments(&broadcast.commitments, self.recipient);
        if EdwardsProjective::generator() * self.value != expected {
            return Err(bad);
        }
        Ok(())
    }
}

/// A dealer's secret polynomial. `Debug` does not print the coefficients.
pub struct Dealer {
    params: DkgParams,
    index: u32,
    coeffs: Vec<Scalar>,
}

impl fmt::Debug for Dealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dealer")
            .field("index", &self.index)
            .field("coeffs", &"<redacted>")
            .finish()
    }
}

impl Dealer {
    /// Samples dealer `index`'s random polynomial of degree `t - 1`.
    pub fn new<R: RngCore + CryptoRng>(
        params: &DkgParams,
        index: u32,
        rng: &mut R,
    ) -> Result<Self> {
        params.check_party(index, "dealer")?;
        let coeffs = (0..params.t).map(|_| Scalar::rand(rng)).collect();
        Ok(Self {
            params: *params,
            index,
            coeffs,
        })
    }

    /// The dealer's index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The public broadcast: commitments and proof of knowledge of the constant term.
    pub fn broadcast<R: RngCore + CryptoRng>(&self, rng: &mut R) -> DealerBroadcast {
        let g = EdwardsProjective::generator();
        let commitments = EdwardsProjective::normalize_batch(
            &self.coeffs.iter().map(|a| g * a).collect::<Vec<_>>(),
        );
        let mut b = DealerBroadcast {
            dealer: self.index,
            commitments,
            pok: SchnorrProof {
                challenge: Scalar::zero(),
                response: Scalar::zero(),
            },
        };
        let k = Scalar::rand(rng);
        let r = (g * k).into_affine();
        let c = pok_challenge(&self.params, &b, &r);
        b.pok = SchnorrProof {
            challenge: c,
            response: k + c * self.coeffs[0],
        };
        b
    }

    /// The private share for party `recipient`: `f(recipient)`.
    pub fn share_for(&self, recipient: u32) -> Result<DealerShare> {
        self.params.check_party(recipient, "recipient")?;
        let x = Scalar::from(recipient);
        let value = self
            .coeffs
            .iter()
            .rev()
            .fold(Scalar::zero(), |acc, a| acc * x + a);
        Ok(DealerShare {
            dealer: self.index,
            recipient,
            value,
        })
    }

    /// Shares for every party `1..=n`.
    pub fn shares(&self) -> Vec<DealerShare> {
        (1..=self.params.n)
            .filter_map(|j| self.share_for(j).ok())
            .collect()
    }
}

/// Party `complainer` accuses `dealer` of sending a missing or invalid share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// The accused dealer.
    pub dealer: u32,
    /// The party complaining.
    pub complainer: u32,
}

/// Party `me`'s round-2 check: a complaint against every dealer with a valid broadcast whose
/// share to `me` is missing or does not match its commitments. (Dealers with invalid
/// broadcasts are disqualified by everyone without complaints.)
pub fn check_shares(
    params: &DkgParams,
    me: u32,
    broadcasts: &[DealerBroadcast],
    my_shares: &[DealerShare],
) -> Result<Vec<Complaint>> {
    params.check_party(me, "party")?;
    Ok(broadcasts
        .iter()
        .filter(|b| b.verify(params).is_ok())
        .filter(|b| {
            !my_shares
                .iter()
                .any(|s| s.dealer == b.dealer && s.recipient == me && s.verify(params, b).is_ok())
        })
        .map(|b| Complaint {
            dealer: b.dealer,
            complainer: me,
        })
        .collect())
}

/// The set of qualified dealers and the reasons others were disqualified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Qualification {
    /// Qualified dealers, ascending.
    pub qualified: Vec<u32>,
    /// Disqualified dealers with the reason, ascending by dealer.
    pub disqualified: Vec<(u32, Fault)>,
}

/// Decides which dealers qualify, as every party does identically from the public
/// broadcasts, complaints and justifications. Returns the valid broadcasts of the qualified
/// dealers alongside.
pub fn qualify<'a>(
    params: &DkgParams,
    broadcasts: &'a [DealerBroadcast],
    complaints: &[Complaint],
    justifications: &[DealerShare],
) -> (Qualification, Vec<&'a DealerBroadcast>) {
    let mut by_dealer: BTreeMap<u32, &DealerBroadcast> = BTreeMap::new();
    let mut faults: BTreeMap<u32, Fault> = BTreeMap::new();
    for b in broadcasts {
        if let Err(e) = b.verify(params) {
            let fault = match e {
                Error::Dealer { fault, .. } => fault,
                _ => Fault::ProofOfKnowledge,
            };
            faults.entry(b.dealer).or_insert(fault);
            continue;
        }
        match by_dealer.get(&b.dealer) {
            Some(prev) if *prev != b => {
                faults.insert(b.dealer, Fault::Equivocation);
            }
            _ => {
                by_dealer.insert(b.dealer, b);
            }
        }
    }
    for c in complaints {
        let Some(b) = by_dealer.get(&c.dealer) else {
            continue;
        };
        let answered = justifications.iter().any(|s| {
            s.dealer == c.dealer && s.recipient == c.complainer && s.verify(params, b).is_ok()
        });
        if !answered {
            faults
                .entry(c.dealer)
                .or_insert(Fault::UnansweredComplaint {
                    complainer: c.complainer,
                });
        }
    }
    let qualified: Vec<&DealerBroadcast> = by_dealer
        .into_iter()
        .filter(|(d, _)| !faults.contains_key(d))
        .map(|(_, b)| b)
        .collect();
    (
        Qualification {
            qualified: qualified.iter().map(|b| b.dealer).collect(),
            disqualified: faults.into_iter().collect(),
        },
        qualified,
    )
}

/// The public outcome of the DKG (joint key, verification keys, qualified set), computable
/// by anyone from the public messages.
pub fn group_key(
    params: &DkgParams,
    broadcasts: &[DealerBroadcast],
    complaints: &[Complaint],
    justifications: &[DealerShare],
) -> Result<GroupKey> {
    let (qualification, qualified) = qualify(params, broadcasts, complaints, justifications);
    if qualified.is_empty() {
        return Err(Error::NoQualifiedDealers);
    }
    // Sum the qualified commitments coefficient-wise, then evaluate at each party.
    let mut joint = vec![EdwardsProjective::zero(); params.t as usize];
    for b in &qualified {
        for (acc, a) in joint.iter_mut().zip(&b.commitments) {
            *acc += a;
        }
    }
    let joint = EdwardsProjective::normalize_batch(&joint);
    let vks: Vec<EdwardsProjective> = (1..=params.n)
        .map(|j| eval_commitments(&joint, j))
        .collect();
    Ok(GroupKey::new(
        *params,
        joint[0],
        EdwardsProjective::normalize_batch(&vks),
        qualification,
    ))
}

/// Party `me`'s final step: the public [`GroupKey`] and its secret [`KeyShare`]
/// `x_me = Σ_{i∈Q} s_i,me`, using a published justification where `me` complained.
pub fn finalize(
    params: &DkgParams,
    me: u32,
    broadcasts: &[DealerBroadcast],
    my_shares: &[DealerShare],
    complaints: &[Complaint],
    justifications: &[DealerShare],
) -> Result<(GroupKey, KeyShare)> {
    params.check_party(me, "party")?;
    let group = group_key(params, broadcasts, complaints, justifications)?;
    let (_, qualified) = qualify(params, broadcasts, complaints, justifications);
    let mut x = Scalar::zero();
    for b in qualified {
        let share = justifications
            .iter()
            .chain(my_shares)
            .find(|s| s.dealer == b.dealer && s.recipient == me && s.verify(params, b).is_ok())
            .ok_or(Error::MissingShare {
                party: me,
                dealer: b.dealer,
            })?;
        x += share.value;
    }
    let key = KeyShare::new(me, x);
    debug_assert_eq!(
        Some(key.verification_key()),
        group.verification_key(me),
        "a key share built from verified shares matches its public verification key"
    );
    Ok((group, key))
}

/// Runs the whole DKG in one process with every party honest (devnets, tests, benches):
/// the group key and the `n` key shares, in party order.
pub fn run_honest<R: RngCore + CryptoRng>(
    params: &DkgParams,
    rng: &mut R,
) -> Result<(GroupKey, Vec<KeyShare>)> {
    let dealers = (1..=params.n)
        .map(|i| Dealer::new(params, i, rng))
        .collect::<Result<Vec<_>>>()?;
    let broadcasts: Vec<DealerBroadcast> = dealers.iter().map(|d| d.broadcast(rng)).collect();
    let all_shares: Vec<DealerShare> = dealers.iter().flat_map(Dealer::shares).collect();
    let mut group = None;
    let mut keys = Vec::with_capacity(params.n as usize);
    for me in 1..=params.n {
        let mine: Vec<DealerShare> = all_shares
            .iter()
            .filter(|s| s.recipient == me)
            .cloned()
            .collect();
        let (g, k) = finalize(params, me, &broadcasts, &mine, &[], &[])?;
        group = Some(g);
        keys.push(k);
    }
    let group = group.ok_or_else(|| Error::Parameters("a DKG needs at least one party".into()))?;
    Ok((group, keys))
}

//! The clerk role: holds data owners' shares of their masks, one collection (`session`) at a
//! time, and answers the requester that started the collection with the sum of the shares
//! of exactly the owners whose masked vectors the worker summed.
//!
//! Rules that keep one owner's mask from being removed on its own: a clerk sums one set of
//! owners per session, ever (asking again with the same set is allowed, so a restarted
//! requester can); the set must be at least as large as every owner's `min_set`; only the
//! requester the owners named may ask; a share from the same owner twice is refused.
//! Sessions live in memory (bounded, an hour each): a restarted clerk is one of the
//! `clerks - threshold` that may drop out.
//!
//! For a data-oracle value the requester also asks for a proof of the sum: the clerk
//! proves (`arcanum_zk::oracle::clerk`) that it is the sum of the shares that open the
//! owners' anchors in the settled job's input commitment, at its own position.

use super::keys::KeyCache;
use arcanum_compute::{
    Fr,
    secagg::{Clerk, ClerkSum},
};
use arcanum_p2p::{Client, Event, PeerId};
use arcanum_protocol::{
    B256, ClerkProofRequest, ClerkSumProof, JobRequest, JobResponse, PadAnchor, RejectReason,
    SignedClerkAd, U256,
};
use arcanum_zk::{
    evm, field,
    oracle::{self, OracleShape, clerk::Slot},
};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::sync::mpsc;

/// Most sessions held at once; the oldest go first.
const MAX_SESSIONS: usize = 1_024;
/// How long a session is kept.
const SESSION_TTL: Duration = Duration::from_secs(3_600);
/// Longest share vector accepted.
const MAX_SHARE_LEN: usize = 1 << 16;

struct Session {
    index: u64,
    len: usize,
    requester: String,
    min_set: u32,
    shares: BTreeMap<String, Held>,
    answered: Option<Vec<String>>,
    created: Instant,
}

/// One owner's share, with its anchor data when it sent some.
struct Held {
    share: Vec<Fr>,
    anchor: Option<(Fr, Vec<Fr>)>,
}

/// The shares a clerk holds, shared with an in-process contributor (a node that is both
/// an owner and a clerk cannot send a request to itself).
#[derive(Default)]
pub struct ClerkBook {
    sessions: Mutex<HashMap<B256, Session>>,
}

impl ClerkBook {
    /// Stores `owner`'s share for `session` at clerk `index`.
    #[allow(clippy::too_many_arguments)]
    pub fn absorb(
        &self,
        owner: &str,
        requester: &str,
        session: B256,
        index: u64,
        share: &[U256],
        min_set: u32,
        anchor: Option<&PadAnchor>,
    ) -> Result<(), String> {
        if share.is_empty() || share.len() > MAX_SHARE_LEN {
            return Err(format!("share of {} elements", share.len()));
        }
        let share = field::vec_from_u256(share).map_err(|e| e.to_string())?;
        let anchor = anchor
            .map(|a| {
                if a.commitments.len() != oracle::MAX_ANCHORED_CLERKS {
                    return Err(format!(
                        "an anchor of {} share commitments (expected {})",
                        a.commitments.len(),
                        oracle::MAX_ANCHORED_CLERKS
                    ));
                }
                Ok((
                    field::fr_from_u256(a.contribution).map_err(|e| e.to_string())?,
                    field::vec_from_u256(&a.commitments).map_err(|e| e.to_string())?,
                ))
            })
            .transpose()?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.retain(|_, s| s.created.elapsed() < SESSION_TTL);
        if !sessions.contains_key(&session) && sessions.len() >= MAX_SESSIONS {
            let oldest = sessions
                .iter()
                .min_by_key(|(_, s)| s.created)
                .map(|(k, _)| *k);
            if let Some(k) = oldest {
                sessions.remove(&k);
            }
        }
        let s = sessions.entry(session).or_insert_with(|| Session {
            index,
            len: share.len(),
            requester: requester.to_string(),
            min_set,
            shares: BTreeMap::new(),
            answered: None,
            created: Instant::now(),
        });
        if s.index != index || s.len != share.len() || s.requester != requester {
            return Err(format!(
                "session {session} is clerk index {} of length {} for requester {}",
                s.index, s.len, s.requester
            ));
        }
        match s.shares.get(owner) {
            // The same share again (its acknowledgement was lost): acknowledged again.
            Some(held) if held.share == share => return Ok(()),
            Some(_) => {
                return Err(format!(
                    "already holds another share of {owner} for {session}"
                ));
            }
            None => {}
        }
        if s.answered.is_some() {
            return Err(format!("session {session} is already summed"));
        }
        s.min_set = s.min_set.max(min_set);
        s.shares.insert(owner.to_string(), Held { share, anchor });
        Ok(())
    }

    /// The witness of a proof of the session's sum (after [`Self::sum`] fixed the set):
    /// one slot per position of `shape`'s job, the named owners first in the job's order.
    pub fn slots(
        &self,
        session: B256,
        owners: &[String],
        shape: OracleShape,
    ) -> Result<(u64, Vec<Slot>), String> {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let s = sessions
            .get(&session)
            .ok_or_else(|| format!("no shares for session {session}"))?;
        let mut set: Vec<String> = owners.to_vec();
        set.sort();
        if s.answered.as_ref() != Some(&set) || owners.len() > shape.job.contributors {
            return Err("the proof must be of the set of owners summed".into());
        }
        if s.len > shape.job.dims {
            return Err(format!(
                "shares of {} elements for a {} job",
                s.len,
                shape.job.name()
            ));
        }
        let mut slots = Vec::with_capacity(shape.job.contributors);
        for owner in owners {
            let held = &s.shares[owner];
            let (contribution, commitments) = held
                .anchor
                .clone()
                .ok_or_else(|| format!("{owner} anchored no share commitment"))?;
            // The job pads vectors with zeros to its width: so are the shares.
            let mut share = held.share.clone();
            share.resize(shape.job.dims, Fr::from(0u64));
            slots.push(Slot {
                present: true,
                contribution,
                share_commitments: commitments,
                share,
            });
        }
        slots.resize(shape.job.contributors, Slot::absent(shape));
        Ok((s.index, slots))
    }

    /// The sum of the named owners' shares, for the session's requester only.
    pub fn sum(&self, from: &str, session: B256, owners: &[String]) -> Result<ClerkSum, String> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let s = sessions
            .get_mut(&session)
            .ok_or_else(|| format!("no shares for session {session}"))?;
        if s.requester != from {
            return Err(format!("session {session} belongs to another requester"));
        }
        let mut set: Vec<String> = owners.to_vec();
        set.sort();
        set.dedup();
        if set.len() < s.min_set as usize {
            return Err(format!(
                "{} owners named; the owners' policy needs at least {}",
                set.len(),
                s.min_set
            ));
        }
        if let Some(done) = &s.answered
            && *done != set
        {
            return Err(format!(
                "session {session} was summed over another set of owners; one set per session"
            ));
        }
        let mut clerk = Clerk::new(s.index, s.len);
        for owner in &set {
            let held = s
                .shares
                .get(owner)
                .ok_or_else(|| format!("no share from {owner}"))?;
            clerk.absorb(&held.share).map_err(|e| e.to_string())?;
        }
        s.answered = Some(set);
        Ok(clerk.finish())
    }
}

/// Runs the clerk role until `events` closes.
pub async fn run(
    net: Client,
    book: Arc<ClerkBook>,
    ad: SignedClerkAd,
    keys: Arc<KeyCache>,
    mut events: mpsc::Receiver<Event>,
) {
    // The clerk circuits' keys and prover tables, ready before the first proof.
    let warm = keys.clone();
    tokio::task::spawn_blocking(move || {
        for shape in oracle::ALL.iter().filter(|s| !s.is_he()) {
            if let Err(e) = warm.prover(&shape.clerk()) {
                tracing::warn!(target: "clerk", "cannot set up the clerk circuit's keys: {e}");
            }
        }
    });
    while let Some(event) = events.recv().await {
        let Event::JobRequest {
            from,
            request,
            channel,
        } = event
        else {
            continue;
        };
        let answer = match request {
            JobRequest::ClerkAd => JobResponse::ClerkAd(Box::new(ad.clone())),
            JobRequest::ClerkSum {
                session,
                contributors,
                prove: Some(prove),
            } => {
                // Proving takes a while: answered from its own task.
                let (net, book, keys) = (net.clone(), book.clone(), keys.clone());
                tokio::spawn(async move {
                    let answer = tokio::task::spawn_blocking(move || {
                        proven_sum(&book, &keys, from, session, &contributors, &prove)
                    })
                    .await
                    .unwrap_or_else(|e| refused(&from, format!("prover task: {e}")));
                    if let Err(e) = net.respond(channel, answer).await {
                        tracing::debug!(target: "clerk", %from, "answer not delivered: {e}");
                    }
                });
                continue;
            }
            request => answer(&book, from, request),
        };
        if let Err(e) = net.respond(channel, answer).await {
            tracing::debug!(target: "clerk", %from, "answer not delivered: {e}");
        }
    }
}

fn refused(from: &PeerId, why: String) -> JobResponse {
    tracing::warn!(target: "clerk", peer = %from, "refused: {why}");
    JobResponse::Rejected(RejectReason::Policy(why))
}

/// The session's sum over `owners` with a proof against their anchors in the job's input
/// commitment.
fn proven_sum(
    book: &ClerkBook,
    keys: &KeyCache,
    from: PeerId,
    session: B256,
    owners: &[String],
    prove: &ClerkProofRequest,
) -> JobResponse {
    let run = || -> Result<JobResponse, String> {
        let sum = book.sum(&from.to_base58(), session, owners)?;
        let shape = oracle::ALL
            .iter()
            .copied()
            .find(|o| o.job == prove.shape && !o.is_he())
            .ok_or_else(|| format!("no clerk-sum circuit for {}", prove.shape.name()))?;
        let (index, slots) = book.slots(session, owners, shape)?;
        let mut padded = sum.sum.clone();
        padded.resize(shape.job.dims, Fr::from(0u64));
        let statement = oracle::clerk::ClerkStatement {
            input_commitment: field::fr_from_u256(prove.input_commitment)
                .map_err(|e| e.to_string())?,
            query_tag: field::fr_from_u256(prove.query_tag).map_err(|e| e.to_string())?,
            index,
            clerk_commitment: oracle::clerk_commitment(&padded),
        };
        let keys = keys.prover(&shape.clerk()).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let proof = oracle::clerk::prove(&keys, shape, statement, &slots, &mut rand::rngs::OsRng)
            .map_err(|e| format!("cannot prove this sum: {e}"))?;
        tracing::info!(target: "clerk", %session, owners = owners.len(), seconds = started.elapsed().as_secs_f64(), "pad shares summed and proven for the requester");
        Ok(JobResponse::ClerkSum {
            index: sum.index,
            sum: field::vec_to_u256(&sum.sum),
            proof: Some(Box::new(ClerkSumProof {
                commitment: field::fr_to_u256(statement.clerk_commitment),
                proof: evm::proof_to_calldata(&proof),
            })),
        })
    };
    run().unwrap_or_else(|why| refused(&from, why))
}

fn answer(book: &ClerkBook, from: PeerId, request: JobRequest) -> JobResponse {
    let owner = from.to_base58();
    let refused = |why: String| {
        tracing::warn!(target: "clerk", peer = %owner, "refused: {why}");
        JobResponse::Rejected(RejectReason::Policy(why))
    };
    match request {
        JobRequest::PadShare {
            session,
            index,
            share,
            min_set,
            requester,
            anchor,
        } => match book.absorb(
            &owner,
            &requester,
            session,
            index,
            &share,
            min_set,
            anchor.as_ref(),
        ) {
            Ok(()) => {
                tracing::info!(target: "clerk", %session, index, %owner, "pad share held");
                JobResponse::Ack
            }
            Err(why) => refused(why),
        },
        JobRequest::ClerkSum {
            session,
            contributors,
            ..
        } => match book.sum(&owner, session, &contributors) {
            Ok(sum) => {
                tracing::info!(target: "clerk", %session, owners = contributors.len(), "pad shares summed for the requester");
                JobResponse::ClerkSum {
                    index: sum.index,
                    sum: field::vec_to_u256(&sum.sum),
                    proof: None,
                }
            }
            Err(why) => refused(why),
        },
        other => refused(format!("a clerk does not answer {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_set_per_session_of_at_least_the_owners_minimum_for_its_requester_only() {
        let book = ClerkBook::default();
        let s = B256::repeat_byte(1);
        let share = |x: u64| vec![U256::from(x); 3];
        for (owner, x) in [("a", 1), ("b", 2), ("c", 3)] {
            book.absorb(owner, "req", s, 2, &share(x), 2, None)
                .expect("absorb");
        }
        assert!(
            book.absorb("a", "req", s, 2, &share(9), 2, None).is_err(),
            "twice"
        );
        assert!(
            book.absorb("d", "req", s, 3, &share(9), 2, None).is_err(),
            "index"
        );
        assert!(
            book.absorb("d", "other", s, 2, &share(9), 2, None).is_err(),
            "requester"
        );
        let one = vec!["a".to_string()];
        assert!(book.sum("req", s, &one).is_err(), "below the minimum set");
        let ab = vec!["a".to_string(), "b".to_string()];
        assert!(book.sum("intruder", s, &ab).is_err(), "not the requester");
        let sum = book.sum("req", s, &ab).expect("sum");
        assert_eq!(sum.index, 2);
        assert_eq!(sum.sum, vec![Fr::from(3u64); 3]);
        let ba = vec!["b".to_string(), "a".to_string()];
        assert_eq!(book.sum("req", s, &ba).expect("same set again"), sum);
        let bc = vec!["b".to_string(), "c".to_string()];
        assert!(book.sum("req", s, &bc).is_err(), "another set");
        assert!(
            book.absorb("e", "req", s, 2, &share(9), 2, None).is_err(),
            "closed"
        );
    }
}

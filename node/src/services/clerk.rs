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

use arcanum_compute::{
    Fr,
    secagg::{Clerk, ClerkSum},
};
use arcanum_p2p::{Client, Event, PeerId};
use arcanum_protocol::{B256, JobRequest, JobResponse, RejectReason, SignedClerkAd, U256};
use arcanum_zk::field;
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
    shares: BTreeMap<String, Vec<Fr>>,
    answered: Option<Vec<String>>,
    created: Instant,
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
    ) -> Result<(), String> {
        if share.is_empty() || share.len() > MAX_SHARE_LEN {
            return Err(format!("share of {} elements", share.len()));
        }
        let share = field::vec_from_u256(share).map_err(|e| e.to_string())?;
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
            Some(held) if *held == share => return Ok(()),
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
        s.shares.insert(owner.to_string(), share);
        Ok(())
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
            let share = s
                .shares
                .get(owner)
                .ok_or_else(|| format!("no share from {owner}"))?;
            clerk.absorb(share).map_err(|e| e.to_string())?;
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
    mut events: mpsc::Receiver<Event>,
) {
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
            request => answer(&book, from, request),
        };
        if let Err(e) = net.respond(channel, answer).await {
            tracing::debug!(target: "clerk", %from, "answer not delivered: {e}");
        }
    }
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
        } => match book.absorb(&owner, &requester, session, index, &share, min_set) {
            Ok(()) => {
                tracing::info!(target: "clerk", %session, index, %owner, "pad share held");
                JobResponse::Ack
            }
            Err(why) => refused(why),
        },
        JobRequest::ClerkSum {
            session,
            contributors,
        } => match book.sum(&owner, session, &contributors) {
            Ok(sum) => {
                tracing::info!(target: "clerk", %session, owners = contributors.len(), "pad shares summed for the requester");
                JobResponse::ClerkSum {
                    index: sum.index,
                    sum: field::vec_to_u256(&sum.sum),
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
            book.absorb(owner, "req", s, 2, &share(x), 2)
                .expect("absorb");
        }
        assert!(
            book.absorb("a", "req", s, 2, &share(9), 2).is_err(),
            "twice"
        );
        assert!(
            book.absorb("d", "req", s, 3, &share(9), 2).is_err(),
            "index"
        );
        assert!(
            book.absorb("d", "other", s, 2, &share(9), 2).is_err(),
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
            book.absorb("e", "req", s, 2, &share(9), 2).is_err(),
            "closed"
        );
    }
}

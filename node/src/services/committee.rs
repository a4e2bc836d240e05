//! The key committee of an `he-linear` joint statistic, both sides of it.
//!
//! **Member** (role `committee`): a staked node drawn by stake like a clerk. It runs the
//! joint-Feldman DKG of `compute::elgamal::dkg` over the network: on `DkgDeal` it samples
//! its polynomial, sends every other member its share directly (confidential on the
//! encrypted libp2p connection, authenticated by the sender's peer id) and answers with
//! its dealing signed by its staked key; on `DkgComplain` it checks the shares it received
//! against the dealings and complains about missing or wrong ones (a complained-about
//! dealer is disqualified: there is no justification round, which would publish shares);
//! on `DkgFinish` it computes its key share from the final transcript and keeps it in its
//! store. On `Decrypt` it answers the requester
//! that ran the DKG, once per session, with a partial decryption (Chaum-Pedersen proofs)
//! of the sum it recomputes itself from a completed job's posted inputs: never of a single
//! contribution, nor of a sum of fewer than `min_set` contributions.
//!
//! **Requester**: [`keygen`] drives the rounds and returns the public transcript, from
//! which anyone recomputes the group key ([`group_of`], which also checks every dealing's
//! signature against the drawn member's address); [`decrypt`] gathers the partial
//! decryptions and combines `threshold` valid ones.

use super::contributor::parse_peer_addr;
use crate::store::{CommitteeKey, ProvenClerkSum, Store};
use alloy::{hex, signers::local::PrivateKeySigner};
use arcanum_compute::{
    Fr,
    elgamal::{
        self, BsgsTable, Ciphertext, GroupKey, KeyShare, PartialDecryption,
        dkg::{self, Complaint, Dealer, DealerBroadcast, DealerShare, DkgParams},
    },
    executor,
};
use arcanum_p2p::{Client, Event, PeerId};
use arcanum_protocol::{
    B256, ClerkSumProof, CommitteeDraw, JobId, JobKind, JobRequest, JobResponse, KeyTranscript,
    RejectReason, SignedClerkAd, SignedDealing, U256,
};
use arcanum_zk::field;
use eyre::eyre;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};
use tokio::sync::mpsc;

/// Most DKG sessions held in memory at once; the oldest go first.
const MAX_SESSIONS: usize = 256;
/// How long an unfinished DKG is kept.
const SESSION_TTL: Duration = Duration::from_secs(1_800);
/// Most members a committee may have.
pub const MAX_MEMBERS: usize = 64;
/// How long a member waits for the other dealers' shares before complaining.
const SHARE_WAIT: Duration = Duration::from_secs(10);
/// How long one request between members, or from the requester, may take (dial included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a decryption with a share proof may take: a member sets up the share
/// circuit's keys on its first proof.
const PROVE_TIMEOUT: Duration = Duration::from_secs(180);
/// Tries per share delivery (a member may not have its own deal request yet).
const SHARE_ATTEMPTS: u32 = 5;
/// Fewest contributions a member decrypts a sum of, whatever the requester asks.
const MIN_SET_FLOOR: u32 = 2;
/// Plaintext range the requester's discrete-log table covers: `|m| <= 2^32`.
pub const RANGE_BITS: u32 = 32;

/// Checks committee parameters: `2 <= t`, a strict majority (two disjoint quorums could
/// each decrypt a different sum otherwise), at most [`MAX_MEMBERS`].
pub fn check_params(n: usize, t: u32) -> Result<(), String> {
    let t = t as usize;
    if t < 2 || 2 * t <= n || n > MAX_MEMBERS {
        return Err(format!(
            "threshold {t} of {n} members: needs 2 <= threshold, more than half the members, and at most {MAX_MEMBERS} members"
        ));
    }
    Ok(())
}

/// A DKG in progress at a member, keyed by its requester and session.
struct Session {
    members: Vec<PeerId>,
    params: DkgParams,
    index: u32,
    min_set: u32,
    dealing: SignedDealing,
    /// The shares received, by dealer index, each from the member that index names.
    received: HashMap<u32, DealerShare>,
    created: Instant,
}

/// A key-committee member.
pub struct Member {
    net: Client,
    chain: arcanum_chain::MarketClient,
    signer: PrivateKeySigner,
    store: Store,
    ad: SignedClerkAd,
    sessions: Mutex<HashMap<(PeerId, B256), Session>>,
    /// Decryptions one at a time: the one-job-per-key rule is checked and recorded
    /// atomically.
    decrypting: tokio::sync::Mutex<()>,
    /// The data oracle's share circuits' keys (proving shares for a feed's value).
    keys: Arc<super::keys::KeyCache>,
}

fn policy(why: impl Into<String>) -> JobResponse {
    JobResponse::Rejected(RejectReason::Policy(why.into()))
}

fn peers(members: &[String]) -> Result<Vec<PeerId>, String> {
    members
        .iter()
        .map(|a| parse_peer_addr(a).map(|(_, p)| p))
        .collect()
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl Member {
    /// A member answering with `ad` as its binding and signing dealings with `signer`.
    pub fn new(
        net: Client,
        chain: arcanum_chain::MarketClient,
        signer: PrivateKeySigner,
        store: Store,
        ad: SignedClerkAd,
        keys: Arc<super::keys::KeyCache>,
    ) -> Self {
        Self {
            net,
            chain,
            signer,
            store,
            ad,
            sessions: Mutex::default(),
            decrypting: tokio::sync::Mutex::new(()),
            keys,
        }
    }

    /// Runs until `events` closes; each request is answered on a task of its own.
    pub async fn run(self, mut events: mpsc::Receiver<Event>) {
        // The share circuit's keys are set up on the first data-oracle proof, not at start:
        // most members never prove one, and a member's start must not slow its host's
        // other roles.
        let me = Arc::new(self);
        while let Some(event) = events.recv().await {
            let Event::JobRequest {
                from,
                request,
                channel,
            } = event
            else {
                continue;
            };
            let me = me.clone();
            tokio::spawn(async move {
                let answer = me.clone().answer(from, request).await;
                if let JobResponse::Rejected(why) = &answer {
                    tracing::warn!(target: "committee", %from, ?why, "refused");
                }
                let _ = me.net.respond(channel, answer).await;
            });
        }
    }

    async fn answer(self: Arc<Self>, from: PeerId, request: JobRequest) -> JobResponse {
        match request {
            JobRequest::ClerkAd => JobResponse::ClerkAd(Box::new(self.ad.clone())),
            JobRequest::DkgDeal {
                session,
                members,
                threshold,
                min_set,
            } => self
                .deal(from, session, &members, threshold, min_set)
                .unwrap_or_else(policy),
            JobRequest::DkgShare {
                session,
                requester,
                share,
            } => self
                .receive_share(from, &requester, session, &share)
                .map(|()| JobResponse::Ack)
                .unwrap_or_else(policy),
            JobRequest::DkgComplain { session, dealings } => self
                .complain(from, session, &dealings)
                .await
                .map(|c| JobResponse::Complaints(json(&c)))
                .unwrap_or_else(policy),
            JobRequest::DkgFinish(transcript) => self
                .finish(from, &transcript)
                .map(|g| JobResponse::GroupKey(json(g.public_key())))
                .unwrap_or_else(policy),
            JobRequest::Decrypt {
                session,
                job_id,
                inputs,
                prove,
                knowledge,
            } => self
                .decrypt(from, session, job_id, (&inputs, &knowledge), prove)
                .await
                .map(|(p, proof)| JobResponse::Decryption {
                    partial: json(&p),
                    proof: proof.map(Box::new),
                })
                .unwrap_or_else(policy),
            other => JobResponse::Rejected(RejectReason::NoSuchRole(format!(
                "the committee role does not answer {other:?}"
            ))),
        }
    }

    /// Round 1: deal, answer with the signed dealing at once, and send each other member
    /// its share on a task of its own (a member that misses one complains in round 2).
    fn deal(
        self: Arc<Self>,
        from: PeerId,
        session: B256,
        members: &[String],
        threshold: u32,
        min_set: u32,
    ) -> Result<JobResponse, String> {
        let key = (from, session);
        let ids = peers(members)?;
        check_params(ids.len(), threshold)?;
        if self
            .store
            .committee_key(&session.to_string())
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Err(format!("session {session} already has a key here"));
        }
        let me = self.net.peer_id();
        let index = ids
            .iter()
            .position(|p| *p == me)
            .ok_or("this node is not among the members")? as u32
            + 1;
        let params =
            DkgParams::new(ids.len() as u32, threshold, session.0).map_err(|e| e.to_string())?;
        let shares = {
            let mut sessions = self.lock_sessions();
            if let Some(s) = sessions.get(&key) {
                // Asked again (the answer was lost): the same dealing.
                return Ok(JobResponse::Dealt(Box::new(s.dealing.clone())));
            }
            sessions.retain(|_, s| s.created.elapsed() < SESSION_TTL);
            if sessions.len() >= MAX_SESSIONS {
                let oldest = sessions
                    .iter()
                    .min_by_key(|(_, s)| s.created)
                    .map(|(k, _)| *k);
                if let Some(k) = oldest {
                    sessions.remove(&k);
                }
            }
            let mut rng = rand::rngs::OsRng;
            let dealer = Dealer::new(&params, index, &mut rng).map_err(|e| e.to_string())?;
            let dealing = SignedDealing::sign(
                &self.signer,
                self.ad.ad.clerk,
                session,
                index,
                json(&dealer.broadcast(&mut rng)),
            )
            .map_err(|e| e.to_string())?;
            let shares = dealer.shares();
            let own = shares
                .iter()
                .find(|s| s.recipient == index)
                .cloned()
                .ok_or("no share for this member")?;
            sessions.insert(
                key,
                Session {
                    members: ids,
                    params,
                    index,
                    min_set: min_set.max(MIN_SET_FLOOR),
                    dealing,
                    received: HashMap::from([(index, own)]),
                    created: Instant::now(),
                },
            );
            // The polynomial is dropped here: with no justification round nothing needs
            // it again, and a share it evaluates can never be asked for later.
            shares
        };
        let dealing = self.lock_sessions().get(&key).map(|s| s.dealing.clone());
        let requester = from.to_base58();
        let deliveries = members
            .iter()
            .zip(shares)
            .filter(|(_, s)| s.recipient != index)
            .map(|(addr, share)| (addr.clone(), share))
            .collect::<Vec<_>>();
        let net = self.net.clone();
        tokio::spawn(async move {
            let sends = deliveries.into_iter().map(|(addr, share)| {
                let (net, request) = (
                    net.clone(),
                    JobRequest::DkgShare {
                        session,
                        requester: requester.clone(),
                        share: json(&share),
                    },
                );
                async move {
                    let mut last = String::new();
                    for attempt in 0..SHARE_ATTEMPTS {
                        if attempt > 0 {
                            tokio::time::sleep(Duration::from_millis(150 * u64::from(attempt)))
                                .await;
                        }
                        match ask(&net, &addr, request.clone()).await {
                            Ok(JobResponse::Ack) => return Ok(()),
                            Ok(other) => last = format!("{addr} answered {other:?}"),
                            Err(e) => last = e,
                        }
                    }
                    Err::<(), String>(last)
                }
            });
            for result in futures::future::join_all(sends).await {
                if let Err(e) = result {
                    tracing::warn!(target: "committee", %session, "share not delivered (that member will complain): {e}");
                }
            }
        });
        tracing::info!(target: "committee", %session, index, members = members.len(), threshold, "dealt");
        dealing
            .map(|d| JobResponse::Dealt(Box::new(d)))
            .ok_or_else(|| format!("session {session} was evicted"))
    }

    /// A share from another member: only for a session this member dealt in (for that
    /// requester), only from the member the share's dealer index names, addressed to this
    /// member, one per dealer.
    fn receive_share(
        &self,
        from: PeerId,
        requester: &str,
        session: B256,
        share: &str,
    ) -> Result<(), String> {
        let requester: PeerId = requester
            .parse()
            .map_err(|_| format!("{requester:?} is not a peer id"))?;
        let share: DealerShare =
            serde_json::from_str(share).map_err(|e| format!("malformed share: {e}"))?;
        let mut sessions = self.lock_sessions();
        let s = sessions
            .get_mut(&(requester, session))
            .ok_or_else(|| format!("no DKG {session} of {requester} here (yet)"))?;
        let sender = share
            .dealer
            .checked_sub(1)
            .and_then(|i| s.members.get(i as usize));
        if sender != Some(&from) || share.recipient != s.index {
            return Err(format!(
                "a share from dealer {} to {} sent by {from}",
                share.dealer, share.recipient
            ));
        }
        match s.received.get(&share.dealer) {
            Some(held) if *held == share => Ok(()),
            Some(_) => Err(format!(
                "already holds another share from dealer {}",
                share.dealer
            )),
            None => {
                s.received.insert(share.dealer, share);
                Ok(())
            }
        }
    }

    fn session_of<T>(
        &self,
        from: PeerId,
        session: B256,
        f: impl FnOnce(&Session) -> T,
    ) -> Result<T, String> {
        let sessions = self.lock_sessions();
        let s = sessions.get(&(from, session)).ok_or_else(|| {
            format!("no DKG {session} of {from} here (restarted, or never dealt)")
        })?;
        Ok(f(s))
    }

    /// Round 2: waits (bounded) for the shares of every dealer, then complains about
    /// those missing or not matching their dealing. A complained-about dealer is
    /// disqualified: no share is ever published.
    async fn complain(
        &self,
        from: PeerId,
        session: B256,
        dealings: &[SignedDealing],
    ) -> Result<Vec<Complaint>, String> {
        let (params, me) = self.session_of(from, session, |s| (s.params, s.index))?;
        let broadcasts = parse_dealings(dealings)?;
        let until = Instant::now() + SHARE_WAIT;
        loop {
            let mine: Vec<DealerShare> =
                self.session_of(from, session, |s| s.received.values().cloned().collect())?;
            let complaints =
                dkg::check_shares(&params, me, &broadcasts, &mine).map_err(|e| e.to_string())?;
            if complaints.is_empty() || Instant::now() >= until {
                if !complaints.is_empty() {
                    tracing::warn!(target: "committee", %session, ?complaints, "complaining");
                }
                return Ok(complaints);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Round 3: this member's key share from the final transcript, kept in the store.
    fn finish(&self, from: PeerId, transcript: &KeyTranscript) -> Result<GroupKey, String> {
        let session = transcript.session;
        let (params, members, me, min_set, mine) = self.session_of(from, session, |s| {
            (
                s.params,
                s.members.clone(),
                s.index,
                s.min_set,
                s.received.values().cloned().collect::<Vec<_>>(),
            )
        })?;
        if peers(&transcript.members)? != members || transcript.threshold != params.t() {
            return Err("the transcript's committee is not the one this member dealt for".into());
        }
        let (broadcasts, complaints) = parse_transcript(transcript)?;
        let (group, key) = dkg::finalize(&params, me, &broadcasts, &mine, &complaints, &[])
            .map_err(|e| e.to_string())?;
        let qualified = group.qualification().qualified.len();
        if qualified < params.t() as usize {
            return Err(format!(
                "only {qualified} dealers qualified, fewer than the threshold {}",
                params.t()
            ));
        }
        let stored = CommitteeKey {
            index: me,
            secret: hex::encode(key.to_secret_bytes()),
            group: serde_json::to_value(&group).map_err(|e| e.to_string())?,
            requester: from.to_base58(),
            min_set,
            decrypted: None,
        };
        let name = session.to_string();
        match self.store.committee_key(&name).map_err(|e| e.to_string())? {
            // Asked again: the key is the one kept.
            Some(held) if held.group == stored.group && held.requester == stored.requester => {}
            Some(_) => return Err(format!("session {session} already has another key")),
            None => self
                .store
                .put_committee_key(&name, &stored)
                .map_err(|e| e.to_string())?,
        }
        tracing::info!(target: "committee", %session, index = me, qualified, "key share kept");
        Ok(group)
    }

    /// A partial decryption of the sum of `job_id`'s inputs, once they are checked against
    /// the chain (completed, he-linear, posted input commitment with unit weights, at
    /// least `min_set` contributions); one job per key, ever. With `prove` (a data-oracle
    /// feed's packed statistic), also the proof of this member's shares of the two sums
    /// the statistic reads.
    async fn decrypt(
        &self,
        from: PeerId,
        session: B256,
        job_id: JobId,
        (inputs, knowledge): (&[Vec<U256>], &[Option<String>]),
        prove: Option<u64>,
    ) -> Result<(PartialDecryption, Option<ClerkSumProof>), String> {
        let _one_at_a_time = self.decrypting.lock().await;
        let name = session.to_string();
        let mut held = self
            .store
            .committee_key(&name)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no key for session {session}"))?;
        if held.requester != from.to_base58() {
            return Err(format!("session {session} belongs to another requester"));
        }
        let job = job_id.0.to_string();
        if held.decrypted.as_ref().is_some_and(|j| *j != job) {
            return Err(format!(
                "session {session} already decrypted job {}; one decryption per key",
                held.decrypted.as_deref().unwrap_or_default()
            ));
        }
        let info = self.chain.job(job_id).await.map_err(|e| e.to_string())?;
        if info.status != arcanum_chain::JobStatus::Completed {
            return Err(format!(
                "{job_id} is {:?}, not completed: nothing proven to decrypt",
                info.status
            ));
        }
        let shape = arcanum_zk::shapes::ALL
            .iter()
            .copied()
            .find(|s| s.id == info.shape && s.kind == JobKind::HeLinear)
            .ok_or_else(|| format!("{job_id} is not an he-linear job"))?;
        let fields = inputs
            .iter()
            .map(|v| field::vec_from_u256(v))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let ones = vec![1i64; fields.len()];
        let commitment = super::requester::input_commitment(shape, &fields, &ones, &[])
            .map_err(|e| e.to_string())?;
        if commitment != info.input_commitment {
            return Err(format!(
                "the inputs do not hash to {job_id}'s posted commitment with unit weights"
            ));
        }
        let cts = executor::decode_ciphertexts(&fields, shape.dims).map_err(|e| e.to_string())?;
        let real = cts
            .iter()
            .filter(|v| v.iter().any(|c| *c != Ciphertext::zero()))
            .count();
        if real < held.min_set as usize {
            return Err(format!(
                "{real} contributions in {job_id}, fewer than the {} this key decrypts",
                held.min_set
            ));
        }
        check_contributions(&cts, knowledge, session)?;
        let sum = elgamal::he_linear(&cts, &ones).map_err(|e| e.to_string())?;
        let group: GroupKey =
            serde_json::from_value(held.group.clone()).map_err(|e| e.to_string())?;
        let bytes = hex::decode(&held.secret).map_err(|e| e.to_string())?;
        let key = KeyShare::from_secret_bytes(&bytes).map_err(|e| e.to_string())?;
        // Recorded before answering: a second job can never be decrypted with this key.
        held.decrypted = Some(job);
        self.store
            .put_committee_key(&name, &held)
            .map_err(|e| e.to_string())?;
        tracing::info!(target: "committee", %session, %job_id, contributions = real, "partial decryption of the proven sum");
        let partial = key.partial_decrypt(&group, &sum, &mut rand::rngs::OsRng);
        // A proof that cannot be made does not hold back the partial decryption itself.
        let proof = match prove {
            Some(params) => match self.prove_shares(shape, &group, &key, &sum, params).await {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::warn!(target: "committee", %session, %job_id, "decryption shares not proven: {e}");
                    None
                }
            },
            None => None,
        };
        Ok((partial, proof))
    }

    /// Proves this member's decryption shares of the sums a feed's statistic (`params`)
    /// reads, under its verification key in the committee's key digest.
    async fn prove_shares(
        &self,
        shape: arcanum_protocol::Shape,
        group: &GroupKey,
        key: &KeyShare,
        sum: &[Ciphertext],
        params: u64,
    ) -> Result<ClerkSumProof, String> {
        use arcanum_zk::oracle::{
            OracleShape,
            decrypt::{self, DecryptShareCircuit},
            finalize::Statistic,
        };
        let n = group.params().n() as usize;
        let oracle = OracleShape::find(shape, n, group.threshold()).map_err(|e| e.to_string())?;
        let selected =
            decrypt::selected(sum, Statistic::from_params(params)).map_err(|e| e.to_string())?;
        let circuit = DecryptShareCircuit::honest(
            group.threshold() as u32,
            &verification_keys(group),
            u64::from(key.index()),
            key.secret_scalar(),
            [selected[0].c1, selected[1].c1],
        )
        .map_err(|e| e.to_string())?;
        let keys = self.keys.clone();
        let started = Instant::now();
        let proof = tokio::task::spawn_blocking(move || {
            let keys = keys.prover(&oracle.clerk())?;
            decrypt::prove(&keys, &circuit, &mut rand::rngs::OsRng)
                .map(|p| (circuit.statement.commitment, p))
                .map_err(|e| eyre!(e))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot prove the decryption shares: {e}"))?;
        tracing::info!(target: "committee", index = key.index(), seconds = started.elapsed().as_secs_f64(), "decryption shares proven");
        Ok(ClerkSumProof {
            commitment: field::fr_to_u256(proof.0),
            proof: arcanum_zk::evm::proof_to_calldata(&proof.1),
        })
    }

    fn lock_sessions(&self) -> std::sync::MutexGuard<'_, HashMap<(PeerId, B256), Session>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn parse_dealings(dealings: &[SignedDealing]) -> Result<Vec<DealerBroadcast>, String> {
    if dealings.len() > MAX_MEMBERS {
        return Err(format!("{} dealings", dealings.len()));
    }
    dealings
        .iter()
        .map(|d| {
            let b: DealerBroadcast = serde_json::from_str(&d.broadcast)
                .map_err(|e| format!("dealing {}: {e}", d.index))?;
            if b.dealer != d.index {
                return Err(format!("dealing {} claims dealer {}", d.index, b.dealer));
            }
            Ok(b)
        })
        .collect()
}

/// Most complaints a transcript may carry (each member about each dealer).
const MAX_COMPLAINTS: usize = MAX_MEMBERS * MAX_MEMBERS;

fn parse_transcript(t: &KeyTranscript) -> Result<(Vec<DealerBroadcast>, Vec<Complaint>), String> {
    if t.members.len() > MAX_MEMBERS {
        return Err(format!("{} members", t.members.len()));
    }
    let broadcasts = parse_dealings(&t.dealings)?;
    let complaints: Vec<Complaint> =
        serde_json::from_str(&t.complaints).map_err(|e| format!("complaints: {e}"))?;
    if complaints.len() > MAX_COMPLAINTS {
        return Err(format!("{} complaints", complaints.len()));
    }
    Ok((broadcasts, complaints))
}

/// Recomputes the group key from a transcript, as a data owner does before encrypting:
/// the members must be the draw's choice in order, every dealing signed by the member its
/// index names (its staked address in the draw), a strict-majority threshold, and at
/// least `threshold` dealers qualified (so at least one honest dealer when fewer than
/// `threshold` collude; a complaint disqualifies its dealer, so no share is ever public).
pub fn group_of(t: &KeyTranscript, draw: &CommitteeDraw) -> Result<GroupKey, String> {
    check_params(t.members.len(), t.threshold)?;
    let chosen: Vec<&arcanum_protocol::Candidate> = draw
        .chosen
        .iter()
        .filter_map(|&i| draw.candidates.get(i))
        .collect();
    if chosen.len() != t.members.len() || chosen.iter().zip(&t.members).any(|(c, m)| c.addr != *m) {
        return Err("the key committee is not the draw's choice".into());
    }
    if t.session != draw.session {
        return Err("the transcript is for another session".into());
    }
    for d in &t.dealings {
        let member = d
            .index
            .checked_sub(1)
            .and_then(|i| chosen.get(i as usize))
            .ok_or_else(|| format!("dealing of unknown member {}", d.index))?;
        d.verify(t.session, member.ad.ad.clerk)
            .map_err(|e| format!("dealing {}: {e}", d.index))?;
    }
    let params = DkgParams::new(t.members.len() as u32, t.threshold, t.session.0)
        .map_err(|e| e.to_string())?;
    let (broadcasts, complaints) = parse_transcript(t)?;
    let group =
        dkg::group_key(&params, &broadcasts, &complaints, &[]).map_err(|e| e.to_string())?;
    let qualified = group.qualification().qualified.len();
    if qualified < t.threshold as usize {
        return Err(format!(
            "only {qualified} dealers qualified, fewer than the threshold {}",
            t.threshold
        ));
    }
    Ok(group)
}

async fn ask(net: &Client, addr: &str, request: JobRequest) -> Result<JobResponse, String> {
    super::network::request_at(net, addr, request, REQUEST_TIMEOUT).await
}

/// Runs the DKG among the drawn `members` for `session`: deal, complain, finish. Members
/// that do not deal are left out (they hold no share of the key); a dealer any member
/// complains about is disqualified (no justification round: a published share would
/// weaken the key); at least `threshold` members must agree on the group key. Returns the
/// public transcript and the group key.
pub async fn keygen(
    net: &Client,
    draw: &CommitteeDraw,
    members: &[String],
    threshold: u32,
    min_set: u32,
) -> eyre::Result<(KeyTranscript, GroupKey)> {
    let session = draw.session;
    let deal = members.iter().map(|m| {
        let request = JobRequest::DkgDeal {
            session,
            members: members.to_vec(),
            threshold,
            min_set,
        };
        ask(net, m, request)
    });
    let mut dealings = Vec::new();
    for (m, answer) in members.iter().zip(futures::future::join_all(deal).await) {
        match answer {
            Ok(JobResponse::Dealt(d)) => dealings.push(*d),
            Ok(other) => {
                tracing::warn!(target: "requester", member = %m, "did not deal: {other:?}")
            }
            Err(e) => tracing::warn!(target: "requester", "member did not deal: {e}"),
        }
    }
    if dealings.len() < threshold as usize {
        return Err(eyre!(
            "only {} of {} key-committee members dealt, the threshold is {threshold}; nothing was posted",
            dealings.len(),
            members.len()
        ));
    }
    let complain = members.iter().map(|m| {
        let request = JobRequest::DkgComplain {
            session,
            dealings: dealings.clone(),
        };
        ask(net, m, request)
    });
    let mut complaints: Vec<Complaint> = Vec::new();
    let n = members.len() as u32;
    for (k, answer) in futures::future::join_all(complain)
        .await
        .into_iter()
        .enumerate()
    {
        match answer {
            Ok(JobResponse::Complaints(c)) => {
                // A member complains only in its own name, about a member.
                let me = k as u32 + 1;
                complaints.extend(
                    serde_json::from_str::<Vec<Complaint>>(&c)
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|c| c.complainer == me && (1..=n).contains(&c.dealer))
                        .take(members.len()),
                );
            }
            Ok(other) => tracing::warn!(target: "requester", "member answered {other:?}"),
            Err(e) => tracing::warn!(target: "requester", "no complaints round: {e}"),
        }
    }
    if !complaints.is_empty() {
        tracing::warn!(target: "requester", ?complaints, "complained-about dealers are disqualified");
    }
    let transcript = KeyTranscript {
        session,
        members: members.to_vec(),
        threshold,
        dealings,
        complaints: json(&complaints),
    };
    let group = group_of(&transcript, draw).map_err(|e| eyre!("the DKG failed: {e}"))?;
    let finish = members
        .iter()
        .map(|m| ask(net, m, JobRequest::DkgFinish(Box::new(transcript.clone()))));
    let expected = json(group.public_key());
    let mut agreed = 0;
    for (m, answer) in members.iter().zip(futures::future::join_all(finish).await) {
        match answer {
            Ok(JobResponse::GroupKey(k)) if k == expected => agreed += 1,
            Ok(other) => {
                tracing::warn!(target: "requester", member = %m, "disagrees on the group key: {other:?}")
            }
            Err(e) => tracing::warn!(target: "requester", "no key share kept: {e}"),
        }
    }
    if agreed < threshold as usize {
        return Err(eyre!(
            "only {agreed} key-committee members kept a share of the group key, the threshold is {threshold}; nothing was posted"
        ));
    }
    tracing::info!(target: "requester", %session, members = members.len(), agreed, qualified = ?group.qualification().qualified, "group key generated by the committee");
    Ok((transcript, group))
}

fn table() -> eyre::Result<&'static BsgsTable> {
    static TABLE: OnceLock<BsgsTable> = OnceLock::new();
    if let Some(t) = TABLE.get() {
        return Ok(t);
    }
    let t = BsgsTable::new(RANGE_BITS)?;
    Ok(TABLE.get_or_init(|| t))
}

/// Asks every member for its partial decryption of the sum of `job_id`'s inputs, checks
/// each against the proven `output` (the sum's ciphertexts) and the members' verification
/// keys, and combines `threshold` valid ones. Returns the plaintexts and the members used.
pub async fn decrypt(
    net: &Client,
    transcript: &KeyTranscript,
    group: &GroupKey,
    (job_id, inputs, knowledge): (JobId, &[Vec<U256>], &[String]),
    output: &[Fr],
    prove: Option<u64>,
) -> eyre::Result<(Vec<i64>, Vec<u32>, Vec<ProvenClerkSum>)> {
    let dims = output.len() / executor::CIPHERTEXT_FIELDS;
    let sum = executor::decode_ciphertexts(&[output.to_vec()], dims)?.remove(0);
    // By input position: the contributors' proofs, then none for the padding.
    let mut knowledge: Vec<Option<String>> = knowledge.iter().cloned().map(Some).collect();
    knowledge.resize(inputs.len(), None);
    let asks = transcript.members.iter().map(|m| {
        let request = JobRequest::Decrypt {
            session: transcript.session,
            job_id,
            inputs: inputs.to_vec(),
            prove,
            knowledge: knowledge.clone(),
        };
        let timeout = if prove.is_some() {
            PROVE_TIMEOUT
        } else {
            REQUEST_TIMEOUT
        };
        super::network::request_at(net, m, request, timeout)
    });
    let mut partials: Vec<PartialDecryption> = Vec::new();
    let mut proven = Vec::new();
    for (k, answer) in futures::future::join_all(asks)
        .await
        .into_iter()
        .enumerate()
    {
        match answer {
            Ok(JobResponse::Decryption { partial, proof }) => match serde_json::from_str::<
                PartialDecryption,
            >(&partial)
            {
                // A member answers for its own index only (one claiming another's would
                // have that member's valid share skipped as a duplicate).
                Ok(p) if p.party == k as u32 + 1 => {
                    // Its shares of the statistic's sums, with their proof (unchecked
                    // here: the data oracle's verifier checks them).
                    if let (Some(proof), Some(params)) = (proof, prove) {
                        match proven_shares(&p, params) {
                            Ok(sum) => proven.push(ProvenClerkSum {
                                index: u64::from(p.party),
                                sum,
                                proof: *proof,
                            }),
                            Err(e) => {
                                tracing::warn!(target: "requester", member = k + 1, "proven shares unusable: {e}")
                            }
                        }
                    }
                    partials.push(p)
                }
                Ok(p) => {
                    tracing::warn!(target: "requester", member = k + 1, party = p.party, "partial decryption for another member's index; ignored")
                }
                Err(e) => tracing::warn!(target: "requester", "malformed partial decryption: {e}"),
            },
            Ok(other) => tracing::warn!(target: "requester", "member answered {other:?}"),
            Err(e) => tracing::warn!(target: "requester", "{e}"),
        }
    }
    let group = group.clone();
    let out = tokio::task::spawn_blocking(move || {
        let table = table().map_err(|e| e.to_string())?;
        group.combine(&sum, &partials, table).map_err(|e| e.to_string())
    })
    .await?
    .map_err(|e| {
            eyre!("threshold decryption failed ({e}): the job is settled and paid, but its statistics cannot be released")
        })?;
    for r in &out.rejected {
        tracing::error!(target: "requester", party = r.party, "invalid decryption share: {}", r.reason);
    }
    Ok((out.values, out.used, proven))
}

/// A member's shares `[D_num, D_den]` of the sums a statistic (`params`) reads, as the
/// coordinates its share proof commits to: from its partial decryption (the identity for a
/// constant denominator).
fn proven_shares(p: &PartialDecryption, params: u64) -> Result<Vec<U256>, String> {
    use arcanum_zk::oracle::finalize::{DEN_SCALE, Statistic};
    let stat = Statistic::from_params(params);
    let at = |i: u8| {
        p.shares
            .get(usize::from(i))
            .map(|s| s.d)
            .ok_or_else(|| format!("no share of element {i}"))
    };
    let den = if stat.den == DEN_SCALE {
        arcanum_compute::elgamal::EdwardsAffine::zero()
    } else {
        at(stat.den)?
    };
    let num = at(stat.num)?;
    Ok(field::vec_to_u256(&[num.x, num.y, den.x, den.y]))
}

/// Every real (not padding) contribution must carry its owner's proof of knowledge of its
/// encryption randomness for this collection, and no two may share a ciphertext: a sum
/// with a vector made from the others' (`Enc(v) - Σ others`, which would decrypt to `v` or
/// isolate one owner's value) or a copy of another's is never decrypted.
fn check_contributions(
    cts: &[Vec<Ciphertext>],
    knowledge: &[Option<String>],
    session: B256,
) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for (i, v) in cts.iter().enumerate() {
        // The owner proved its own elements; the job's padding (identities) follows them.
        let own = v
            .iter()
            .rposition(|c| *c != Ciphertext::zero())
            .map_or(0, |last| last + 1);
        if own == 0 {
            continue;
        }
        let proof = knowledge.get(i).and_then(|k| k.as_deref()).ok_or_else(|| {
            format!("contribution {i} has no proof of its encryption randomness: not decrypting")
        })?;
        let proof: arcanum_compute::elgamal::knowledge::RandomnessProof =
            serde_json::from_str(proof).map_err(|e| format!("contribution {i}: {e}"))?;
        arcanum_compute::elgamal::knowledge::verify(&v[..own], session.as_slice(), &proof)
            .map_err(|e| format!("contribution {i}: {e}"))?;
        for c in &v[..own] {
            if c.c1 == Ciphertext::zero().c1 || !seen.insert(c.c1) {
                return Err(format!(
                    "contribution {i} has an element that is not a fresh encryption or repeats another contribution's ciphertext: not decrypting"
                ));
            }
        }
    }
    Ok(())
}

/// A committee's verification keys `X_1..X_n`.
pub fn verification_keys(group: &GroupKey) -> Vec<arcanum_compute::elgamal::EdwardsAffine> {
    (1..=group.params().n())
        .filter_map(|j| group.verification_key(j))
        .collect()
}

/// The key digest a data owner anchors for a data-oracle request (`arcanum_zk::oracle::
/// decrypt::key_digest`), or `None` for a committee too large for an oracle feed.
pub fn key_digest(group: &GroupKey) -> Option<Fr> {
    arcanum_zk::oracle::decrypt::key_digest(group.threshold() as u32, &verification_keys(group))
        .ok()
}

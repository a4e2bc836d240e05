//! The requester's side of a joint statistic: collect the data owners' masked vectors
//! (before the job is posted: they are its inputs), and after the settlement remove the
//! masks from the proven total with the clerks' sums, then decode the statistics.
//!
//! The requester sees only masked vectors (what the worker sees) and the total. It checks
//! the clerks: with more than `threshold` answers it unmasks with two different subsets and
//! requires the same result (a clerk's sum is not proven).

use super::contributor::parse_peer_addr;
use crate::store::{ProvenClerkSum, StatsRun, StatsSpec};
use arcanum_chain::MarketClient;
use arcanum_compute::{
    Fr,
    fixed::FixedPoint,
    secagg::{self, ClerkSum, Committee},
    stats,
};
use arcanum_p2p::{Client, PeerId};
use arcanum_protocol::{
    B256, Candidate, ClerkProofRequest, CommitteeDraw, ContributionRequest, JobKind, JobRequest,
    JobResponse, Shape, U256, draw_weighted,
};
use arcanum_zk::field;
use eyre::eyre;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

/// Most bucket edges a histogram may have.
pub const MAX_EDGES: usize = 64;

/// How long a data owner has to answer (it reads its data and reaches every clerk).
const OWNER_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a clerk has to answer a sum request.
const CLERK_TIMEOUT: Duration = Duration::from_secs(30);

/// The words that pad a contribution to its shape's width, one element's worth: zero for
/// secagg-sum, an encryption of zero with no randomness (the identity twice) for he-linear.
pub fn padding(kind: JobKind) -> Vec<U256> {
    field::vec_to_u256(&arcanum_zk::kind::of(kind).padding())
}

/// The weights a joint statistic's job is posted with: none for secagg-sum, ones for
/// he-linear (a plain sum; committee members decrypt nothing else).
pub fn weights(shape: Shape) -> Vec<i64> {
    if arcanum_zk::kind::of(shape.kind).weighted() {
        vec![1; shape.contributors]
    } else {
        vec![]
    }
}

/// How often an open call is gossiped again while it is open (peers that joined late, or
/// a mesh still forming).
const CALL_REPEAT: Duration = Duration::from_secs(2);
/// Longest enrolment window a spec may ask.
pub const MAX_ENROLL_SECS: u64 = 86_400;

/// Data owners that enrolled in a requester's open calls, by session; shared by the
/// requester's jobs and the task answering `Enroll` requests.
#[derive(Clone, Default)]
pub struct Enrollments {
    inner: Arc<Mutex<EnrollmentsInner>>,
}

#[derive(Default)]
struct EnrollmentsInner {
    /// Where this requester takes enrolments.
    addrs: Vec<String>,
    /// Open calls: closing time, room, and the owners' addresses in enrolment order.
    calls: HashMap<B256, (u64, usize, Vec<String>)>,
}

impl Enrollments {
    fn lock(&self) -> std::sync::MutexGuard<'_, EnrollmentsInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the addresses calls name (the node's listen addresses with its peer id).
    pub fn set_addrs(&self, addrs: Vec<String>) {
        self.lock().addrs = addrs;
    }

    fn open(&self, session: B256, closes_at: u64, max: usize) -> Vec<String> {
        let mut inner = self.lock();
        inner.calls.insert(session, (closes_at, max, Vec::new()));
        inner.addrs.clone()
    }

    fn close(&self, session: B256) -> Vec<String> {
        self.lock()
            .calls
            .remove(&session)
            .map(|(_, _, owners)| owners)
            .unwrap_or_default()
    }

    /// Records `from`'s enrolment in `session` at `addr` (which must name `from`), while
    /// the call is open and has room.
    pub fn enrol(&self, from: PeerId, session: B256, addr: &str, now: u64) -> Result<(), String> {
        let (_, peer) = parse_peer_addr(addr)?;
        if peer != from {
            return Err(format!("{addr} is not the enrolling peer {from}"));
        }
        let mut inner = self.lock();
        let (closes_at, max, owners) = inner
            .calls
            .get_mut(&session)
            .ok_or_else(|| format!("no open call {session} here"))?;
        if now >= *closes_at {
            return Err(format!("call {session} closed at {closes_at}"));
        }
        if owners.iter().any(|a| a.ends_with(&format!("/p2p/{from}"))) {
            return Ok(());
        }
        if owners.len() >= *max {
            return Err(format!("call {session} is full ({max} owners)"));
        }
        owners.push(addr.to_string());
        Ok(())
    }
}

/// Answers owners' `Enroll` requests, and their fetches of `blobs` (global models), until
/// `events` closes.
pub async fn serve_enrollments(
    net: Client,
    enrollments: Enrollments,
    blobs: super::fl::Blobs,
    mut events: tokio::sync::mpsc::Receiver<arcanum_p2p::Event>,
) {
    while let Some(event) = events.recv().await {
        let arcanum_p2p::Event::JobRequest {
            from,
            request,
            channel,
        } = event
        else {
            continue;
        };
        let (session, addr) = match request {
            JobRequest::Enroll { session, addr } => (session, addr),
            JobRequest::FetchBlob { id } => {
                let answer = match blobs.get(id) {
                    Some(bytes) => JobResponse::Blob(bytes.to_vec()),
                    None => JobResponse::Rejected(arcanum_protocol::RejectReason::Policy(format!(
                        "no blob {id} here (a model of an earlier round?)"
                    ))),
                };
                let _ = net.respond(channel, answer).await;
                continue;
            }
            _ => continue,
        };
        let answer = match enrollments.enrol(from, session, &addr, arcanum_protocol::unix_now()) {
            Ok(()) => {
                tracing::info!(target: "requester", owner = %from, %session, "data owner enrolled");
                JobResponse::Ack
            }
            Err(why) => {
                tracing::debug!(target: "requester", owner = %from, "enrolment refused: {why}");
                JobResponse::Rejected(arcanum_protocol::RejectReason::Policy(why))
            }
        };
        let _ = net.respond(channel, answer).await;
    }
}

/// Gossips an open call for `spec` until it closes; returns the owners enrolled (at most
/// `max`, in enrolment order).
async fn enrol(
    net: &Client,
    enrollments: &Enrollments,
    spec: &StatsSpec,
    session: B256,
    window: u64,
    max: usize,
) -> Vec<String> {
    let closes_at = arcanum_protocol::unix_now() + window;
    let addrs = enrollments.open(session, closes_at, max);
    let call = arcanum_protocol::CallForContributions {
        session,
        requester: net.peer_id().to_base58(),
        addrs,
        dataset: spec.dataset.clone(),
        columns: spec.columns.clone(),
        query: spec.query,
        closes_at,
        max: max as u32,
    };
    tracing::info!(target: "requester", %session, window, "open call for contributions");
    while arcanum_protocol::unix_now() < closes_at {
        if let Err(e) = net.publish_call(call.clone()).await {
            tracing::debug!(target: "requester", "call not gossiped yet: {e}");
        }
        let left = closes_at.saturating_sub(arcanum_protocol::unix_now());
        tokio::time::sleep(CALL_REPEAT.min(Duration::from_secs(left.max(1)))).await;
    }
    enrollments.close(session)
}

/// Checks a spec against its shape before anything is sent.
pub fn check(spec: &StatsSpec, shape: Shape) -> Result<(), String> {
    match shape.kind {
        JobKind::SecaggSum => {}
        JobKind::HeLinear => {
            let Some(k) = spec.clerks_sampled else {
                return Err(
                    "an he-linear statistic draws its key committee by stake: set committee_sampled"
                        .into(),
                );
            };
            super::committee::check_params(k as usize, spec.threshold)?;
            let len = spec.query.len(spec.columns.len(), spec.edges.len());
            if len > shape.dims {
                return Err(format!(
                    "the query needs {len} values, shape {} encrypts {}",
                    shape.name(),
                    shape.dims
                ));
            }
        }
        _ => {
            return Err(format!(
                "a joint statistic runs on a secagg-sum or he-linear shape, not {}",
                shape.name()
            ));
        }
    }
    let n = spec
        .clerks_sampled
        .map_or(spec.clerks.len(), |k| k as usize);
    let t = spec.threshold as usize;
    if !(2..=n).contains(&t) {
        return Err(format!(
            "threshold {t} with {n} clerks: needs 2 <= threshold <= clerks"
        ));
    }
    if n > spec.clerks.len() {
        return Err(format!(
            "clerks_sampled {n} is more than the {} clerks listed",
            spec.clerks.len()
        ));
    }
    if spec.columns.is_empty() {
        return Err("no columns".into());
    }
    if spec.query == arcanum_protocol::Query::Histogram {
        if spec.edges.is_empty() || spec.edges.len() > MAX_EDGES {
            return Err(format!("a histogram needs 1..={MAX_EDGES} bucket edges"));
        }
        if spec.edges.iter().any(|e| !e.is_finite()) || !spec.edges.is_sorted_by(|a, b| a < b) {
            return Err("bucket edges must be finite and strictly ascending".into());
        }
    } else if !spec.edges.is_empty() {
        return Err(format!(
            "edges are for a histogram, not {}",
            spec.query.name()
        ));
    }
    if let Some(dp) = spec.dp {
        stats::owner_noise_std(spec.query, spec.columns.len(), dp, spec.min_contributors)
            .map_err(|e| format!("dp: {e}"))?;
    }
    if spec.filter.as_ref().is_some_and(|f| !f.value.is_finite()) {
        return Err("the filter's value must be a finite number".into());
    }
    if spec.contributors.len() > shape.contributors
        || (spec.contributors.is_empty() && spec.enroll_secs.is_none())
    {
        return Err(format!(
            "{} contributors: shape {} takes 1..={} (or none listed with enroll_secs, an open call)",
            spec.contributors.len(),
            shape.name(),
            shape.contributors
        ));
    }
    if let Some(w) = spec.enroll_secs
        && !(1..=MAX_ENROLL_SECS).contains(&w)
    {
        return Err(format!("enroll_secs {w} must be in 1..={MAX_ENROLL_SECS}"));
    }
    let most = if spec.enroll_secs.is_some() {
        shape.contributors
    } else {
        spec.contributors.len()
    };
    if spec.min_contributors == 0 || spec.min_contributors as usize > most {
        return Err(format!(
            "min_contributors {} must be in 1..={most}",
            spec.min_contributors
        ));
    }
    for a in spec.contributors.iter().chain(&spec.clerks) {
        parse_peer_addr(a)?;
    }
    Ok(())
}

/// Asks every owner for its masked vector; returns the job's inputs (the vectors, padded
/// with zeros to the shape: zero vectors for absent owners, zero tails up to its width) and
/// the collection. Fails, with every owner's reason, when fewer than `min_contributors`
/// contribute: nothing is posted then.
pub async fn collect(
    net: &Client,
    chain: &MarketClient,
    enrollments: &Enrollments,
    spec: &StatsSpec,
    shape: Shape,
) -> eyre::Result<(Vec<Vec<U256>>, StatsRun)> {
    let session = B256::from(rand::random::<[u8; 32]>());
    // The owners asked: those listed, and with an open call those that enrol in time.
    let mut owners = spec.contributors.clone();
    let room = shape.contributors.saturating_sub(owners.len());
    if let Some(window) = spec.enroll_secs.filter(|_| room > 0) {
        for addr in enrol(net, enrollments, spec, session, window, room).await {
            let peer = parse_peer_addr(&addr).map(|(_, p)| p).ok();
            if !owners
                .iter()
                .any(|o| parse_peer_addr(o).map(|(_, p)| p).ok() == peer)
            {
                owners.push(addr);
            }
        }
        if owners.len() < spec.min_contributors as usize {
            return Err(eyre!(
                "only {} data owners listed or enrolled by the call's closing time, {} needed; nothing was posted",
                owners.len(),
                spec.min_contributors
            ));
        }
    }
    let len = spec.query.len(spec.columns.len(), spec.edges.len());
    let (clerks, draw) = choose_clerks(
        net,
        chain,
        &spec.clerks,
        spec.clerks_sampled,
        spec.threshold,
        session,
    )
    .await?;
    let he = shape.kind == JobKind::HeLinear;
    // An he-linear job: the drawn committee generates the key the owners encrypt under.
    let (key, dkg_seconds) = match (&draw, he) {
        (Some(draw), true) => {
            let started = std::time::Instant::now();
            let (transcript, _) =
                super::committee::keygen(net, draw, &clerks, spec.threshold, spec.min_contributors)
                    .await?;
            (Some(transcript), Some(started.elapsed().as_secs_f64()))
        }
        _ => (None, None),
    };
    let request = ContributionRequest {
        session,
        dataset: spec.dataset.clone(),
        columns: spec.columns.clone(),
        query: spec.query,
        edges: spec.edges.clone(),
        filter: spec.filter.clone(),
        dp: spec.dp,
        min_contributors: spec.min_contributors,
        scale_bits: spec.scale_bits,
        clerks: clerks.clone(),
        threshold: spec.threshold,
        contributors: owners.len() as u32,
        draw: draw.clone(),
        oracle_request: spec.oracle_request,
        anchor_width: if len > shape.dims {
            0
        } else {
            shape.dims as u32
        },
        key: key.clone(),
    };
    let query_tag = arcanum_zk::oracle::query_tag(&request.query_description());
    let pad = padding(shape.kind);
    // Words an owner sends: one per value, or a ciphertext's coordinates per value.
    let words = len * pad.len();
    let asks = owners.iter().map(|a| {
        let (net, request) = (net.clone(), request.clone());
        async move {
            let (addr, peer) = parse_peer_addr(a).map_err(|e| (a.clone(), e))?;
            let _ = net.dial(addr).await;
            let answer = tokio::time::timeout(
                OWNER_TIMEOUT,
                net.request(peer, JobRequest::Contribute(Box::new(request))),
            )
            .await;
            let who = peer.to_base58();
            match answer {
                Ok(Ok(JobResponse::Contribution {
                    masked,
                    clerks,
                    anchor,
                    anchor_signature,
                    knowledge,
                })) if masked.len() == words => {
                    // An encrypted vector counts only with its owner's proof that it knows
                    // the randomness (else it could be made from the other owners').
                    let knowledge = match he {
                        true => Some(
                            check_knowledge(&masked, len, session, knowledge.as_deref())
                                .map_err(|e| (who.clone(), e))?,
                        ),
                        false => None,
                    };
                    Ok((
                        (who, masked, clerks),
                        anchor.map(|a| (a, anchor_signature)),
                        knowledge,
                    ))
                }
                Ok(Ok(JobResponse::Contribution { masked, .. })) => Err((
                    who,
                    format!("sent {} words, the query needs {words}", masked.len()),
                )),
                Ok(Ok(JobResponse::Rejected(reason))) => Err((who, format!("{reason:?}"))),
                Ok(Ok(other)) => Err((who, format!("answered {other:?}"))),
                Ok(Err(e)) => Err((who, e.to_string())),
                Err(_) => Err((who, format!("no answer in {OWNER_TIMEOUT:?}"))),
            }
        }
    });
    let mut received = Vec::new();
    let mut refused = Vec::new();
    let mut anchor_of = std::collections::HashMap::new();
    let mut knowledge_of = std::collections::HashMap::new();
    for answer in futures::future::join_all(asks).await {
        match answer {
            Ok((contribution, anchor, knowledge)) => {
                if let Some(k) = knowledge {
                    knowledge_of.insert(contribution.0.clone(), k);
                }
                if let Some(a) = anchor {
                    anchor_of.insert(contribution.0.clone(), a);
                }
                received.push(contribution)
            }
            Err((who, why)) => {
                tracing::warn!(target: "requester", owner = %who, "no contribution: {why}");
                refused.push(format!("{who}: {why}"));
            }
        }
    }
    // For a data-oracle request, an owner counts only if its anchor is signed by a distinct
    // data owner of the feed: otherwise the contract would refuse the value after the job
    // was paid for.
    if let Some(request) = spec.oracle_request {
        let feed = chain.oracle_request_info(request).await?.feed;
        let mut signers = Vec::new();
        let mut valid = Vec::new();
        for c in received {
            let signer = anchor_of
                .get(&c.0)
                .and_then(|(a, s)| chain.anchor_signer(request, *a, s.as_deref()?));
            let why = match signer {
                None => Some("its anchor is not signed for the request".to_string()),
                Some(s) if signers.contains(&s) => {
                    Some(format!("{s} already signed another contribution"))
                }
                Some(s) if !chain.is_feed_owner(feed, s).await? => {
                    Some(format!("{s} is not one of the feed's data owners"))
                }
                Some(s) => {
                    signers.push(s);
                    None
                }
            };
            match why {
                Some(why) => {
                    tracing::warn!(target: "requester", owner = %c.0, "contribution left out: {why}");
                    refused.push(format!("{}: {why}", c.0));
                }
                None => valid.push(c),
            }
        }
        received = valid;
    }
    let (kept, dropped) = if he {
        // Encrypted contributions need no clerk; one that repeats another's ciphertext (a
        // copy) is left out, as the committee would refuse the whole sum.
        let mut seen = std::collections::HashSet::new();
        let mut dropped = Vec::new();
        let mut kept = Vec::new();
        for c in received {
            let firsts = first_components(&c.1, len);
            if firsts.iter().all(|p| !seen.contains(p)) {
                seen.extend(firsts);
                kept.push(c);
            } else {
                tracing::warn!(target: "requester", owner = %c.0, "contribution left out: it repeats another's ciphertext");
                dropped.push(format!(
                    "{}: repeats another contribution's ciphertext",
                    c.0
                ));
            }
        }
        (kept, dropped)
    } else {
        keep_shared(received, clerks.len(), spec.threshold as usize)
    };
    refused.extend(dropped);
    let (mut inputs, mut contributors) = (Vec::<Vec<U256>>::new(), Vec::new());
    let (mut anchors, mut anchor_signatures) = (Vec::new(), Vec::new());
    let mut knowledge = Vec::new();
    for (who, masked, acked) in kept {
        if let Some(k) = knowledge_of.get(&who) {
            knowledge.push(k.clone());
        }
        tracing::info!(target: "requester", owner = %who, clerks = acked.len(), "contribution received");
        let (anchor, signature) = anchor_of.get(&who).cloned().unwrap_or_default();
        anchors.push(anchor);
        anchor_signatures.push(signature.unwrap_or_default());
        contributors.push(who);
        inputs.push(masked);
    }
    // Anchors bind the owners' pad shares (he-linear: the committee's key): a data-oracle
    // value needs every owner's, so a collection with any owner unanchored anchors nothing.
    if anchors.iter().any(U256::is_zero) {
        anchors.clear();
        anchor_signatures.clear();
    }
    if contributors.len() < spec.min_contributors as usize {
        return Err(eyre!(
            "{} of {} data owners contributed, {} needed; nothing was posted. {}",
            contributors.len(),
            owners.len(),
            spec.min_contributors,
            refused.join("; ")
        ));
    }
    let inputs = fit(&inputs, shape, len);
    Ok((
        inputs,
        StatsRun {
            session,
            asked: owners,
            contributors,
            refused,
            len,
            clerks,
            draw,
            noise_std: None,
            key,
            dkg_seconds,
            clerks_answered: vec![],
            included_confirmed: vec![],
            statistics: None,
            anchors,
            anchor_signatures,
            query_tag: Some(field::fr_to_u256(query_tag)),
            proven_clerks: vec![],
            decrypted: vec![],
            knowledge,
        },
    ))
}

/// Checks an encrypted contribution's proof that its owner knows the encryption
/// randomness of its `len` ciphertexts, for collection `session`; returns the proof.
pub fn check_knowledge(
    masked: &[U256],
    len: usize,
    session: B256,
    knowledge: Option<&str>,
) -> Result<String, String> {
    let proof = knowledge.ok_or("sent no proof that it knows its encryption randomness")?;
    let parsed: arcanum_compute::elgamal::knowledge::RandomnessProof =
        serde_json::from_str(proof).map_err(|e| format!("malformed randomness proof: {e}"))?;
    let fields = field::vec_from_u256(masked).map_err(|e| e.to_string())?;
    let cts = arcanum_compute::executor::decode_ciphertexts(&[fields], len)
        .map_err(|e| e.to_string())?
        .remove(0);
    // Fresh randomness never gives the identity: such an element is not an encryption
    // (and the committee, which strips the job's identity padding, would not see it).
    let identity = arcanum_compute::elgamal::Ciphertext::zero().c1;
    if cts.iter().any(|c| c.c1 == identity) {
        return Err(
            "an element is not a fresh encryption (its first component is the identity)".into(),
        );
    }
    arcanum_compute::elgamal::knowledge::verify(&cts, session.as_slice(), &parsed)
        .map_err(|e| e.to_string())?;
    Ok(proof.to_string())
}

/// The first components of an encrypted contribution's `len` ciphertexts.
fn first_components(masked: &[U256], len: usize) -> Vec<arcanum_compute::elgamal::EdwardsAffine> {
    field::vec_from_u256(masked)
        .ok()
        .and_then(|f| arcanum_compute::executor::decode_ciphertexts(&[f], len).ok())
        .map(|mut v| v.remove(0).iter().map(|c| c.c1).collect())
        .unwrap_or_default()
}

/// A contribution received: the owner (peer id), its masked vector, and the clerks
/// (Shamir indices) that acknowledged its pad shares.
pub type Received = (String, Vec<U256>, Vec<u64>);

/// A clerk can sum only if it holds a share of every contribution kept: keeps the
/// contributions (owner, masked vector, clerks holding a share) that the `threshold`
/// clerks holding the most shares all hold; the others are returned with the reason.
pub fn keep_shared(
    received: Vec<Received>,
    clerks: usize,
    threshold: usize,
) -> (Vec<Received>, Vec<String>) {
    let mut holders: Vec<(usize, u64)> = (1..=clerks as u64)
        .map(|k| {
            (
                received.iter().filter(|(_, _, c)| c.contains(&k)).count(),
                k,
            )
        })
        .collect();
    holders.sort_unstable_by(|a, b| b.cmp(a));
    let usable: Vec<u64> = holders.iter().take(threshold).map(|(_, k)| *k).collect();
    let (kept, dropped): (Vec<_>, Vec<_>) = received
        .into_iter()
        .partition(|(_, _, acked)| usable.iter().all(|k| acked.contains(k)));
    let dropped = dropped
        .into_iter()
        .map(|(who, _, _)| {
            format!("{who}: its shares are not with clerks {usable:?}, which hold the most")
        })
        .collect();
    (kept, dropped)
}

/// Fits contributions of `len` elements to `shape`: each vector padded to the shape's
/// width (a longer one is chunked), and padding vectors for the owners the shape has room
/// for but that are absent.
pub fn fit(inputs: &[Vec<U256>], shape: Shape, len: usize) -> Vec<Vec<U256>> {
    let pad = padding(shape.kind);
    let width = shape.dims.max(len);
    let padded = |v: &[U256]| -> Vec<U256> {
        let mut out = v.to_vec();
        while out.len() < width * pad.len() {
            out.extend_from_slice(&pad);
        }
        out
    };
    let mut inputs: Vec<Vec<U256>> = inputs.iter().map(|v| padded(v)).collect();
    inputs.resize(shape.contributors, padded(&[]));
    inputs
}

/// Once the job is posted, sends every contributor the job's inputs, so each checks its
/// vector is among them and that they hash to the posted commitment; records who confirmed.
pub async fn announce(
    net: &Client,
    spec: &StatsSpec,
    run: &mut StatsRun,
    job_id: arcanum_protocol::JobId,
    inputs: &[Vec<U256>],
) {
    let asked = if run.asked.is_empty() {
        &spec.contributors
    } else {
        &run.asked
    };
    let confirmed = confirm_inclusion(
        net,
        asked,
        &run.contributors,
        run.session,
        job_id,
        (inputs, &run.anchors),
    )
    .await;
    run.included_confirmed.extend(confirmed);
}

/// Sends each of `asked` (multiaddrs) that is among `contributors` (peer ids) the posted
/// job's inputs; returns the owners that confirmed their vector is inside its commitment.
pub async fn confirm_inclusion(
    net: &Client,
    asked: &[String],
    contributors: &[String],
    session: B256,
    job_id: arcanum_protocol::JobId,
    (inputs, anchors): (&[Vec<U256>], &[U256]),
) -> Vec<String> {
    let asks = asked.iter().filter_map(|a| {
        let (addr, peer) = parse_peer_addr(a).ok()?;
        if !contributors.contains(&peer.to_base58()) {
            return None;
        }
        let request = JobRequest::Included {
            session,
            job_id,
            inputs: inputs.to_vec(),
            anchors: anchors.to_vec(),
        };
        let net = net.clone();
        Some(async move {
            let _ = net.dial(addr).await;
            let answer = tokio::time::timeout(CLERK_TIMEOUT, net.request(peer, request)).await;
            (peer.to_base58(), answer)
        })
    });
    let mut confirmed = Vec::new();
    for (owner, answer) in futures::future::join_all(asks).await {
        match answer {
            Ok(Ok(JobResponse::Ack)) => confirmed.push(owner),
            Ok(Ok(other)) => {
                tracing::error!(target: "requester", %owner, %job_id, "owner disputes its inclusion: {other:?}")
            }
            Ok(Err(e)) => {
                tracing::warn!(target: "requester", %owner, "inclusion not confirmed: {e}")
            }
            Err(_) => {
                tracing::warn!(target: "requester", %owner, "inclusion not confirmed in time")
            }
        }
    }
    confirmed
}

/// Recovers the plain total from the proven `total` (the output of `job_id` over
/// `inputs`) and decodes the statistics into `run`: with the clerks' sums (secagg-sum) or
/// the key committee's decryption shares (he-linear).
#[allow(clippy::too_many_arguments)]
pub async fn unmask(
    net: &Client,
    spec: &StatsSpec,
    run: &mut StatsRun,
    (job_id, shape, input_commitment): (arcanum_protocol::JobId, Shape, U256),
    inputs: &[Vec<U256>],
    total: &[Fr],
) -> eyre::Result<()> {
    let codec = FixedPoint {
        scale_bits: spec.scale_bits,
        bound_bits: 64,
    };
    let plain: Vec<f64> = match &run.key {
        Some(transcript) => {
            let draw = run
                .draw
                .as_ref()
                .ok_or_else(|| eyre!("an he-linear run without its committee's draw"))?;
            let group = super::committee::group_of(transcript, draw).map_err(|e| eyre!(e))?;
            // For a data-oracle value, the members also prove their shares of the sums
            // the feed's statistic reads.
            let prove = spec
                .oracle_statistic
                .filter(|_| spec.prove_clerks && !run.anchors.is_empty());
            if spec.prove_clerks && prove.is_none() {
                return Err(eyre!(
                    "the key committee cannot prove its shares: not every owner anchored the committee's key, or the feed's statistic is unknown"
                ));
            }
            let (values, used, proven) = super::committee::decrypt(
                net,
                transcript,
                &group,
                (job_id, inputs, &run.knowledge),
                total,
                prove,
            )
            .await?;
            run.clerks_answered = used.into_iter().map(u64::from).collect();
            run.proven_clerks = proven;
            run.decrypted = values.clone();
            values
                .iter()
                .take(run.len)
                .map(|v| codec.decode_i64(*v))
                .collect()
        }
        None => {
            // For a data-oracle value, the clerks also prove their sums.
            let prove = match (spec.prove_clerks, run.query_tag, run.anchors.is_empty()) {
                (true, Some(query_tag), false) => Some(ClerkProofRequest {
                    shape,
                    input_commitment,
                    query_tag,
                }),
                (true, _, _) => {
                    return Err(eyre!(
                        "the clerks cannot prove their sums: not every owner anchored its shares (an owner running an older node, or more than {} clerks)",
                        arcanum_zk::oracle::MAX_ANCHORED_CLERKS
                    ));
                }
                _ => None,
            };
            let (plain, answered, proven) = clerk_unmask(
                net,
                run.session,
                &run.clerks,
                &run.contributors,
                spec.threshold as usize,
                &total[..run.len],
                prove,
            )
            .await?;
            run.clerks_answered = answered;
            run.proven_clerks = proven;
            codec.decode_vec(&plain)
        }
    };
    run.statistics = Some(stats::decode(
        spec.query,
        &spec.columns,
        &spec.edges,
        &plain,
    )?);
    if let Some(dp) = spec.dp {
        let each =
            stats::owner_noise_std(spec.query, spec.columns.len(), dp, spec.min_contributors)?;
        run.noise_std = Some(each * (run.contributors.len() as f64).sqrt());
    }
    Ok(())
}

/// Removes the masks from `total` (the proven sum of `contributors`' masked vectors of
/// `session`) with the sums of `threshold` of the `clerks`; returns the plain total, the
/// clerks whose sums were used and, when `prove` asks for them, every proven sum
/// received (unchecked: the data oracle's verifier checks them). With more answers than
/// needed, two subsets must agree.
pub async fn clerk_unmask(
    net: &Client,
    session: B256,
    clerks: &[String],
    contributors: &[String],
    threshold: usize,
    total: &[Fr],
    prove: Option<ClerkProofRequest>,
) -> eyre::Result<(Vec<Fr>, Vec<u64>, Vec<ProvenClerkSum>)> {
    let len = total.len();
    let asks = clerks.iter().enumerate().map(|(k, a)| {
        let net = net.clone();
        let request = JobRequest::ClerkSum {
            session,
            contributors: contributors.to_vec(),
            prove: prove.clone(),
        };
        async move {
            let index = k as u64 + 1;
            let (addr, peer) = parse_peer_addr(a).map_err(|e| eyre!(e))?;
            let _ = net.dial(addr).await;
            match tokio::time::timeout(CLERK_TIMEOUT, net.request(peer, request)).await {
                Ok(Ok(JobResponse::ClerkSum {
                    index: i,
                    sum,
                    proof,
                })) if i == index => Ok((
                    ClerkSum {
                        index,
                        sum: field::vec_from_u256(&sum)?,
                    },
                    proof.map(|proof| ProvenClerkSum {
                        index,
                        sum,
                        proof: *proof,
                    }),
                )),
                Ok(Ok(other)) => Err(eyre!("clerk {index} answered {other:?}")),
                Ok(Err(e)) => Err(eyre!("clerk {index}: {e}")),
                Err(_) => Err(eyre!("clerk {index}: no answer in {CLERK_TIMEOUT:?}")),
            }
        }
    });
    let mut sums = Vec::new();
    let mut proven = Vec::new();
    for answer in futures::future::join_all(asks).await {
        match answer {
            Ok((sum, p)) if sum.sum.len() == len => {
                sums.push(sum);
                proven.extend(p);
            }
            Ok((sum, _)) => {
                tracing::warn!(target: "requester", index = sum.index, "clerk sum of the wrong length; ignored")
            }
            Err(e) => tracing::warn!(target: "requester", "{e}"),
        }
    }
    let t = threshold;
    if sums.len() < t {
        return Err(eyre!(
            "only {} of {} clerks answered, {t} needed to unmask: the job is settled and paid, but its result cannot be released",
            sums.len(),
            clerks.len()
        ));
    }
    let committee = Committee::plain(clerks.len(), t);
    let plain = secagg::unmask(total, &sums[..t], committee)?;
    if sums.len() > t {
        let other = secagg::unmask(total, &sums[sums.len() - t..], committee)?;
        if other != plain {
            return Err(eyre!(
                "the clerks' sums disagree (two subsets unmask differently): a clerk is faulty; statistics withheld"
            ));
        }
    }
    Ok((plain, sums.iter().map(|s| s.index).collect(), proven))
}

/// The clerks of a collection: `pool` as listed, or `sampled` of them drawn by stake for
/// `session` (with the draw); fails, nothing posted, with fewer than `threshold`.
pub async fn choose_clerks(
    net: &Client,
    chain: &MarketClient,
    pool: &[String],
    sampled: Option<u32>,
    threshold: u32,
    session: B256,
) -> eyre::Result<(Vec<String>, Option<CommitteeDraw>)> {
    let (clerks, draw) = match sampled {
        None => (pool.to_vec(), None),
        Some(k) => {
            let draw = draw(net, chain, pool, k as usize, session).await?;
            let chosen = draw
                .chosen
                .iter()
                .map(|&i| draw.candidates[i].addr.clone())
                .collect();
            (chosen, Some(draw))
        }
    };
    if clerks.len() < threshold as usize {
        return Err(eyre!(
            "only {} clerks drawn (staked, reachable, validly bound), the threshold is {threshold}; nothing was posted",
            clerks.len(),
        ));
    }
    Ok((clerks, draw))
}

/// How long a candidate clerk has to send its binding.
const AD_TIMEOUT: Duration = Duration::from_secs(10);

/// Draws `k` clerks from `pool`, weighted by stake at the current block: each candidate
/// sends its signed binding (peer id to address); those that do not, or whose binding does
/// not match the peer they were reached at, are left out.
pub async fn draw(
    net: &Client,
    chain: &MarketClient,
    pool: &[String],
    k: usize,
    session: B256,
) -> eyre::Result<CommitteeDraw> {
    let asks = pool.iter().map(|a| {
        let net = net.clone();
        async move {
            let (addr, peer) = parse_peer_addr(a)?;
            let _ = net.dial(addr).await;
            match tokio::time::timeout(AD_TIMEOUT, net.request(peer, JobRequest::ClerkAd)).await {
                Ok(Ok(JobResponse::ClerkAd(ad))) => {
                    ad.verify().map_err(|e| format!("{a}: {e}"))?;
                    if ad.ad.peer_id != peer.to_base58() {
                        return Err(format!("{a}: its binding names peer {}", ad.ad.peer_id));
                    }
                    Ok((a.clone(), *ad))
                }
                Ok(Ok(other)) => Err(format!("{a}: answered {other:?}")),
                Ok(Err(e)) => Err(format!("{a}: {e}")),
                Err(_) => Err(format!("{a}: no binding in {AD_TIMEOUT:?}")),
            }
        }
    });
    let mut bound = Vec::new();
    for answer in futures::future::join_all(asks).await {
        match answer {
            Ok(b) => bound.push(b),
            Err(e) => tracing::warn!(target: "requester", "clerk candidate left out: {e}"),
        }
    }
    let block = chain.block_number().await?;
    let block_hash = chain
        .block_hash(block)
        .await?
        .ok_or_else(|| eyre!("block {block} has no hash yet"))?;
    let mut candidates = Vec::new();
    for (addr, ad) in bound {
        let stake = chain.stake_at(ad.ad.clerk, Some(block)).await?.staked;
        candidates.push(Candidate { addr, ad, stake });
    }
    let weights: Vec<U256> = candidates.iter().map(|c| c.stake).collect();
    let chosen = draw_weighted(&weights, k, CommitteeDraw::seed(block_hash, session));
    tracing::info!(target: "requester", block, candidates = candidates.len(), chosen = ?chosen, "clerks drawn by stake");
    Ok(CommitteeDraw {
        block,
        block_hash,
        session,
        candidates,
        chosen,
    })
}

/// Recomputes `draw` from the chain: the block's hash, every binding's signature and peer,
/// every stake at the block, and the draw itself. `Err` names the first discrepancy.
pub async fn verify_draw(chain: &MarketClient, draw: &CommitteeDraw) -> Result<(), String> {
    let hash = chain
        .block_hash(draw.block)
        .await
        .map_err(|e| e.to_string())?;
    if hash != Some(draw.block_hash) {
        return Err(format!(
            "block {} has hash {hash:?} on this chain, the draw says {}",
            draw.block, draw.block_hash
        ));
    }
    for c in &draw.candidates {
        c.ad.verify().map_err(|e| format!("{}: {e}", c.addr))?;
        let (_, peer) = parse_peer_addr(&c.addr)?;
        if peer.to_base58() != c.ad.ad.peer_id {
            return Err(format!(
                "{}: binding names peer {}",
                c.addr, c.ad.ad.peer_id
            ));
        }
        let stake = chain
            .stake_at(c.ad.ad.clerk, Some(draw.block))
            .await
            .map_err(|e| e.to_string())?
            .staked;
        if stake != c.stake {
            return Err(format!(
                "{} staked {stake} at block {}, the draw says {}",
                c.ad.ad.clerk, draw.block, c.stake
            ));
        }
    }
    let weights: Vec<U256> = draw.candidates.iter().map(|c| c.stake).collect();
    let again = draw_weighted(
        &weights,
        draw.chosen.len(),
        CommitteeDraw::seed(draw.block_hash, draw.session),
    );
    if again != draw.chosen {
        return Err(format!(
            "the draw recomputes to {again:?}, not {:?}",
            draw.chosen
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::JobSubmission;

    #[test]
    fn the_example_specs_parse_and_check_once_their_peers_are_filled_in() {
        for text in [
            include_str!("../../../deploy/examples/iris-variance.toml"),
            include_str!("../../../deploy/examples/iris-histogram.toml"),
            include_str!("../../../deploy/examples/iris-histogram-he.toml"),
        ] {
            let mut job: JobSubmission = toml::from_str(text).expect("parses");
            let shape = arcanum_zk::shapes::ALL
                .iter()
                .copied()
                .find(|s| s.name() == job.shape)
                .expect("a known shape");
            let spec = job.stats.as_mut().expect("[stats]");
            assert!(check(spec, shape).is_err(), "no contributors yet");
            let peers: Vec<String> = (0..6)
                .map(|i| {
                    format!(
                        "/ip4/127.0.0.1/tcp/{}/p2p/{}",
                        4001 + i,
                        arcanum_p2p::PeerId::random()
                    )
                })
                .collect();
            spec.contributors = peers[..4].to_vec();
            spec.clerks = peers;
            check(spec, shape).expect("valid");
        }
    }
}

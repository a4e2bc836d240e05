//! The data owner role: answers a requester's [`ContributionRequest`] when its policy
//! allows (requester, query, number of owners, dataset and columns), reads its CSV, turns
//! its rows into one vector of per-column sums, encodes it in fixed point and masks it, sends
//! one share of the mask to each clerk, and answers the requester with the masked vector
//! only once at least `threshold` clerks hold their share. Rows never leave the node; a bad
//! CSV is refused with the file, line and column at fault, before anything is sent.

mod training;

use super::{clerk::ClerkBook, metrics::Metrics};
use crate::config::ContributorSection;
use arcanum_compute::{
    dp::{Accountant, Charge, DpError, PrivacyBudget, noise_multiplier_for},
    fixed::FixedPoint,
    secagg::{self, Committee},
    stats,
};
use arcanum_p2p::{Client, Event, Multiaddr, PeerId};
use arcanum_protocol::{
    B256, ContributionRequest, JobRequest, JobResponse, Query, RejectReason, U256,
};
use arcanum_zk::field;
use std::{
    path::PathBuf,
    sync::{Arc, atomic::Ordering::Relaxed},
    time::Duration,
};
use tokio::sync::mpsc;

/// How long a clerk has to acknowledge a share.
const CLERK_TIMEOUT: Duration = Duration::from_secs(15);
/// Tries per clerk when the connection fails.
const CLERK_ATTEMPTS: u32 = 3;
/// Most clerks a job may name.
pub(super) const MAX_CLERKS: usize = 64;
/// Most fractional bits a job may ask for.
const MAX_SCALE_BITS: u32 = 32;

/// A data owner.
pub struct Contributor {
    net: Client,
    chain: arcanum_chain::MarketClient,
    policy: ContributorSection,
    data_dir: PathBuf,
    /// This node's clerk book, when it is also a clerk.
    own_clerk: Option<Arc<ClerkBook>>,
    metrics: Arc<Metrics>,
    /// Where requesters reach this owner (enrolments in open calls name it).
    addr: Option<String>,
    /// The store holding the datasets' privacy ledgers.
    store: Option<crate::store::Store>,
    /// One ledger update at a time.
    ledger: tokio::sync::Mutex<()>,
    /// Calls this owner enrolled in (a call is gossiped again while open).
    enrolled: std::sync::Mutex<std::collections::VecDeque<B256>>,
    /// What this owner sent per session (its requester and masked vector), to check the
    /// job it went into.
    #[allow(clippy::type_complexity)]
    sent: std::sync::Mutex<std::collections::VecDeque<(B256, String, Vec<U256>, Option<U256>)>>,
}

/// Sessions whose contribution an owner remembers, to check its inclusion.
const REMEMBERED: usize = 1_024;

impl Contributor {
    /// A data owner with `policy`, its datasets relative to `data_dir`.
    pub fn new(
        net: Client,
        chain: arcanum_chain::MarketClient,
        policy: ContributorSection,
        data_dir: PathBuf,
        own_clerk: Option<Arc<ClerkBook>>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            net,
            chain,
            policy,
            data_dir,
            own_clerk,
            metrics,
            addr: None,
            store: None,
            ledger: tokio::sync::Mutex::new(()),
            enrolled: Default::default(),
            sent: Default::default(),
        }
    }

    /// Keeps the datasets' privacy ledgers in `store`, creating (or re-budgeting) one per
    /// dataset with a budget.
    pub fn with_store(mut self, store: crate::store::Store) -> Result<Self, String> {
        let held = store.privacy_ledgers().map_err(|e| e.to_string())?;
        for d in &self.policy.datasets {
            let Some(b) = d.budget else { continue };
            let budget = PrivacyBudget {
                epsilon: b.epsilon,
                delta: b.delta,
            };
            let ledger = match held.iter().find(|l| l.dataset == d.name).cloned() {
                Some(mut l) => {
                    l.accountant.set_budget(budget).map_err(|e| e.to_string())?;
                    l
                }
                None => crate::store::PrivacyLedger {
                    dataset: d.name.clone(),
                    accountant: Accountant::new(budget).map_err(|e| e.to_string())?,
                    entries: vec![],
                },
            };
            store
                .put_privacy_ledger(&ledger)
                .map_err(|e| e.to_string())?;
        }
        self.store = Some(store);
        Ok(self)
    }

    /// Charges a release of `req` to dataset `name`'s budget, or refuses it with what
    /// remains.
    async fn charge(
        &self,
        from: PeerId,
        req: &ContributionRequest,
        name: &str,
    ) -> Result<(), RejectReason> {
        let dp = req.dp.ok_or_else(|| {
            RejectReason::Policy(format!(
                "dataset {name:?} has a privacy budget: it answers only differentially private releases (add dp to the spec)"
            ))
        })?;
        let z = noise_multiplier_for(
            PrivacyBudget {
                epsilon: dp.epsilon,
                delta: dp.delta,
            },
            1,
        )
        .map_err(|e| RejectReason::Policy(format!("dp: {e}")))?;
        // The release's noise, calibrated to its (epsilon, delta) for one row: a Gaussian
        // of ratio 1/z, composed exactly with the dataset's earlier releases.
        let charge = Charge::Gaussian {
            sensitivity: 1.0,
            noise_std: z,
        };
        let entry = crate::store::PrivacyEntry {
            session: req.session.to_string(),
            requester: from.to_base58(),
            query: req.query.name().to_string(),
            epsilon: dp.epsilon,
            delta: dp.delta,
            rounds: None,
            spent_after: 0.0,
            at: arcanum_protocol::unix_now(),
        };
        let what = format!(
            "this release (epsilon {} at delta {:e})",
            dp.epsilon, dp.delta
        );
        self.charge_ledger(name, &[charge], entry, &what).await
    }

    /// Records `charges` on dataset `name`'s ledger as `entry` (its `spent_after` filled
    /// in), all or nothing, or refuses naming `what` and what remains of the budget.
    async fn charge_ledger(
        &self,
        name: &str,
        charges: &[Charge],
        mut entry: crate::store::PrivacyEntry,
        what: &str,
    ) -> Result<(), RejectReason> {
        let failed = |e: String| RejectReason::Failed(format!("privacy ledger: {e}"));
        let store = self
            .store
            .as_ref()
            .ok_or_else(|| failed("no store".into()))?;
        let _one_at_a_time = self.ledger.lock().await;
        let mut ledger = store
            .privacy_ledgers()
            .map_err(|e| failed(e.to_string()))?
            .into_iter()
            .find(|l| l.dataset == name)
            .ok_or_else(|| failed(format!("no ledger for {name:?}")))?;
        let budget = ledger.accountant.budget();
        let mut after = ledger.accountant.clone();
        let spent = after.charge_all(charges).map_err(|e| match e {
            DpError::BudgetExceeded {
                would_spend,
                budget: b,
                spent,
                ..
            } => RejectReason::Policy(format!(
                "privacy budget of dataset {name:?}: {what} would bring it to epsilon {would_spend:.3} of {b} (at delta {:e}); {:.3} remains",
                budget.delta,
                (b - spent).max(0.0)
            )),
            other => failed(other.to_string()),
        })?;
        entry.spent_after = spent.epsilon;
        ledger.accountant = after;
        ledger.entries.push(entry);
        store
            .put_privacy_ledger(&ledger)
            .map_err(|e| failed(e.to_string()))?;
        tracing::info!(target: "contributor", dataset = %name, what, spent = spent.epsilon, budget = budget.epsilon, "charged to the privacy budget");
        Ok(())
    }

    /// Enrols in open calls as reachable at `addr` (a multiaddr ending in this node's
    /// `/p2p/<peer id>`); without one, calls are ignored.
    pub fn with_addr(mut self, addr: Option<String>) -> Self {
        self.addr = addr;
        self
    }

    /// Runs until `events` closes; each request is answered on a task of its own.
    pub async fn run(self, mut events: mpsc::Receiver<Event>) {
        let me = Arc::new(self);
        while let Some(event) = events.recv().await {
            let (from, request, channel) = match event {
                Event::JobRequest {
                    from,
                    request,
                    channel,
                } => (from, request, channel),
                Event::Call { call } => {
                    let me = me.clone();
                    tokio::spawn(async move { me.answer_call(&call).await });
                    continue;
                }
                _ => continue,
            };
            let req = match request {
                JobRequest::Contribute(req) => req,
                JobRequest::TrainJoin(plan) => {
                    let me = me.clone();
                    tokio::spawn(async move {
                        let answer = me.join_training(from, &plan).await.unwrap_or_else(|reason| {
                            tracing::warn!(target: "contributor", %from, dataset = %plan.dataset, ?reason, "not joining the training job");
                            JobResponse::Rejected(reason)
                        });
                        let _ = me.net.respond(channel, answer).await;
                    });
                    continue;
                }
                JobRequest::TrainLeave { job } => {
                    let me = me.clone();
                    tokio::spawn(async move {
                        let answer = match me.leave_training(from, job).await {
                            Ok(()) => JobResponse::Ack,
                            Err(reason) => JobResponse::Rejected(reason),
                        };
                        let _ = me.net.respond(channel, answer).await;
                    });
                    continue;
                }
                JobRequest::TrainRound(round) => {
                    let me = me.clone();
                    tokio::spawn(async move {
                        let answer = match me.train_round(from, &round).await {
                            Ok(answer) => {
                                me.metrics.contributions.fetch_add(1, Relaxed);
                                me.metrics.contributor_bytes_sent.fetch_add(
                                    arcanum_p2p::wire_len(None, Some(&answer)) as u64,
                                    Relaxed,
                                );
                                answer
                            }
                            Err(reason) => {
                                tracing::warn!(target: "contributor", %from, round = round.round, ?reason, "no update this round");
                                JobResponse::Rejected(reason)
                            }
                        };
                        let _ = me.net.respond(channel, answer).await;
                    });
                    continue;
                }
                JobRequest::Included {
                    session,
                    job_id,
                    inputs,
                    anchors,
                } => {
                    let me = me.clone();
                    tokio::spawn(async move {
                        let answer = match me
                            .check_included(from, session, job_id, &inputs, &anchors)
                            .await
                        {
                            Ok(()) => JobResponse::Ack,
                            Err(why) => {
                                tracing::error!(target: "contributor", %from, %job_id, "{why}");
                                JobResponse::Rejected(RejectReason::Policy(why))
                            }
                        };
                        let _ = me.net.respond(channel, answer).await;
                    });
                    continue;
                }
                _ => continue,
            };
            let me = me.clone();
            tokio::spawn(async move {
                let answer = match me.contribute(from, &req).await {
                    Ok(answer) => {
                        me.metrics.contributions.fetch_add(1, Relaxed);
                        me.metrics
                            .contributor_bytes_sent
                            .fetch_add(arcanum_p2p::wire_len(None, Some(&answer)) as u64, Relaxed);
                        answer
                    }
                    Err(reason) => {
                        tracing::warn!(target: "contributor", %from, dataset = %req.dataset, query = req.query.name(), ?reason, "not contributing");
                        JobResponse::Rejected(reason)
                    }
                };
                if let Err(e) = me.net.respond(channel, answer).await {
                    tracing::warn!(target: "contributor", %from, "answer not delivered: {e}");
                }
            });
        }
    }

    /// Enrols in an open call its policy would answer (requester, query, dataset and
    /// columns; the rest is checked when the contribution is asked).
    async fn answer_call(&self, call: &arcanum_protocol::CallForContributions) {
        let Some(addr) = self.addr.clone() else {
            return;
        };
        let p = &self.policy;
        let why =
            if !p
                .requesters
                .iter()
                .any(|r| r == "*" || *r == call.requester)
            {
                Some("requester not in contributor.requesters")
            } else if !p.queries.contains(&call.query) {
                Some("query not in contributor.queries")
            } else if !p.datasets.iter().any(|d| {
                d.name == call.dataset && call.columns.iter().all(|c| d.columns.contains(c))
            }) {
                Some("dataset or columns not offered")
            } else {
                None
            };
        if let Some(why) = why {
            tracing::debug!(target: "contributor", session = %call.session, requester = %call.requester, "call not answered: {why}");
            return;
        }
        {
            let mut enrolled = self.enrolled.lock().unwrap_or_else(|e| e.into_inner());
            if enrolled.contains(&call.session) {
                return;
            }
            if enrolled.len() >= REMEMBERED {
                enrolled.pop_front();
            }
            enrolled.push_back(call.session);
        }
        let mut last = String::from("no address");
        for target in &call.addrs {
            // Only addresses that name the requester's own peer id.
            if parse_peer_addr(target).map(|(_, p)| p.to_base58()).ok()
                != Some(call.requester.clone())
            {
                continue;
            }
            let request = JobRequest::Enroll {
                session: call.session,
                addr: addr.clone(),
            };
            match super::network::request_at(&self.net, target, request, CLERK_TIMEOUT).await {
                Ok(JobResponse::Ack) => {
                    tracing::info!(target: "contributor", session = %call.session, requester = %call.requester, dataset = %call.dataset, "enrolled in an open call");
                    return;
                }
                Ok(other) => last = format!("{other:?}"),
                Err(e) => last = e,
            }
        }
        tracing::warn!(target: "contributor", session = %call.session, "enrolment failed: {last}");
        // Not enrolled: the next gossip of the call may try again.
        self.enrolled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|s| *s != call.session);
    }

    /// Why the policy refuses `req` from `from`, if it does.
    fn refusal(&self, from: PeerId, req: &ContributionRequest) -> Option<String> {
        let p = &self.policy;
        let from = from.to_base58();
        if !p.requesters.iter().any(|r| r == "*" || *r == from) {
            return Some(format!("requester {from} is not in contributor.requesters"));
        }
        if !p.queries.contains(&req.query) {
            return Some(format!(
                "query {} is not in contributor.queries",
                req.query.name()
            ));
        }
        if req.contributors < p.min_contributors {
            return Some(format!(
                "{} owners asked; this owner's contributor.min_contributors is {}",
                req.contributors, p.min_contributors
            ));
        }
        let Some(dataset) = p.datasets.iter().find(|d| d.name == req.dataset) else {
            return Some(format!("no dataset {:?} here", req.dataset));
        };
        if let Some(c) = req.columns.iter().find(|c| !dataset.columns.contains(c)) {
            return Some(format!(
                "column {c:?} of {:?} is not offered (contributor.datasets columns)",
                req.dataset
            ));
        }
        if req.columns.is_empty() {
            return Some("no columns asked".into());
        }
        if let Some(f) = &req.filter
            && !dataset.columns.contains(&f.column)
        {
            return Some(format!(
                "filter column {:?} of {:?} is not offered",
                f.column, req.dataset
            ));
        }
        if req.edges.len() > super::joint::MAX_EDGES
            || req.edges.iter().any(|e| !e.is_finite())
            || !req.edges.is_sorted_by(|a, b| a < b)
            || (req.query == Query::Histogram) == req.edges.is_empty()
        {
            return Some(format!(
                "bucket edges: a histogram needs 1..={} finite ascending edges, other queries none",
                super::joint::MAX_EDGES
            ));
        }
        let (n, t) = (req.clerks.len(), req.threshold as usize);
        if !(2..=n).contains(&t) || n > MAX_CLERKS {
            return Some(format!(
                "threshold {t} of {n} clerks: needs 2 <= threshold <= clerks <= {MAX_CLERKS}"
            ));
        }
        if let Some(max) = p.max_epsilon {
            match req.dp {
                None => {
                    return Some(format!(
                        "this owner releases only with differential privacy (epsilon <= {max})"
                    ));
                }
                Some(dp) if dp.epsilon > max => {
                    return Some(format!(
                        "epsilon {} above this owner's contributor.max_epsilon {max}",
                        dp.epsilon
                    ));
                }
                Some(_) => {}
            }
        }
        if req.dp.is_some() && req.min_contributors < p.min_contributors {
            return Some(format!(
                "the noise is shared among {} owners; this owner's minimum is {}",
                req.min_contributors, p.min_contributors
            ));
        }
        if req.scale_bits > MAX_SCALE_BITS {
            return Some(format!(
                "scale_bits {} above {MAX_SCALE_BITS}",
                req.scale_bits
            ));
        }
        None
    }

    /// With clerks drawn by stake: checks `clerks` are the draw's choice and recomputes the
    /// draw from the chain, before anything is shared.
    async fn check_draw(
        &self,
        draw: Option<&arcanum_protocol::CommitteeDraw>,
        clerks: &[String],
    ) -> Result<(), RejectReason> {
        let Some(draw) = draw else { return Ok(()) };
        let chosen: Vec<&String> = draw
            .chosen
            .iter()
            .filter_map(|&i| draw.candidates.get(i).map(|c| &c.addr))
            .collect();
        if chosen.len() != clerks.len() || chosen.iter().zip(clerks).any(|(a, b)| *a != b) {
            return Err(RejectReason::Policy(
                "the clerks are not the draw's choice".into(),
            ));
        }
        super::joint::verify_draw(&self.chain, draw)
            .await
            .map_err(|e| RejectReason::Policy(format!("the clerks' draw does not verify: {e}")))
    }

    /// Remembers what was sent in `session` to `requester`, to check the job it went into.
    fn remember(&self, session: B256, requester: String, masked: Vec<U256>, anchor: Option<U256>) {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        if sent.len() >= REMEMBERED {
            sent.pop_front();
        }
        sent.push_back((session, requester, masked, anchor));
    }

    async fn contribute(
        &self,
        from: PeerId,
        req: &ContributionRequest,
    ) -> Result<JobResponse, RejectReason> {
        if let Some(why) = self.refusal(from, req) {
            return Err(RejectReason::Policy(why));
        }
        self.check_draw(req.draw.as_ref(), &req.clerks).await?;
        if let Some(request) = req.oracle_request {
            self.check_oracle_request(request, req).await?;
        }
        // An he-linear job: the key committee's transcript must give a valid group key
        // over the drawn members before anything is encrypted.
        let group = match &req.key {
            None => None,
            Some(key) => {
                let draw = req.draw.as_ref().ok_or_else(|| {
                    RejectReason::Policy(
                        "an encrypted contribution needs the committee's draw".into(),
                    )
                })?;
                if key.members != req.clerks
                    || key.session != req.session
                    || key.threshold != req.threshold
                {
                    return Err(RejectReason::Policy(
                        "the key transcript is not for this committee and session".into(),
                    ));
                }
                let group = super::committee::group_of(key, draw).map_err(|e| {
                    RejectReason::Policy(format!("the committee's group key does not verify: {e}"))
                })?;
                Some(group)
            }
        };
        let dataset = self
            .policy
            .datasets
            .iter()
            .find(|d| d.name == req.dataset)
            .cloned()
            .ok_or_else(|| RejectReason::Policy("dataset vanished".into()))?;
        if dataset.budget.is_some() {
            // Charged before anything is read: a release that does not happen after all
            // stays charged (the safe side).
            self.charge(from, req, &dataset.name).await?;
        }
        let codec = FixedPoint {
            scale_bits: req.scale_bits,
            bound_bits: 64,
        };
        let path = self.data_dir.join(&dataset.path);
        let (columns, query) = (req.columns.clone(), req.query);
        let (edges, filter) = (req.edges.clone(), req.filter.clone());
        let noise = req
            .dp
            .map(|dp| stats::owner_noise_std(query, columns.len(), dp, req.min_contributors))
            .transpose()
            .map_err(|e| RejectReason::Policy(format!("dp: {e}")))?;
        let encoded = tokio::task::spawn_blocking(move || {
            // Read the filter's column too (after the asked ones), then keep the rows it
            // passes, projected to the asked columns.
            let mut read = columns.clone();
            let filter_at = filter.as_ref().map(|f| {
                read.iter().position(|c| *c == f.column).unwrap_or_else(|| {
                    read.push(f.column.clone());
                    read.len() - 1
                })
            });
            let all = stats::read_csv(&path, &read, codec, query == Query::Variance)
                .map_err(|e| e.to_string())?;
            let rows = stats::select(&all, columns.len(), filter.as_ref().zip(filter_at));
            let vector = stats::contribution(query, &rows, columns.len(), &edges);
            let mut encoded = stats::encode(codec, &vector).map_err(|e| e.to_string())?;
            if let Some(sigma) = noise {
                // This owner's share of the release's noise, added before masking.
                stats::add_noise(codec, &mut encoded, sigma, &mut rand::rngs::OsRng)
                    .map_err(|e| e.to_string())?;
            }
            Ok::<_, String>((rows.len(), encoded))
        })
        .await
        .map_err(|e| RejectReason::Failed(e.to_string()))?
        .map_err(|e| {
            tracing::error!(target: "contributor", dataset = %dataset.name, "{e}");
            RejectReason::Failed(format!("this owner's data is unusable: {e}"))
        })?;
        let (rows, values) = encoded;
        let requester = from.to_base58();
        let mut knowledge_json = None;
        let (masked, acked, anchor) = match group {
            Some(group) => {
                // Encrypted under the committee's key: no pads, no clerks.
                // Every value, times the owners asked, must stay inside the range the
                // requester can decrypt, or the paid job could never be released.
                let bound =
                    (1i64 << super::committee::RANGE_BITS) / i64::from(req.contributors.max(1));
                let plain = values
                    .iter()
                    .map(|v| FixedPoint::to_i64(*v).filter(|m| m.abs() < bound))
                    .collect::<Option<Vec<i64>>>()
                    .ok_or_else(|| {
                        RejectReason::Failed(format!(
                            "a value of this owner's vector is outside the decryptable range (|m| < {bound} at scale 2^{}); ask with fewer scale_bits",
                            req.scale_bits
                        ))
                    })?;
                let key = group.public_key().precompute();
                // With the proof that this owner knows each ciphertext's randomness, bound
                // to this collection: nobody can submit a ciphertext made from this one.
                let (cts, knowledge) =
                    key.encrypt_vec_proven(&plain, req.session.as_slice(), &mut rand::rngs::OsRng);
                knowledge_json = Some(serde_json::to_string(&knowledge).unwrap_or_default());
                // The anchor binds the query, this vector (padded as the job pads it) and
                // the committee's keys, so that a data-oracle value is provably decrypted
                // by this committee.
                let width = req.anchor_width as usize;
                let anchor = super::committee::key_digest(&group)
                    .filter(|_| width >= cts.len())
                    .map(|digest| {
                        use arcanum_zk::oracle::{self, decrypt};
                        decrypt::anchor(
                            oracle::query_tag(&req.query_description()),
                            decrypt::contribution(&cts, width),
                            digest,
                        )
                    });
                (
                    field::vec_to_u256(&arcanum_compute::executor::encode_ciphertexts(&cts)),
                    vec![],
                    anchor,
                )
            }
            None => {
                let tag = arcanum_zk::oracle::query_tag(&req.query_description());
                let width = req.anchor_width as usize;
                self.mask_and_share(
                    req.session,
                    &req.clerks,
                    req.threshold,
                    self.policy.min_contributors,
                    &requester,
                    &values,
                    (width >= values.len()).then_some((tag, width)),
                )
                .await?
            }
        };
        // For a data-oracle request (checked above, before anything was shared): the
        // anchor signed for it, which the contract checks against the feed's owners.
        let anchor = anchor.map(field::fr_to_u256);
        let anchor_signature = match (anchor, req.oracle_request) {
            (Some(a), Some(request)) => Some(
                self.chain
                    .sign_anchor(request, a)
                    .map_err(|e| RejectReason::Failed(e.to_string()))?,
            ),
            _ => None,
        };
        tracing::info!(target: "contributor", session = %req.session, dataset = %req.dataset, query = query.name(), rows, clerks = acked.len(), encrypted = req.key.is_some(), oracle_request = ?req.oracle_request, "contributed");
        self.remember(req.session, requester, masked.clone(), anchor);
        Ok(JobResponse::Contribution {
            masked,
            clerks: acked,
            anchor,
            anchor_signature,
            knowledge: knowledge_json,
        })
    }

    /// A contribution for data-oracle request `request` is signed only if the request is
    /// open and its feed's query is exactly the one asked (so the signature cannot lend
    /// this owner's name to another statistic).
    async fn check_oracle_request(
        &self,
        request: U256,
        req: &ContributionRequest,
    ) -> Result<(), RejectReason> {
        let failed = |e: arcanum_chain::Error| RejectReason::Failed(e.to_string());
        let info = self
            .chain
            .oracle_request_info(request)
            .await
            .map_err(failed)?;
        if !info.open || arcanum_protocol::unix_now() > info.expires_at {
            return Err(RejectReason::Policy(format!(
                "data-oracle request {request} is not open (fulfilled, cancelled or expired)"
            )));
        }
        let feed = self
            .chain
            .oracle_feed(info.feed)
            .await
            .map_err(failed)?
            .ok_or_else(|| {
                RejectReason::Policy(format!(
                    "data-oracle request {request}'s feed is not defined"
                ))
            })?;
        let tag = field::fr_to_u256(arcanum_zk::oracle::query_tag(&req.query_description()));
        if feed.query_tag != tag {
            return Err(RejectReason::Policy(format!(
                "data-oracle request {request}'s feed is another query than the one asked: not contributing"
            )));
        }
        Ok(())
    }

    /// Masks `values` (secagg-sum), shares the mask with the clerks, and returns the masked
    /// vector, the clerks that hold their share (at least `threshold`) and, with a query
    /// tag (and few enough clerks), the share anchor: a commitment to the query and to each
    /// clerk's share, so that clerks can prove their sums for a data-oracle value.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn mask_and_share(
        &self,
        session: B256,
        clerk_addrs: &[String],
        threshold: u32,
        min_set: u32,
        requester: &str,
        values: &[arcanum_compute::Fr],
        anchor: Option<(arcanum_compute::Fr, usize)>,
    ) -> Result<(Vec<U256>, Vec<u64>, Option<arcanum_compute::Fr>), RejectReason> {
        let clerks: Vec<(Multiaddr, PeerId)> = clerk_addrs
            .iter()
            .map(|a| parse_peer_addr(a))
            .collect::<Result<_, _>>()
            .map_err(RejectReason::BadInputs)?;
        let committee = Committee::plain(clerks.len(), threshold as usize);
        let contribution = secagg::contribute(values, committee, &mut rand::rngs::OsRng)
            .map_err(|e| RejectReason::BadInputs(e.to_string()))?;
        let anchored = anchor
            .filter(|_| clerks.len() <= arcanum_zk::oracle::MAX_ANCHORED_CLERKS)
            .map(|(tag, width)| anchor_of(tag, width, &contribution))
            .transpose()
            .map_err(|e| RejectReason::Failed(e.to_string()))?;
        let (anchor, pad_anchor) = match anchored {
            Some((a, p)) => (Some(a), Some(p)),
            None => (None, None),
        };
        let me = self.net.peer_id();
        let sends = clerks.iter().zip(&contribution.pad_shares).enumerate().map(
            |(k, ((addr, peer), share))| {
                let index = k as u64 + 1;
                let share = field::vec_to_u256(share);
                let (net, addr, peer, requester) =
                    (self.net.clone(), addr.clone(), *peer, requester.to_string());
                let (own, metrics) = (self.own_clerk.clone(), self.metrics.clone());
                let pad_anchor = pad_anchor.clone();

                async move {
                    if peer == me {
                        // This node is also one of the clerks.
                        return own
                            .ok_or("names this node as a clerk, but it runs no clerk role".into())
                            .and_then(|book| {
                                book.absorb(
                                    &me.to_base58(),
                                    &requester,
                                    session,
                                    index,
                                    &share,
                                    min_set,
                                    pad_anchor.as_ref(),
                                )
                            })
                            .map(|()| index);
                    }
                    let _ = net.dial(addr.clone()).await;
                    let request = JobRequest::PadShare {
                        session,
                        index,
                        share,
                        min_set,
                        requester,
                        anchor: pad_anchor,
                    };
                    // A connection can close under a request (two peers dialling each
                    // other at once keep one of the two connections): try again, the
                    // clerk acknowledges the same share twice.
                    let mut last = String::new();
                    for attempt in 0..CLERK_ATTEMPTS {
                        if attempt > 0 {
                            tokio::time::sleep(Duration::from_millis(300 * u64::from(attempt)))
                                .await;
                            let _ = net.dial(addr.clone()).await;
                        }
                        metrics
                            .contributor_bytes_sent
                            .fetch_add(arcanum_p2p::wire_len(Some(&request), None) as u64, Relaxed);
                        match tokio::time::timeout(
                            CLERK_TIMEOUT,
                            net.request(peer, request.clone()),
                        )
                        .await
                        {
                            Ok(Ok(JobResponse::Ack)) => return Ok(index),
                            Ok(Ok(other)) => {
                                return Err(format!("clerk {index} answered {other:?}"));
                            }
                            Ok(Err(e)) => last = format!("clerk {index}: {e}"),
                            Err(_) => {
                                last = format!("clerk {index}: no answer in {CLERK_TIMEOUT:?}")
                            }
                        }
                    }
                    Err(last)
                }
            },
        );
        let mut acked = Vec::new();
        for result in futures::future::join_all(sends).await {
            match result {
                Ok(index) => acked.push(index),
                Err(e) => tracing::warn!(target: "contributor", %session, "{e}"),
            }
        }
        if acked.len() < threshold as usize {
            return Err(RejectReason::Failed(format!(
                "only {} of {} clerks hold a share (threshold {threshold}): nothing sent",
                acked.len(),
                clerks.len(),
            )));
        }
        Ok((field::vec_to_u256(&contribution.masked), acked, anchor))
    }

    /// Checks, from the chain, that the job `job_id` the requester of `session` says it
    /// posted has this owner's masked vector among its inputs and that they hash to its
    /// posted input commitment.
    async fn check_included(
        &self,
        from: PeerId,
        session: B256,
        job_id: arcanum_protocol::JobId,
        inputs: &[Vec<U256>],
        anchors: &[U256],
    ) -> Result<(), String> {
        let (mine, my_anchor) = self
            .sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(s, r, _, _)| *s == session && *r == from.to_base58())
            .map(|(_, _, m, a)| (m.clone(), *a))
            .ok_or_else(|| format!("no contribution of session {session} for {from}"))?;
        let info = self.chain.job(job_id).await.map_err(|e| e.to_string())?;
        let shape = arcanum_zk::shapes::ALL
            .iter()
            .copied()
            .find(|s| s.id == info.shape)
            .ok_or_else(|| format!("{job_id} has an unknown shape"))?;
        let fields = inputs
            .iter()
            .map(|v| field::vec_from_u256(v))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let weights = super::joint::weights(shape);
        let anchor_fields = field::vec_from_u256(anchors).map_err(|e| e.to_string())?;
        let commitment =
            super::requester::input_commitment(shape, &fields, &weights, &anchor_fields)
                .map_err(|e| e.to_string())?;
        if commitment != info.input_commitment {
            return Err(format!(
                "the inputs sent for {job_id} do not hash to its posted input commitment"
            ));
        }
        let pad = super::joint::padding(shape.kind);
        // Its vector, and at the same position its anchor (when it made one).
        let included = inputs.iter().enumerate().any(|(i, v)| {
            v.len() >= mine.len()
                && v[..mine.len()] == mine[..]
                && v[mine.len()..]
                    .chunks(pad.len())
                    .all(|c| c == &pad[..c.len()])
                && (anchors.is_empty() || my_anchor.is_none_or(|a| anchors.get(i) == Some(&a)))
        });
        if !included {
            return Err(format!(
                "this owner's contribution is NOT among {job_id}'s inputs: dropped or swapped"
            ));
        }
        self.metrics.contributions_verified.fetch_add(1, Relaxed);
        tracing::info!(target: "contributor", %job_id, %session, "contribution verified inside the posted job's input commitment");
        Ok(())
    }
}

/// Splits a multiaddr ending in `/p2p/<peer id>` into the address and the peer.
pub fn parse_peer_addr(text: &str) -> Result<(Multiaddr, PeerId), String> {
    let addr: Multiaddr = text
        .parse()
        .map_err(|e| format!("{text:?} is not a multiaddr: {e}"))?;
    let peer = text
        .rsplit_once("/p2p/")
        .and_then(|(_, id)| id.parse::<PeerId>().ok())
        .ok_or_else(|| format!("{text:?} does not end in /p2p/<peer id>"))?;
    Ok((addr, peer))
}

/// A contribution's share anchor and what each clerk is sent with its share: the
/// commitment to the masked vector and to every clerk's share, each padded with zeros to
/// the job's `width` as the job pads them (see `arcanum_zk::oracle`).
fn anchor_of(
    tag: arcanum_compute::Fr,
    width: usize,
    contribution: &secagg::Contribution,
) -> arcanum_zk::Result<(arcanum_compute::Fr, arcanum_protocol::PadAnchor)> {
    use arcanum_zk::oracle;
    let padded = |v: &[arcanum_compute::Fr]| {
        let mut v = v.to_vec();
        v.resize(width, arcanum_compute::Fr::from(0u64));
        v
    };
    let ds: Vec<_> = contribution
        .pad_shares
        .iter()
        .map(|s| oracle::share_commitment(&padded(s)))
        .collect();
    let contribution = arcanum_zk::commitment::contribution(&padded(&contribution.masked));
    let anchor = oracle::anchor(tag, contribution, &ds, oracle::MAX_ANCHORED_CLERKS)?;
    let mut commitments = ds;
    commitments.resize(oracle::MAX_ANCHORED_CLERKS, arcanum_compute::Fr::from(0u64));
    Ok((
        anchor,
        arcanum_protocol::PadAnchor {
            contribution: field::fr_to_u256(contribution),
            commitments: field::vec_to_u256(&commitments),
        },
    ))
}

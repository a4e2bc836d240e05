//! The control API's server (axum): every route behind the cookie, JSON in and out.

use super::{
    COOKIE_FILE,
    types::{
        Amount, ApiError, CommitteeReport, FeedReport, FeedRequestBody, FeedRequestReport,
        FeedRequestState, PrivacyReport, Rewards, Status, Tx,
    },
};
use crate::{
    daemon::Role,
    services::{metrics::Metrics, requester},
    store::{JobRecord, JobState, JobSubmission, Store},
};
use arcanum_chain::MarketClient;
use arcanum_p2p::{Client, Multiaddr, PeerId};
use arcanum_protocol::U256;
use axum::{
    Json, Router,
    extract::{Path, Request, State},
    http::{StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use std::{str::FromStr, sync::Arc};
use tokio::sync::mpsc;

/// What the API serves from.
pub struct NodeState {
    /// Roles run.
    pub roles: Vec<Role>,
    /// The node's chain client.
    pub chain: MarketClient,
    /// The network.
    pub net: Client,
    /// Listen addresses.
    pub listen: Vec<Multiaddr>,
    /// Peer id.
    pub peer_id: PeerId,
    /// The store.
    pub store: Store,
    /// The requester's inbox (when it runs).
    pub submit: Option<mpsc::Sender<u64>>,
    /// Cancellations for the requester's followers.
    pub cancels: Arc<requester::Cancels>,
    /// Counters.
    pub metrics: Arc<Metrics>,
}

type Shared = Arc<NodeState>;

/// Largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// An API failure: a status and a message that says what to do.
struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(ApiError { error: self.1 })).into_response()
    }
}

fn bad(msg: impl Into<String>) -> Failure {
    Failure(StatusCode::BAD_REQUEST, msg.into())
}

fn chain_err(state: &NodeState) -> impl Fn(arcanum_chain::Error) -> Failure + '_ {
    move |e| {
        state
            .metrics
            .rpc_errors
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Failure(StatusCode::BAD_GATEWAY, e.to_string())
    }
}

fn store_err(e: crate::store::StoreError) -> Failure {
    Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// Writes a fresh random cookie (owner-only) and returns it.
pub fn write_cookie(data_dir: &std::path::Path) -> eyre::Result<String> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let cookie = alloy::hex::encode(rand::random::<[u8; 32]>());
    let path = data_dir.join(COOKIE_FILE);
    let _ = std::fs::remove_file(&path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    f.write_all(cookie.as_bytes())?;
    Ok(cookie)
}

/// The API's routes, behind the cookie.
pub fn router(state: Shared, cookie: String) -> Router {
    let cookie = Arc::new(cookie);
    Router::new()
        .route("/v1/status", get(status))
        .route("/v1/stake/deposit", post(stake_deposit))
        .route("/v1/stake/unbond", post(stake_unbond))
        .route("/v1/stake/withdraw", post(stake_withdraw))
        .route("/v1/rewards", get(rewards))
        .route("/v1/rewards/claim", post(rewards_claim))
        .route("/v1/jobs", get(list_jobs).post(submit_job))
        .route("/v1/jobs/{id}", get(get_job))
        .route("/v1/jobs/{id}/cancel", post(cancel_job))
        .route("/v1/jobs/{id}/committee", get(job_committee))
        .route("/v1/privacy", get(privacy))
        .route("/v1/feeds", get(feeds))
        .route("/v1/feeds/requests", post(feed_request))
        .route("/v1/feeds/requests/{id}", get(feed_request_report))
        .route("/v1/feeds/requests/{id}/cancel", post(feed_request_cancel))
        .route("/v1/oracle/tasks", get(oracle_tasks))
        .route("/metrics", get(metrics))
        // A job of the contract's maximum size is ~10 MB of JSON; anything past this is
        // refused (413) before it is buffered.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let cookie = cookie.clone();
            async move {
                let expected = format!("Bearer {cookie}");
                let ok = req
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| constant_time_eq(v.as_bytes(), expected.as_bytes()));
                if ok {
                    next.run(req).await
                } else {
                    Failure(
                        StatusCode::UNAUTHORIZED,
                        format!(
                            "send `Authorization: Bearer <contents of <data-dir>/{COOKIE_FILE}>`"
                        ),
                    )
                    .into_response()
                }
            }
        }))
        .with_state(state)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn status(State(s): State<Shared>) -> Result<Json<Status>, Failure> {
    let me = s.chain.account();
    let stake = s.chain.stake_of(me).await.map_err(chain_err(&s))?;
    let head = s.chain.block_number().await.map_err(chain_err(&s))?;
    let peers = s.net.peers().await.unwrap_or(0);
    let jobs = s
        .store
        .job_counts()
        .map_err(store_err)?
        .into_iter()
        .map(|(k, v)| (state_name(&k), v))
        .collect();
    let work = s
        .store
        .work_counts()
        .map_err(store_err)?
        .into_iter()
        .map(|(k, v)| (state_name(&k), v))
        .collect();
    Ok(Json(Status {
        work,
        roles: s
            .roles
            .iter()
            .map(|r| format!("{r:?}").to_lowercase())
            .collect(),
        address: me.to_string(),
        peer_id: s.peer_id.to_base58(),
        listen: s.listen.iter().map(ToString::to_string).collect(),
        peers,
        chain_id: s.chain.chain_id(),
        head,
        stake_wei: stake.staked.to_string(),
        locked_wei: stake.locked.to_string(),
        free_wei: stake.free().to_string(),
        unbonding_wei: stake.unbonding.to_string(),
        jobs,
    }))
}

/// The snake-case name a state serialises to.
fn state_name(state: &impl serde::Serialize) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn amount(a: &Amount) -> Result<U256, Failure> {
    let v = U256::from_str(&a.amount_wei).map_err(|_| {
        bad(format!(
            "amount_wei {:?} is not a decimal amount",
            a.amount_wei
        ))
    })?;
    if v.is_zero() {
        return Err(bad("amount_wei must be positive"));
    }
    Ok(v)
}

async fn stake_deposit(
    State(s): State<Shared>,
    Json(a): Json<Amount>,
) -> Result<Json<Tx>, Failure> {
    let v = amount(&a)?;
    let tx = s.chain.stake(v).await.map_err(chain_err(&s))?;
    s.metrics.gas(tx.gas_used);
    Ok(Json(tx.into()))
}

async fn stake_unbond(State(s): State<Shared>, Json(a): Json<Amount>) -> Result<Json<Tx>, Failure> {
    let v = amount(&a)?;
    let tx = s.chain.request_unbond(v).await.map_err(chain_err(&s))?;
    s.metrics.gas(tx.gas_used);
    Ok(Json(tx.into()))
}

async fn stake_withdraw(State(s): State<Shared>) -> Result<Json<Tx>, Failure> {
    let tx = s.chain.withdraw().await.map_err(chain_err(&s))?;
    s.metrics.gas(tx.gas_used);
    Ok(Json(tx.into()))
}

async fn rewards(State(s): State<Shared>) -> Result<Json<Rewards>, Failure> {
    let me = s.chain.account();
    // Earned and claimed come from the ledger (confirmed events, reorgs rolled back);
    // the claimable credit is the chain's state now.
    let (jobs_paid, earned) = s.store.ledger_earned(me).map_err(store_err)?;
    let claimed = s.store.ledger_claimed().map_err(store_err)?;
    let claimable = s.chain.credit_of(me).await.map_err(chain_err(&s))?;
    Ok(Json(Rewards {
        jobs_paid,
        earned_wei: earned.to_string(),
        claimable_wei: claimable.to_string(),
        claimed_wei: claimed.to_string(),
        confirmed_through_block: s
            .metrics
            .watched_block
            .load(std::sync::atomic::Ordering::Relaxed),
    }))
}

async fn rewards_claim(State(s): State<Shared>) -> Result<Json<Tx>, Failure> {
    let me = s.chain.account();
    if s.chain
        .credit_of(me)
        .await
        .map_err(chain_err(&s))?
        .is_zero()
    {
        return Err(bad("nothing to claim: the credit is 0"));
    }
    let tx = s.chain.claim().await.map_err(chain_err(&s))?;
    s.metrics.gas(tx.gas_used);
    Ok(Json(tx.into()))
}

/// Checks a submission completely before anything is stored or posted.
fn validate(sub: &JobSubmission) -> Result<(), Failure> {
    let shape = arcanum_zk::shapes::ALL
        .iter()
        .copied()
        .find(|s| s.name() == sub.shape)
        .ok_or_else(|| bad(format!("unknown shape {:?}", sub.shape)))?;
    let reward = U256::from_str(&sub.reward_wei).map_err(|_| {
        bad(format!(
            "reward_wei {:?} is not a decimal amount",
            sub.reward_wei
        ))
    })?;
    if reward.is_zero() || reward >= U256::from(1u64) << 96 {
        return Err(bad("reward_wei must be in 1..2^96"));
    }
    U256::from_str(&sub.min_stake_wei).map_err(|_| {
        bad(format!(
            "min_stake_wei {:?} is not a decimal amount",
            sub.min_stake_wei
        ))
    })?;
    if !(30..=7 * 86_400).contains(&sub.deadline_secs) {
        return Err(bad("deadline_secs must be in 30..=604800"));
    }
    if let Some(spec) = &sub.fl {
        if !sub.inputs.is_empty() || sub.stats.is_some() {
            return Err(bad(
                "a training job takes no inputs and no [stats]: the data owners' updates are its inputs",
            ));
        }
        return crate::services::fl::check(spec, shape).map_err(|e| bad(format!("fl: {e}")));
    }
    if let Some(spec) = &sub.stats {
        if !sub.inputs.is_empty() {
            return Err(bad(
                "a joint statistic takes no inputs: the data owners contribute them",
            ));
        }
        return crate::services::joint::check(spec, shape).map_err(|e| bad(format!("stats: {e}")));
    }
    let inputs = sub
        .inputs
        .iter()
        .map(|v| {
            let words = v
                .iter()
                .map(|x| {
                    U256::from_str(x)
                        .map_err(|_| bad(format!("input {x:?} is not a decimal number")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            arcanum_zk::field::vec_from_u256(&words).map_err(|e| bad(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    requester::input_commitment(shape, &inputs, &sub.weights, &[])
        .map_err(|e| bad(e.to_string()))?;
    Ok(())
}

async fn submit_job(
    State(s): State<Shared>,
    Json(sub): Json<JobSubmission>,
) -> Result<(StatusCode, Json<JobRecord>), Failure> {
    let Some(inbox) = &s.submit else {
        return Err(Failure(
            StatusCode::CONFLICT,
            "this node does not run the requester role; start it with `--roles requester`".into(),
        ));
    };
    validate(&sub)?;
    let permit = inbox.clone().try_reserve_owned().map_err(|_| {
        Failure(
            StatusCode::SERVICE_UNAVAILABLE,
            "the requester's queue is full; retry when jobs have settled".into(),
        )
    })?;
    let record = s.store.insert_job(sub).map_err(store_err)?;
    permit.send(record.id);
    Ok((StatusCode::ACCEPTED, Json(record)))
}

async fn cancel_job(
    State(s): State<Shared>,
    Path(id): Path<u64>,
) -> Result<(StatusCode, Json<JobRecord>), Failure> {
    let rec = s
        .store
        .job(id)
        .map_err(store_err)?
        .ok_or_else(|| Failure(StatusCode::NOT_FOUND, format!("no job {id}")))?;
    if matches!(
        rec.state,
        JobState::Settled | JobState::Failed | JobState::Cancelled
    ) {
        return Err(Failure(
            StatusCode::CONFLICT,
            format!("job {id} is already {}", state_name(&rec.state)),
        ));
    }
    if let Some(p) = &rec.posted {
        let info = s.chain.job(p.job_id).await.map_err(chain_err(&s))?;
        if info.status != arcanum_chain::JobStatus::Open {
            return Err(Failure(
                StatusCode::CONFLICT,
                format!(
                    "{} is {:?} on chain: an assigned job runs to its worker's deadline (the worker consented and locked stake); cancel while it is open",
                    p.job_id, info.status
                ),
            ));
        }
    }
    s.cancels.cancel(id);
    Ok((StatusCode::ACCEPTED, Json(rec)))
}

async fn job_committee(
    State(s): State<Shared>,
    Path(id): Path<u64>,
) -> Result<Json<CommitteeReport>, Failure> {
    let rec = s
        .store
        .job(id)
        .map_err(store_err)?
        .ok_or_else(|| Failure(StatusCode::NOT_FOUND, format!("no job {id}")))?;
    let run = rec.stats.ok_or_else(|| {
        Failure(
            StatusCode::NOT_FOUND,
            format!("job {id} is not a joint statistic"),
        )
    })?;
    let draw = run.draw.ok_or_else(|| {
        Failure(
            StatusCode::NOT_FOUND,
            format!("job {id}'s clerks were listed in its spec, not drawn (set clerks_sampled)"),
        )
    })?;
    let mut checked = crate::services::joint::verify_draw(&s.chain, &draw).await;
    let (mut group_key, mut qualified) = (None, vec![]);
    if let (Ok(()), Some(key)) = (&checked, &run.key) {
        match crate::services::committee::group_of(key, &draw) {
            Ok(group) => {
                group_key = serde_json::to_string(group.public_key()).ok();
                qualified = group.qualification().qualified.clone();
            }
            Err(e) => checked = Err(format!("the committee's DKG transcript: {e}")),
        }
    }
    Ok(Json(CommitteeReport {
        draw,
        clerks: run.clerks,
        group_key,
        qualified,
        verified: checked.is_ok(),
        problem: checked.err(),
    }))
}

/// Every feed fulfilled since the deployment, with its latest value (from the data
/// oracle's events and `latest`).
/// The oracle role's requests: taken, fulfilled, lost to another node, expired, failed.
async fn oracle_tasks(
    State(s): State<Shared>,
) -> Result<Json<Vec<crate::store::OracleTask>>, Failure> {
    Ok(Json(s.store.oracle_tasks().map_err(store_err)?))
}

async fn feeds(State(s): State<Shared>) -> Result<Json<Vec<FeedReport>>, Failure> {
    let from = s.chain.deployment().deploy_block;
    let events = s
        .chain
        .oracle_events(from, None)
        .await
        .map_err(chain_err(&s))?;
    let mut counts: std::collections::BTreeMap<arcanum_protocol::B256, usize> = Default::default();
    for e in &events {
        if let arcanum_chain::OracleEvent::Fulfilled { feed, .. } = e.event {
            *counts.entry(feed).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for (feed, fulfilments) in counts {
        let v = s.chain.oracle_latest(feed).await.map_err(chain_err(&s))?;
        out.push(FeedReport {
            feed,
            value: v.value.to_string(),
            job_id: v.job_id.0.to_string(),
            worker: v.worker,
            request_id: v.request_id.to_string(),
            block: v.block,
            fulfilments,
        });
    }
    Ok(Json(out))
}

/// Requests a feed's value from the data oracle, paying the fee from this node's account.
async fn feed_request(
    State(s): State<Shared>,
    Json(body): Json<FeedRequestBody>,
) -> Result<Json<FeedRequestReport>, Failure> {
    let fee = U256::from_str(&body.fee_wei).map_err(|_| {
        bad(format!(
            "fee_wei {:?} is not a decimal amount",
            body.fee_wei
        ))
    })?;
    if !(1..=365 * 86_400).contains(&body.ttl_secs) {
        return Err(bad("ttl_secs must be in 1..=31536000"));
    }
    if body.feed.is_empty() {
        return Err(bad(
            "feed: a name such as iris/sepal_length/mean, or a 0x id",
        ));
    }
    let (id, _) = s
        .chain
        .oracle_request(
            arcanum_chain::feed_id(&body.feed),
            fee,
            body.callback.unwrap_or_default(),
            body.callback_gas,
            body.ttl_secs,
        )
        .await
        .map_err(chain_err(&s))?;
    feed_request_state(&s, id).await.map(Json)
}

async fn feed_request_report(
    State(s): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<FeedRequestReport>, Failure> {
    let id = U256::from_str(&id).map_err(|_| bad(format!("request id {id:?} is not a number")))?;
    feed_request_state(&s, id).await.map(Json)
}

/// Cancels an expired request this node made; its fee is credited back (`rewards claim`
/// pays data-oracle credit out through `claim` on the oracle: see the README).
async fn feed_request_cancel(
    State(s): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<FeedRequestReport>, Failure> {
    let id = U256::from_str(&id).map_err(|_| bad(format!("request id {id:?} is not a number")))?;
    let report = feed_request_state(&s, id).await?;
    match report.state {
        FeedRequestState::Expired if report.request.requester == s.chain.account() => {}
        FeedRequestState::Expired => {
            return Err(bad(format!(
                "request {id} was made by {}, not this node",
                report.request.requester
            )));
        }
        other => {
            return Err(bad(format!(
                "request {id} is {other:?}: only an expired, unfulfilled request is cancelled"
            )));
        }
    }
    let tx = s.chain.oracle_cancel(id).await.map_err(chain_err(&s))?;
    s.metrics.gas(tx.gas_used);
    feed_request_state(&s, id).await.map(Json)
}

async fn feed_request_state(s: &NodeState, id: U256) -> Result<FeedRequestReport, Failure> {
    let request = s.chain.oracle_request_info(id).await.map_err(|e| match e {
        arcanum_chain::Error::Rpc {
            call: "requests",
            detail,
        } => Failure(StatusCode::NOT_FOUND, detail),
        other => chain_err(s)(other),
    })?;
    let events: Vec<_> = s
        .chain
        .oracle_events(s.chain.deployment().deploy_block, None)
        .await
        .map_err(chain_err(s))?
        .into_iter()
        .filter(|l| l.event.request_id() == id)
        .collect();
    let fulfilled = events
        .iter()
        .any(|l| matches!(l.event, arcanum_chain::OracleEvent::Fulfilled { .. }));
    let cancelled = events
        .iter()
        .any(|l| matches!(l.event, arcanum_chain::OracleEvent::Cancelled { .. }));
    let state = if fulfilled {
        FeedRequestState::Fulfilled
    } else if cancelled {
        FeedRequestState::Cancelled
    } else if arcanum_protocol::unix_now() > request.expires_at {
        FeedRequestState::Expired
    } else {
        FeedRequestState::Open
    };
    Ok(FeedRequestReport {
        request_id: id.to_string(),
        state,
        request,
        events,
    })
}

async fn privacy(State(s): State<Shared>) -> Result<Json<Vec<PrivacyReport>>, Failure> {
    let mut out = Vec::new();
    for l in s.store.privacy_ledgers().map_err(store_err)? {
        let budget = l.accountant.budget();
        let spent = l
            .accountant
            .spent()
            .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .epsilon;
        out.push(PrivacyReport {
            dataset: l.dataset,
            budget_epsilon: budget.epsilon,
            budget_delta: budget.delta,
            spent_epsilon: spent,
            remaining_epsilon: (budget.epsilon - spent).max(0.0),
            entries: l.entries,
        });
    }
    Ok(Json(out))
}

async fn list_jobs(State(s): State<Shared>) -> Result<Json<Vec<JobRecord>>, Failure> {
    Ok(Json(s.store.jobs().map_err(store_err)?))
}

async fn get_job(State(s): State<Shared>, Path(id): Path<u64>) -> Result<Json<JobRecord>, Failure> {
    s.store
        .job(id)
        .map_err(store_err)?
        .map(Json)
        .ok_or_else(|| {
            Failure(
                StatusCode::NOT_FOUND,
                format!("no job {id}; `arcanum job list`"),
            )
        })
}

async fn metrics(State(s): State<Shared>) -> Result<String, Failure> {
    let mut out = s.metrics.render();
    out.push_str("# HELP arcanum_jobs Requester jobs by state.\n# TYPE arcanum_jobs gauge\n");
    for (state, n) in s.store.job_counts().map_err(store_err)? {
        let name = state_name(&state);
        out.push_str(&format!("arcanum_jobs{{state=\"{name}\"}} {n}\n"));
    }
    out.push_str(
        "# HELP arcanum_worker_jobs Worker jobs by state.\n# TYPE arcanum_worker_jobs gauge\n",
    );
    for (state, n) in s.store.work_counts().map_err(store_err)? {
        let name = state_name(&state);
        out.push_str(&format!("arcanum_worker_jobs{{state=\"{name}\"}} {n}\n"));
    }
    let peers = s.net.peers().await.unwrap_or(0);
    out.push_str(&format!(
        "# HELP arcanum_peers Connected peers.\n# TYPE arcanum_peers gauge\narcanum_peers {peers}\n"
    ));
    // The network's own: offers (delay, received, synced, live) and libp2p's (bytes per
    // transport, gossipsub per topic).
    if let Ok(net) = s.net.metrics().await {
        out.push_str(net.strip_suffix("# EOF\n").unwrap_or(&net));
    }
    let me = s.chain.account();
    let (_, earned) = s.store.ledger_earned(me).map_err(store_err)?;
    let claimed = s.store.ledger_claimed().map_err(store_err)?;
    out.push_str(&format!(
        "# HELP arcanum_rewards_earned_wei Rewards credited by confirmed settlements.\n# TYPE arcanum_rewards_earned_wei gauge\narcanum_rewards_earned_wei {earned}\n# HELP arcanum_rewards_claimed_wei Credit claimed (confirmed).\n# TYPE arcanum_rewards_claimed_wei gauge\narcanum_rewards_claimed_wei {claimed}\n"
    ));
    Ok(out)
}

//! `arcanum node run`: the long-running node. It loads the config, unlocks the keystore,
//! finds its deployment by the chain id its RPC reports, opens its store, starts one libp2p
//! network with its persistent identity, runs each configured role as a service with a
//! bounded inbox, serves the control API, and stops cleanly on SIGINT or SIGTERM.
//!
//! Failure policy: a job that fails or panics is isolated (marked failed, logged) and its
//! service goes on; a service that stops unexpectedly stops the node with a non-zero exit,
//! and the service manager restarts it (`deploy/arcanum.service`: `Restart=on-failure`,
//! with its backoff); every requester job and accepted worker job resumes from the store. In-flight work at shutdown: a requester job
//! stays `posted` in the store and is followed again at the next start; a worker's proof in
//! progress is abandoned (logged), and the job is released or expired per the contract.

use crate::{
    api::{self, server::NodeState},
    config::NodeConfig,
    identity,
    services::{
        clerk, committee, contributor, fl, jobs, joint,
        metrics::Metrics,
        network::{Inboxes, Network},
        oracle,
        requester::{self, Requester, RequesterConfig},
        watcher,
        worker::{self, WorkerConfig},
    },
    store::{JobRecord, JobState, Store},
};
use arcanum_chain::{ChainConfig, Deployment, MarketClient};
use arcanum_p2p::Multiaddr;
use arcanum_protocol::U256;
use arcanum_zk::{Fr, keys::KeyStore, shapes};
use eyre::{WrapErr, eyre};
use std::{collections::HashMap, path::PathBuf, str::FromStr, sync::Arc, time::Duration};
use tokio::{sync::mpsc, task::JoinSet};

/// A role the node plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Bids for jobs, proves them and is paid.
    Worker,
    /// Posts jobs submitted through the API and follows them to settlement.
    Requester,
    /// A data owner: contributes masked statistics of its datasets under its policy.
    Contributor,
    /// Holds data owners' mask shares and sums them for the job's requester.
    Clerk,
    /// A key-committee member: runs DKGs and decrypts proven sums for the job's requester.
    Committee,
    /// A data-oracle node: answers `DataOracle` requests for its feeds (`[oracle]`) by
    /// running their jobs through this node's requester (needs the requester role).
    Oracle,
}

/// Anvil's and Hardhat's default chain id: a local chain that mines only when a transaction
/// comes, on which waiting for confirmations would wait forever.
const LOCAL_DEV_CHAIN: u64 = 31337;

/// Capacity of the requester's inbox of submitted jobs.
const REQUESTER_INBOX: usize = 1024;
/// Capacity of each role's network inbox.
const NET_INBOX: usize = 256;

/// The chain client of a data dir: its config's RPC and deployment, with `signer`; and the
/// chain id.
pub async fn chain_client(
    data_dir: &std::path::Path,
    cfg: &crate::config::NodeConfig,
    signer: alloy::signers::local::PrivateKeySigner,
) -> eyre::Result<(MarketClient, u64)> {
    let chain_config = ChainConfig {
        rpc_url: cfg.chain.rpc_url.clone(),
        receipt_timeout: Duration::from_secs(cfg.chain.receipt_timeout_secs),
        request_timeout: Duration::from_secs(cfg.chain.request_timeout_secs),
        fee_bump_after: Duration::from_secs(cfg.chain.fee_bump_secs),
    };
    let chain_id = chain_id(&cfg.chain.rpc_url, chain_config.request_timeout).await?;
    let deployment_path = if cfg.chain.deployment.is_empty() {
        Deployment::path_for(data_dir, chain_id)
    } else {
        PathBuf::from(&cfg.chain.deployment)
    };
    let deployment = Deployment::load(&deployment_path)?;
    Ok((
        MarketClient::connect(chain_config, signer, deployment).await?,
        chain_id,
    ))
}

/// Runs the node until SIGINT or SIGTERM.
pub async fn run(
    data_dir: PathBuf,
    roles: Vec<Role>,
    overrides: Vec<(&'static str, String)>,
) -> eyre::Result<()> {
    let started = std::time::Instant::now();
    let cfg = NodeConfig::load(&data_dir, &overrides)?.config;
    // The API's port first: a port in use is reported at once, not after the keys load.
    let api_addr: std::net::SocketAddr = cfg
        .api
        .listen
        .parse()
        .map_err(|_| eyre!("api.listen is not host:port"))?;
    let api_listener = std::net::TcpListener::bind(api_addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .wrap_err_with(|| {
            format!(
                "cannot listen on {api_addr} for the API; is another node running? set api.listen"
            )
        })?;
    let password = identity::read_password(&cfg.keystore.password_file)?;
    let signer = identity::unlock(&data_dir.join(&cfg.keystore.path), &password)?;
    drop(password);
    let p2p_key = identity::load_or_create_p2p(&data_dir)?;
    let peer_id = identity::peer_id(&p2p_key);

    let (chain, chain_id) = chain_client(&data_dir, &cfg, signer.clone()).await?;
    let store = Store::open(&data_dir)?;
    chain.persist_nonces(Arc::new(store.clone()));
    let metrics = Arc::new(Metrics::default());
    let confirmations = if chain_id == LOCAL_DEV_CHAIN {
        0
    } else {
        cfg.chain.confirmations
    };

    let listen: Vec<Multiaddr> = parse_addrs(&cfg.p2p.listen, "p2p.listen")?;
    let bootstrap: Vec<Multiaddr> = parse_addrs(&cfg.p2p.bootstrap, "p2p.bootstrap")?;
    let net_config = arcanum_p2p::NetworkConfig {
        kademlia: cfg.p2p.kademlia,
        mdns: cfg.p2p.mdns,
        max_connections: cfg.p2p.max_connections,
        requests_per_minute: cfg.p2p.requests_per_minute,
        ..Default::default()
    };
    let mut network = Network::start(p2p_key, &listen, &bootstrap, net_config)
        .await
        .wrap_err("starting the p2p network (is the port in use? set p2p.listen)")?;

    let mut services: JoinSet<&'static str> = JoinSet::new();
    let mut inboxes = Inboxes::default();
    let mut submit = None;
    let cancels = Arc::new(requester::Cancels::default());
    let mut _worker = None;
    // This node's addresses as peers dial them: each listen address with its peer id.
    let own_addrs: Vec<String> = network
        .listen_addrs
        .iter()
        .map(|a| {
            let a = a.to_string();
            if a.contains("/p2p/") {
                a
            } else {
                format!("{a}/p2p/{peer_id}")
            }
        })
        .collect();
    if roles.contains(&Role::Worker) {
        let keys = load_keys(&data_dir, &cfg.worker.shapes).await?;
        let (tx, rx) = mpsc::channel(NET_INBOX);
        inboxes.jobs = Some(tx);
        let ask = U256::from_str(&cfg.worker.ask_wei)
            .map_err(|_| eyre!("worker.ask_wei is not a decimal amount"))?;
        let handle = worker::spawn(
            chain.clone(),
            signer.clone(),
            keys,
            network.client.clone(),
            rx,
            WorkerConfig {
                min_reward: ask,
                capacity: cfg.worker.capacity,
                metrics: metrics.clone(),
                store: Some(store.clone()),
                batch_window: Duration::from_millis(cfg.worker.batch_window_ms),
                offer_interval: Duration::from_secs(cfg.worker.offer_interval_secs),
                offer_ttl: Duration::from_secs(6 * cfg.worker.offer_interval_secs),
                ..WorkerConfig::default()
            },
        );
        tracing::info!(target: "node", address = %handle.address, %ask, capacity = cfg.worker.capacity, "worker service started");
        _worker = Some(handle);
    }
    if roles.contains(&Role::Requester) {
        let mut requester = Requester::new(chain.clone(), network.client.clone());
        // Open calls for contributions: owners enrol here.
        requester.enrollments().set_addrs(own_addrs.clone());
        let (tx, rx) = mpsc::channel(NET_INBOX);
        inboxes.enrollments = Some(tx);
        let (net, enrollments, blobs) = (
            network.client.clone(),
            requester.enrollments().clone(),
            requester.blobs().clone(),
        );
        services.spawn(async move {
            joint::serve_enrollments(net, enrollments, blobs, rx).await;
            "enrollments"
        });
        requester.set_config(RequesterConfig {
            max_attempts: cfg.requester.max_attempts,
            patience: Duration::from_secs(cfg.requester.placement_patience_secs),
            ..RequesterConfig::default()
        });
        let max_concurrent = cfg.requester.max_concurrent_jobs as usize;
        let (jobs_tx, jobs_rx) = mpsc::channel(REQUESTER_INBOX);
        // Resume every job the store holds unfinished, in submission order.
        let unfinished: Vec<u64> = store
            .jobs()?
            .into_iter()
            .filter(|j| matches!(j.state, JobState::Submitted | JobState::Posted))
            .map(|j| j.id)
            .collect();
        if !unfinished.is_empty() {
            tracing::info!(target: "node", jobs = ?unfinished, "resuming unfinished jobs from the store");
        }
        for id in unfinished {
            jobs_tx.try_send(id).map_err(|_| {
                eyre!("more than {REQUESTER_INBOX} unfinished jobs in the store; raise the inbox")
            })?;
        }
        let (store2, chain2, cancels2) = (store.clone(), chain.clone(), cancels.clone());
        services.spawn(async move {
            requester_service(requester, store2, chain2, jobs_rx, max_concurrent, cancels2).await;
            "requester"
        });
        submit = Some(jobs_tx);
        tracing::info!(target: "node", "requester service started");
    }
    // The oracle circuits' keys, one cache for the clerk and oracle roles.
    let key_cache = Arc::new(crate::services::keys::KeyCache::new(KeyStore::dev(
        data_dir.join("keys"),
    )));
    let clerk_book = roles
        .contains(&Role::Clerk)
        .then(|| Arc::new(clerk::ClerkBook::default()));
    if let Some(book) = &clerk_book {
        let (tx, rx) = mpsc::channel(NET_INBOX);
        inboxes.clerk = Some(tx);
        let (net, book) = (network.client.clone(), book.clone());
        let ad = arcanum_protocol::ClerkAd {
            peer_id: peer_id.to_base58(),
            clerk: signer.address(),
        }
        .sign(&signer)?;
        let keys = key_cache.clone();
        services.spawn(async move {
            clerk::run(net, book, ad, keys, rx).await;
            "clerk"
        });
        tracing::info!(target: "node", "clerk service started");
    }
    if roles.contains(&Role::Committee) {
        let (tx, rx) = mpsc::channel(NET_INBOX);
        inboxes.committee = Some(tx);
        let ad = arcanum_protocol::ClerkAd {
            peer_id: peer_id.to_base58(),
            clerk: signer.address(),
        }
        .sign(&signer)?;
        let member = committee::Member::new(
            network.client.clone(),
            chain.clone(),
            signer.clone(),
            store.clone(),
            ad,
            key_cache.clone(),
        );
        services.spawn(async move {
            member.run(rx).await;
            "committee"
        });
        tracing::info!(target: "node", "committee service started");
    }
    if roles.contains(&Role::Contributor) {
        if cfg.contributor.datasets.is_empty() {
            return Err(eyre!(
                "the contributor role needs datasets: add [[contributor.datasets]] to {} (see the commented [contributor] section of `arcanum init`'s template)",
                data_dir.join(crate::config::FILE_NAME).display()
            ));
        }
        let (tx, rx) = mpsc::channel(NET_INBOX);
        inboxes.contributions = Some(tx);
        let contributor = contributor::Contributor::new(
            network.client.clone(),
            chain.clone(),
            cfg.contributor.clone(),
            data_dir.clone(),
            clerk_book.clone(),
            metrics.clone(),
        )
        .with_addr(own_addrs.first().cloned())
        .with_store(store.clone())
        .map_err(|e| eyre!("privacy ledgers: {e}"))?;
        services.spawn(async move {
            contributor.run(rx).await;
            "contributor"
        });
        tracing::info!(target: "node", datasets = cfg.contributor.datasets.len(), "contributor service started");
    }
    let (watched, ledger, watch_metrics) = (chain.clone(), store.clone(), metrics.clone());
    services.spawn(async move {
        watcher::run(watched, ledger, confirmations, watch_metrics).await;
        "chain watcher"
    });
    if roles.contains(&Role::Oracle) {
        let submit = submit.clone().ok_or_else(|| {
            eyre!("the oracle role runs its feeds' jobs through this node's requester: add the requester role (--roles requester,oracle)")
        })?;
        if cfg.oracle.feeds.is_empty() {
            return Err(eyre!(
                "the oracle role needs feeds: add [[oracle.feeds]] (name, spec, statistic, column) to {}",
                data_dir.join(crate::config::FILE_NAME).display()
            ));
        }
        let oracle = oracle::Oracle {
            chain: chain.clone(),
            store: store.clone(),
            submit,
            feeds: oracle::load_feeds(&cfg.oracle.feeds, &data_dir)?,
            confirmations,
            poll: Duration::from_secs(cfg.oracle.poll_secs),
            keys: key_cache.clone(),
        };
        services.spawn(async move {
            oracle.run().await;
            "oracle"
        });
        tracing::info!(target: "node", feeds = cfg.oracle.feeds.len(), "oracle service started");
    }
    let (watched, watch_metrics) = (chain.clone(), metrics.clone());
    services.spawn(async move {
        watch_rpc(watched, watch_metrics).await;
        "rpc watch"
    });
    let router = network
        .route(inboxes)
        .ok_or_else(|| eyre!("network events already taken"))?;
    services.spawn(async move {
        let _ = router.await;
        "network router"
    });

    let state = Arc::new(NodeState {
        roles: roles.clone(),
        chain,
        net: network.client.clone(),
        listen: network.listen_addrs.clone(),
        peer_id,
        store,
        submit,
        cancels,
        metrics,
    });
    let listener = tokio::net::TcpListener::from_std(api_listener)?;
    let cookie = api::server::write_cookie(&data_dir)?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let app = api::server::router(state, cookie);
    let mut api_stop = stop_rx.clone();
    services.spawn(async move {
        let shutdown = async move {
            let _ = api_stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(target: "node", "api server failed: {e}");
        }
        "api"
    });
    tracing::info!(
        target: "node",
        %peer_id,
        listen = ?network.listen_addrs,
        api = %api_addr,
        chain_id,
        confirmations,
        roles = ?roles,
        start_seconds = started.elapsed().as_secs_f64(),
        "node ready"
    );

    let outcome = tokio::select! {
        signal = shutdown_signal() => {
            tracing::info!(target: "node", signal, "shutting down");
            Ok(())
        }
        ended = services.join_next() => {
            let name = match ended {
                Some(Ok(name)) => name.to_string(),
                Some(Err(e)) => format!("a service panicked: {e}"),
                None => "every service".into(),
            };
            Err(eyre!("{name} stopped unexpectedly; the node stops so that the service manager restarts it"))
        }
    };
    let _ = stop_tx.send(true);
    // Give the API a moment to finish open requests, then abandon the rest explicitly.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(ended) = services.join_next().await {
            if matches!(ended, Ok("api")) {
                break;
            }
        }
    })
    .await;
    services.abort_all();
    let _ = std::fs::remove_file(data_dir.join(api::COOKIE_FILE));
    tracing::info!(target: "node", "stopped; unfinished requester jobs resume at the next start");
    outcome
}

/// How long the RPC may fail before the node warns, and how often it warns after that.
const RPC_DOWN_WARN_AFTER: Duration = Duration::from_secs(30);
const RPC_WARN_EVERY: Duration = Duration::from_secs(60);

/// Probes the RPC every 5 s (each probe bounded by the request timeout). When it has been
/// down or hung for 30 s: one warning per minute naming the endpoint; when it answers
/// again: one line saying so. The services carry on by themselves once it is back.
async fn watch_rpc(chain: MarketClient, metrics: Arc<Metrics>) {
    let mut down_since: Option<std::time::Instant> = None;
    let mut last_warning: Option<std::time::Instant> = None;
    let url = chain.rpc_url().to_string();
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        match chain.block_number().await {
            Ok(_) => {
                if let Some(since) = down_since.take() {
                    tracing::info!(target: "chain", %url, down_seconds = since.elapsed().as_secs(), "RPC answers again");
                }
                last_warning = None;
            }
            Err(e) => {
                metrics
                    .rpc_errors
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let since = *down_since.get_or_insert_with(std::time::Instant::now);
                let due = last_warning.is_none_or(|w| w.elapsed() >= RPC_WARN_EVERY);
                if since.elapsed() >= RPC_DOWN_WARN_AFTER && due {
                    tracing::warn!(
                        target: "chain",
                        %url,
                        down_seconds = since.elapsed().as_secs(),
                        "RPC down or hung ({e}); jobs wait for it and resume when it answers; check chain.rpc_url and the Ethereum node"
                    );
                    last_warning = Some(std::time::Instant::now());
                }
            }
        }
    }
}

async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

async fn chain_id(url: &str, timeout: Duration) -> eyre::Result<u64> {
    use alloy::providers::{Provider, ProviderBuilder};
    let unreachable = |e: &dyn std::fmt::Display| {
        eyre!("cannot reach the RPC at {url}: {e}; check chain.rpc_url")
    };
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| unreachable(&e))?;
    let provider =
        ProviderBuilder::new().connect_reqwest(http, url.parse().map_err(|e| unreachable(&e))?);
    provider.get_chain_id().await.map_err(|e| unreachable(&e))
}

fn parse_addrs(addrs: &[String], key: &str) -> eyre::Result<Vec<Multiaddr>> {
    addrs
        .iter()
        .map(|a| {
            a.parse()
                .map_err(|_| eyre!("{key} entry {a:?} is not a multiaddr"))
        })
        .collect()
}

/// Loads (setting up on first use) the dev keys of `names` and builds their prover tables.
async fn load_keys(
    data_dir: &std::path::Path,
    names: &[String],
) -> eyre::Result<Arc<HashMap<arcanum_protocol::ShapeId, Arc<arcanum_zk::keys::ShapeKeys>>>> {
    tracing::warn!(target: "node", "using DEVELOPMENT proving keys (insecure deterministic setup): fine for devnets, never for real value");
    let dir = data_dir.join("keys");
    let wanted: Vec<_> = shapes::ALL
        .iter()
        .copied()
        .filter(|s| names.contains(&s.name()))
        .collect();
    let keys = tokio::task::spawn_blocking(move || {
        let store = KeyStore::dev(dir);
        wanted
            .iter()
            .map(|s| {
                let k = store.load_or_setup(s)?;
                k.prover_tables();
                Ok((s.id, Arc::new(k)))
            })
            .collect::<arcanum_zk::Result<HashMap<_, _>>>()
    })
    .await??;
    Ok(Arc::new(keys))
}

/// Takes submitted job ids from its inbox and follows each to its end, persisting every
/// step; up to `max_concurrent` jobs at once (in submission order), the rest wait.
async fn requester_service(
    requester: Requester,
    store: Store,
    chain: MarketClient,
    mut inbox: mpsc::Receiver<u64>,
    max_concurrent: usize,
    cancels: Arc<requester::Cancels>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(max_concurrent.max(1)));
    // Owned here: when the service stops, the jobs it follows stop with it (and resume
    // from the store at the next start).
    let mut running = tokio::task::JoinSet::new();
    while let Some(id) = inbox.recv().await {
        while running.try_join_next().is_some() {}
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (requester, store, chain) = (requester.clone(), store.clone(), chain.clone());
        let cancels = cancels.clone();
        let span = tracing::info_span!("job", local_id = id);
        running.spawn(tracing::Instrument::instrument(
            async move {
                let _slot = slot;
                let cancelled = cancels.signal(id);
                tokio::select! {
                    biased;
                    () = cancelled.notified() => cancel_followed(&chain, &store, id).await,
                    () = follow_isolated(&requester, &store, &chain, id) => {}
                }
                cancels.done(id);
            },
            span,
        ));
    }
    while running.join_next().await.is_some() {}
}

/// Ends a job whose cancellation was asked for (its follower was stopped): an open job is
/// cancelled on chain (the escrow is credited back); one assigned meanwhile is left to its
/// worker, which releases an assignment whose inputs never came, and is then cancelled; a
/// post in flight is found and cancelled.
async fn cancel_followed(chain: &MarketClient, store: &Store, id: u64) {
    let ended = async {
        let mut rec = store
            .job(id)?
            .ok_or_else(|| eyre!("job {id} is not in the store"))?;
        let mut job_id = rec.posted.as_ref().map(|p| p.job_id);
        if job_id.is_none()
            && let Some(from) = rec.posting_from_block
        {
            let (shape, inputs) = parse_inputs(&rec)?;
            let ic = requester::input_commitment(
                shape,
                &inputs,
                &rec.submission.weights,
                &rec.submission.anchor_fields()?,
            )?;
            job_id = chain
                .find_posted(chain.account(), ic, from)
                .await?
                .map(|(j, _)| j);
        }
        if let Some(job_id) = job_id {
            let until = std::time::Instant::now() + Duration::from_secs(3_600);
            loop {
                let info = chain.job(job_id).await?;
                match info.status {
                    arcanum_chain::JobStatus::Open => {
                        chain.cancel(job_id).await?;
                        break;
                    }
                    arcanum_chain::JobStatus::Assigned if std::time::Instant::now() < until => {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                    status => {
                        return Err(eyre!("{job_id} is {status:?} on chain; not cancelled"));
                    }
                }
            }
        }
        rec.state = JobState::Cancelled;
        rec.error = Some("cancelled by its requester".into());
        store.put_job(&rec)?;
        tracing::info!(target: "requester", local_id = id, "job cancelled");
        Ok::<_, eyre::Report>(())
    };
    if let Err(e) = ended.await {
        tracing::error!(target: "requester", local_id = id, "cancel failed: {e:#}");
        if let Ok(Some(mut rec)) = store.job(id) {
            rec.state = JobState::Failed;
            rec.error = Some(format!("cancel failed: {e:#}"));
            let _ = store.put_job(&rec);
        }
    }
}

/// How long a job keeps retrying while the chain is unreachable or failing.
const CHAIN_OUTAGE_PATIENCE: Duration = Duration::from_secs(1_800);

/// Whether `e` is a chain outage (the job resumes from its stored state once it ends).
fn chain_outage(e: &eyre::Report) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<arcanum_chain::Error>()
            .is_some_and(arcanum_chain::Error::is_transient)
            || matches!(
                c.downcast_ref::<requester::RequesterError>(),
                Some(requester::RequesterError::Chain(ce)) if ce.is_transient()
            )
    })
}

/// Follows one job; a chain outage is waited out (with backoff, for
/// [`CHAIN_OUTAGE_PATIENCE`]: every step resumes from the store, so nothing is posted
/// twice); any other error or a panic marks the job failed with the reason, and never takes
/// the other jobs down with it.
async fn follow_isolated(requester: &Requester, store: &Store, chain: &MarketClient, id: u64) {
    let (mut backoff, mut outage_since) = (Duration::from_secs(2), None::<std::time::Instant>);
    let followed = loop {
        let followed = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(follow(
            requester, store, chain, id,
        )))
        .await;
        match &followed {
            Ok(Err(e)) if chain_outage(e) => {
                let since = *outage_since.get_or_insert_with(std::time::Instant::now);
                if since.elapsed() >= CHAIN_OUTAGE_PATIENCE {
                    break followed;
                }
                tracing::warn!(target: "requester", local_id = id, "chain unavailable ({e}); the job resumes from its stored state in {backoff:?}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(60));
            }
            _ => break followed,
        }
    };
    let error = match followed {
        Ok(Ok(())) => return,
        Ok(Err(e)) => format!("{e:#}"),
        Err(panic) => format!(
            "the requester service panicked on this job ({}); it was isolated and the service continues",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message")
        ),
    };
    tracing::error!(target: "requester", local_id = id, "job failed: {error}");
    if let Ok(Some(mut rec)) = store.job(id)
        && !matches!(
            rec.state,
            JobState::Settled | JobState::Failed | JobState::Cancelled
        )
    {
        rec.state = JobState::Failed;
        rec.error = Some(error);
        let _ = store.put_job(&rec);
    }
}

fn parse_inputs(rec: &JobRecord) -> eyre::Result<(arcanum_protocol::Shape, Vec<Vec<Fr>>)> {
    Ok((
        jobs::shape_named(&rec.submission.shape)?,
        jobs::parse_words(&rec.submission.inputs)?,
    ))
}

async fn follow(
    requester: &Requester,
    store: &Store,
    chain: &MarketClient,
    id: u64,
) -> eyre::Result<()> {
    let mut rec = store
        .job(id)?
        .ok_or_else(|| eyre!("job {id} is not in the store"))?;
    if rec.submission.fl.is_some() {
        return fl::follow(requester, store, chain, rec).await;
    }
    if rec.state == JobState::Submitted
        && rec.stats.is_none()
        && let Some(spec) = rec.submission.stats.clone()
    {
        // A joint statistic: the data owners' masked vectors become the inputs.
        let shape = jobs::shape_named(&rec.submission.shape)?;
        let (inputs, run) = joint::collect(
            requester.net(),
            chain,
            requester.enrollments(),
            &spec,
            shape,
        )
        .await?;
        rec.submission.weights = joint::weights(shape);
        rec.submission.anchors = run.anchors.iter().map(U256::to_string).collect();
        rec.submission.inputs = inputs
            .iter()
            .map(|v| v.iter().map(U256::to_string).collect())
            .collect();
        rec.stats = Some(run);
        store.put_job(&rec)?;
    }
    if rec.state == JobState::Submitted {
        let (shape, inputs) = parse_inputs(&rec)?;
        let sub = rec.submission.clone();
        let posted = jobs::post_once(
            requester,
            chain,
            &sub,
            shape,
            &inputs,
            rec.posting_from_block,
            |block| {
                rec.posting_from_block = Some(block);
                Ok(store.put_job(&rec)?)
            },
        )
        .await?;
        let (job_id, inputs) = (posted.job_id, posted.inputs.clone());
        rec.posted = Some(posted);
        rec.state = JobState::Posted;
        store.put_job(&rec)?;
        if let (Some(spec), Some(run)) = (rec.submission.stats.clone(), rec.stats.as_mut()) {
            joint::announce(requester.net(), &spec, run, job_id, &inputs).await;
            store.put_job(&rec)?;
        }
    }
    if rec.state == JobState::Posted {
        let posted = rec
            .posted
            .clone()
            .ok_or_else(|| eyre!("job {id} is posted but has no post record"))?;
        let (outcome, confirmed) =
            jobs::settle(requester, store, &posted, rec.submission.deadline_secs).await?;
        rec.outcome = Some(jobs::summary(&outcome, &confirmed, &posted));
        if let (Some(spec), Some(run)) = (rec.submission.stats.clone(), rec.stats.as_mut()) {
            joint::unmask(
                requester.net(),
                &spec,
                run,
                (outcome.job_id, posted.shape, posted.input_commitment),
                &posted.inputs,
                &outcome.output,
            )
            .await?;
        }
        rec.state = JobState::Settled;
        store.put_job(&rec)?;
        tracing::info!(target: "requester", job_id = %outcome.job_id, worker = %outcome.worker, ask = %outcome.ask, block = confirmed.block, "job settled, confirmed, and checked against its inputs");
    }
    Ok(())
}

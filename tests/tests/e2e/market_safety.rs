//! Market safety on a real chain and real sockets: nobody locks a stake its owner did not
//! bid; the requester's node skips bidders whose free stake (read from the chain) does not
//! cover the job, expires a worker that went silent after assignment, has it slashed per
//! the contract, reassigns the job to the next bid, and every token is accounted for.

use super::{assert_reverted, config, consenting_bid, staked_worker};
use alloy::signers::local::PrivateKeySigner;
use arcanum_node::{
    chain::{JobStatus, MarketClient, bindings::ComputeMarket::ComputeMarketEvents as Ev},
    devnet::{Devnet, DevnetConfig, arc, worker_ask},
    p2p::{self, Event, Multiaddr},
    protocol::{
        Address, Bid, JobKind, JobRequest, JobResponse, JobSpec, Offer, RejectReason, U256,
        unix_now,
    },
    requester::RequesterConfig,
    zk::{Fr, shapes::SECAGG_SUM_4X8},
};
use std::time::Duration;
use tokio::task::JoinHandle;

/// Aborts its tasks when dropped, so a failing test leaves no peer running.
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// A bidder that is a real libp2p peer: it advertises `ask`, answers every bid request
/// with a validly signed bid for the job's current terms, and when it is sent a job's
/// inputs it stops (its swarm is dropped): a worker that dies after assignment.
async fn bidder_that_stops_after_assignment(
    chain: MarketClient,
    key: PrivateKeySigner,
    ask: U256,
    requester: Multiaddr,
) -> eyre::Result<Tasks> {
    let (net, mut events, event_loop) =
        p2p::new(p2p::Keypair::generate_ed25519(), Default::default())?;
    let network = tokio::spawn(event_loop.run());
    let abort = network.abort_handle();
    net.listen("/ip4/127.0.0.1/tcp/0".parse()?).await?;
    net.dial(requester).await?;
    let peer_id = net.peer_id().to_base58();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(300));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let offer = Offer {
                        peer_id: peer_id.clone(),
                        worker: key.address(),
                        kinds: vec![JobKind::SecaggSum],
                        shapes: vec![SECAGG_SUM_4X8.id],
                        min_reward: ask,
                        capacity: 1,
                        expires_at: unix_now() + 60,
                        issued_at_ms: arcanum_protocol::unix_now_ms(),
                    };
                    if let Ok(signed) = offer.sign(&key) {
                        let _ = net.publish_offer(signed).await;
                    }
                }
                event = events.recv() => match event {
                    Some(Event::JobRequest { request: JobRequest::BidRequest { job_id }, channel, .. }) => {
                        let response = match bid(&chain, &key, job_id, ask).await {
                            Some(b) => JobResponse::Bid(Box::new(b)),
                            None => JobResponse::Rejected(RejectReason::Declined("chain".into())),
                        };
                        let _ = net.respond(channel, response).await;
                    }
                    Some(Event::JobRequest { request: JobRequest::Run { .. }, .. }) => {
                        abort.abort();
                        return;
                    }
                    Some(_) => {}
                    None => return,
                },
            }
        }
    });
    Ok(Tasks(vec![network, task]))
}

async fn bid(
    chain: &MarketClient,
    key: &PrivateKeySigner,
    job_id: arcanum_node::protocol::JobId,
    ask: U256,
) -> Option<arcanum_node::protocol::SignedBid> {
    let info = chain.job(job_id).await.ok()?;
    let now = chain.chain_time().await.ok()?;
    Bid {
        job_id,
        worker: key.address(),
        attempt: info.attempts,
        ask,
        max_locked_stake: info.min_stake,
        deadline_at_least: info.deadline,
        expires_at: now + 120,
    }
    .sign(&chain.domain(), key)
    .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_can_lock_or_slash_a_stake_its_owner_did_not_bid() -> eyre::Result<()> {
    let devnet = Devnet::start(DevnetConfig {
        workers: 0,
        ..config()
    })
    .await?;
    let requester = devnet.requester.chain();
    let victim = staked_worker(&devnet, 8).await?;
    let free = victim.stake_of(victim.account()).await?.free();
    let now = requester.chain_time().await?;
    let spec = JobSpec {
        shape: SECAGG_SUM_4X8,
        input_commitment: U256::from(7u64),
        reward: U256::from(1u64),
        deadline: now + 600,
    };
    // The attack of the issue: a 1-wei job whose stake is the victim's whole free stake.
    let (job, _) = requester.post_job(&spec, free).await?;
    let attacker = devnet.signer(1);
    // A bid naming the victim but signed by the attacker...
    let forged = Bid {
        job_id: job,
        worker: victim.account(),
        attempt: 0,
        ask: U256::from(1u64),
        max_locked_stake: free,
        deadline_at_least: 0,
        expires_at: now + 300,
    };
    let mut signed = forged.clone();
    signed.worker = attacker.address();
    let mut forged_signed = signed.sign(&requester.domain(), &attacker)?;
    forged_signed.bid.worker = victim.account();
    assert_reverted(
        requester.assign_with_bid(&forged_signed).await,
        "BadBidSignature",
    );
    // ...and a real bid of the victim for another job, replayed here.
    let spec_b = JobSpec {
        reward: arc(1),
        ..spec.clone()
    };
    let (other, _) = requester.post_job(&spec_b, free).await?;
    let real = consenting_bid(requester, &devnet.signer(8), other, arc(1)).await?;
    let mut replayed = real.clone();
    replayed.bid.job_id = job;
    replayed.bid.ask = U256::from(1u64);
    assert_reverted(
        requester.assign_with_bid(&replayed).await,
        "BadBidSignature",
    );
    // A bid of the victim's for this job that caps the stake it lets lock below the job's.
    let mut capped = real.bid.clone();
    capped.job_id = job;
    capped.ask = U256::from(1u64);
    capped.max_locked_stake = arc(100);
    let capped = capped.sign(&requester.domain(), &devnet.signer(8))?;
    assert_reverted(requester.assign_with_bid(&capped).await, "StakeAboveBid");
    // Nothing was locked; expire cannot touch an open job; the victim keeps everything.
    assert_reverted(requester.expire(job).await, "WrongStatus");
    let stake = victim.stake_of(victim.account()).await?;
    assert_eq!((stake.staked, stake.locked), (free, U256::ZERO));
    assert_eq!(requester.job(job).await?.status, JobStatus::Open);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unstaked_bidder_is_skipped_and_a_worker_that_stops_is_expired_slashed_and_replaced()
-> eyre::Result<()> {
    use alloy::providers::Provider;
    let mut devnet = Devnet::start(DevnetConfig {
        workers: 1,
        ..config()
    })
    .await?;
    let owner = devnet.owner.clone();
    let treasury = owner.account();
    // A posting fee of 1 %, half of a slash nominally to the requester.
    owner.set_parameters(arc(100), 100, 5_000, treasury).await?;

    // The cheapest bidder holds no stake; the next cheapest is staked but dies once
    // assigned; the devnet's worker asks 10 ARC.
    let unstaked_key = devnet.signer(8);
    let unstaked = owner.with_signer(unstaked_key.clone()).await?;
    let silent = staked_worker(&devnet, 9).await?;
    let silent_key = devnet.signer(9);
    let requester_addr = devnet.requester_addr.clone();
    let _unstaked_peer = bidder_that_stops_after_assignment(
        unstaked.clone(),
        unstaked_key,
        U256::from(1u64),
        requester_addr.clone(),
    )
    .await?;
    let _silent_peer = bidder_that_stops_after_assignment(
        silent.clone(),
        silent_key,
        U256::from(2u64),
        requester_addr,
    )
    .await?;
    let heard = devnet
        .requester
        .wait_for_offers(3, Duration::from_secs(30))
        .await;
    assert_eq!(heard, 3, "three bidders advertised");

    let start_block = owner.provider().get_block_number().await?;
    let supply_before = owner.total_supply().await?;
    devnet.requester.set_config(RequesterConfig {
        max_attempts: 3,
        bid_timeout: Duration::from_secs(10),
        max_bid_requests: 16,
        offer_wait: Duration::from_secs(30),
        patience: Duration::from_secs(60),
    });
    let inputs: Vec<Vec<Fr>> = (0..4u64)
        .map(|i| (0..8u64).map(|j| Fr::from(i * 8 + j)).collect())
        .collect();
    let reward = arc(25);
    let outcome = devnet
        .requester
        .run_job(
            SECAGG_SUM_4X8,
            &inputs,
            &[],
            reward,
            Duration::from_secs(20),
            arc(100),
        )
        .await?;

    // The job went to the silent worker first, then to the devnet's worker.
    let honest = devnet.workers[0].address;
    assert_eq!(outcome.worker, honest);
    assert_eq!(outcome.ask, worker_ask(0));
    assert_eq!(
        outcome.failed_attempts.len(),
        1,
        "{:?}",
        outcome.failed_attempts
    );
    assert!(
        outcome.failed_attempts[0].contains(&silent.account().to_string()),
        "{:?}",
        outcome.failed_attempts
    );
    let end_block = owner.provider().get_block_number().await?;
    let story: Vec<(String, Address)> = owner
        .market_events(start_block, end_block)
        .await?
        .into_iter()
        .filter_map(|(_, e)| match e {
            Ev::JobAssigned(a) => Some(("assigned".to_string(), a.worker)),
            Ev::JobExpired(x) => Some(("expired".to_string(), x.worker)),
            Ev::JobCompleted(c) => Some(("completed".to_string(), c.worker)),
            _ => None,
        })
        .collect();
    let s = silent.account();
    assert_eq!(
        story,
        vec![
            ("assigned".into(), s),
            ("expired".into(), s),
            ("assigned".into(), honest),
            ("completed".into(), honest),
        ],
        "the unstaked bidder was never assigned"
    );

    // Slashed per the contract: the locked 100 ARC, of which the requester gets at most its
    // posting fee (0.25 ARC), the treasury the rest.
    let fee = reward / U256::from(100u64);
    let stake = silent.stake_of(s).await?;
    assert_eq!((stake.staked, stake.locked), (arc(400), U256::ZERO));
    // Requester: refund of the first ask, plus the fee back from the slash, minus the
    // top-up of the second (higher) ask.
    let requester = devnet.requester.chain();
    assert_eq!(
        owner.credit_of(requester.account()).await?,
        reward - U256::from(2u64) + fee - (worker_ask(0) - U256::from(2u64))
    );
    assert_eq!(owner.credit_of(treasury).await?, fee + arc(100) - fee);
    assert_eq!(owner.credit_of(honest).await?, worker_ask(0));
    assert_eq!(owner.credit_of(unstaked.account()).await?, U256::ZERO);

    // Every token is where the contract says: the market holds exactly the stakes and
    // credits of these accounts, and the supply is held by known accounts and contracts.
    let accounts: Vec<Address> = (0..10).map(|i| devnet.signer(i).address()).collect();
    let market = owner.deployment().market;
    let mut in_market = U256::ZERO;
    let mut held = U256::ZERO;
    for a in &accounts {
        let st = owner.stake_of(*a).await?;
        in_market += st.staked + st.unbonding + owner.credit_of(*a).await?;
        held += owner.balance_of(*a).await?;
    }
    assert_eq!(owner.balance_of(market).await?, in_market);
    let oracle = owner.balance_of(owner.deployment().data_oracle).await?;
    assert_eq!(held + in_market + oracle, owner.total_supply().await?);
    assert_eq!(
        owner.total_supply().await?,
        supply_before,
        "nothing minted or burnt"
    );
    assert_eq!(
        requester.job(outcome.job_id).await?.status,
        JobStatus::Completed
    );
    Ok(())
}

//! Two real swarms on loopback TCP: offers over gossipsub (valid ones delivered, forged
//! ones dropped in the event loop) and a job request-response round trip.

use alloy_signer_local::PrivateKeySigner;
use arcanum_p2p::{Client, Event, Keypair, NetworkConfig};
use arcanum_protocol::{
    JobId, JobKind, JobRequest, JobResponse, Offer, RejectReason, ShapeId, SignedOffer, U256,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc::Receiver;

async fn node() -> (Client, Receiver<Event>) {
    let (client, events, event_loop) =
        arcanum_p2p::new(Keypair::generate_ed25519(), NetworkConfig::default()).expect("swarm");
    tokio::spawn(event_loop.run());
    (client, events)
}

fn offer(peer: &str, key: &PrivateKeySigner) -> SignedOffer {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    Offer {
        peer_id: peer.to_string(),
        worker: key.address(),
        kinds: vec![JobKind::SecaggSum],
        shapes: vec![ShapeId(1)],
        min_reward: U256::from(5u64),
        capacity: 1,
        expires_at: now + 60,
        issued_at_ms: now * 1000,
    }
    .sign(key)
    .expect("sign")
}

/// Publishes until gossipsub has a subscribed peer to send to.
async fn publish(client: &Client, offer: SignedOffer) {
    for _ in 0..100 {
        if client.publish_offer(offer.clone()).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no gossipsub peer after 10s");
}

async fn next_offer(events: &mut Receiver<Event>, within: Duration) -> Option<SignedOffer> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(Event::Offer { offer })) => return Some(offer),
            Ok(Some(_)) => continue,
            _ => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_are_verified_and_jobs_round_trip() {
    let (requester, mut requester_events) = node().await;
    let (worker, mut worker_events) = node().await;
    let addr = requester
        .listen("/ip4/127.0.0.1/tcp/0".parse().expect("addr"))
        .await
        .expect("listen");
    let _ = worker
        .listen("/ip4/127.0.0.1/tcp/0".parse().expect("addr"))
        .await
        .expect("listen");
    assert_eq!(worker.dial(addr).await.expect("dial"), requester.peer_id());

    let key = PrivateKeySigner::random();
    let me = worker.peer_id().to_base58();

    // A valid offer arrives.
    publish(&worker, offer(&me, &key)).await;
    let got = next_offer(&mut requester_events, Duration::from_secs(10))
        .await
        .expect("valid offer");
    // An offer naming another peer (a worker trying to advertise for someone else, or a
    // relayed copy altered on the way) is dropped, as is one with a forged signature.
    publish(&worker, offer(&requester.peer_id().to_base58(), &key)).await;
    let mut forged = offer(&me, &key);
    forged.offer.min_reward = U256::from(1u64);
    publish(&worker, forged).await;
    assert_eq!(got.offer.peer_id, me);
    assert_eq!(got.offer.min_reward, U256::from(5u64));
    assert!(
        next_offer(&mut requester_events, Duration::from_secs(2))
            .await
            .is_none()
    );

    // Request-response: the worker answers a job request. (The test keeps a client alive:
    // the event loop stops, dropping unsent responses, once every client is gone.)
    let worker_keepalive = worker.clone();
    let answer = tokio::spawn(async move {
        loop {
            match worker_events.recv().await {
                Some(Event::JobRequest {
                    request, channel, ..
                }) => {
                    let JobRequest::Run { inputs, .. } = request else {
                        panic!("expected a run request, got {request:?}");
                    };
                    assert_eq!(inputs, vec![vec![U256::from(7u64); 2]; 3]);
                    worker
                        .respond(channel, JobResponse::Rejected(RejectReason::NotAssigned))
                        .await
                        .expect("respond");
                    return;
                }
                Some(_) => continue,
                None => panic!("worker stopped"),
            }
        }
    });
    let request = JobRequest::Run {
        job_id: JobId::from(1),
        shape: arcanum_protocol::Shape {
            id: ShapeId(1),
            kind: JobKind::SecaggSum,
            contributors: 3,
            dims: 2,
        },
        inputs: vec![vec![U256::from(7u64); 2]; 3],
        weights: vec![],
        anchors: vec![],
    };
    let response = requester
        .request(got.offer.peer_id.parse().expect("peer"), request)
        .await
        .expect("response");
    assert_eq!(response, JobResponse::Rejected(RejectReason::NotAssigned));
    answer.await.expect("worker task");
    drop(worker_keepalive);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialing_nothing_is_a_clear_error() {
    let (client, _events) = node().await;
    let err = client
        .dial("/ip4/127.0.0.1/tcp/1".parse().expect("addr"))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("is the peer running"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_of_several_mebibytes_travels_and_one_over_the_limit_is_refused() {
    let (requester, _requester_events) = node().await;
    let (worker, mut worker_events) = node().await;
    let addr = requester
        .listen("/ip4/127.0.0.1/tcp/0".parse().expect("addr"))
        .await
        .expect("listen");
    worker.dial(addr).await.expect("dial");
    let worker_keepalive = worker.clone();
    let answer = tokio::spawn(async move {
        let mut sizes = Vec::new();
        while let Some(event) = worker_events.recv().await {
            if let Event::JobRequest {
                request, channel, ..
            } = event
            {
                let JobRequest::Run { inputs, .. } = request else {
                    panic!("expected a run request");
                };
                sizes.push(inputs.iter().map(Vec::len).sum::<usize>());
                worker
                    .respond(channel, JobResponse::Rejected(RejectReason::NotAssigned))
                    .await
                    .expect("respond");
                return sizes;
            }
        }
        sizes
    });
    let run = |words: usize| JobRequest::Run {
        job_id: JobId::from(1),
        shape: arcanum_protocol::Shape {
            id: ShapeId(3),
            kind: JobKind::SecaggSum,
            contributors: 16,
            dims: 64,
        },
        // Large field elements, so each encodes at full width.
        inputs: vec![vec![U256::MAX >> 4; words / 16]; 16],
        weights: vec![],
        anchors: vec![],
    };
    let worker_peer = worker_keepalive.peer_id();
    // Over the limit (about 40 MiB): refused by the codec, an error, not a hang.
    let err = requester
        .request(worker_peer, run(1_000_000))
        .await
        .expect_err("over the size limit");
    assert!(!err.to_string().is_empty());
    // ~120 chunks of the widest shape (122,880 words, several MiB) travels.
    let response = requester
        .request(worker_peer, run(122_880))
        .await
        .expect("a job of the contract's maximum size travels");
    assert_eq!(response, JobResponse::Rejected(RejectReason::NotAssigned));
    assert_eq!(answer.await.expect("worker task"), vec![122_880]);
    drop(worker_keepalive);
}

async fn listening(config: NetworkConfig) -> (Client, Receiver<Event>, arcanum_p2p::Multiaddr) {
    let (client, events, event_loop) =
        arcanum_p2p::new(Keypair::generate_ed25519(), config).expect("swarm");
    tokio::spawn(event_loop.run());
    let addr = client
        .listen("/ip4/127.0.0.1/tcp/0".parse().expect("addr"))
        .await
        .expect("listen");
    (client, events, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_over_its_request_rate_is_answered_rate_limited_without_reaching_the_worker() {
    // 8 a minute: a burst of 2, then one every 7.5 s.
    let config = NetworkConfig {
        requests_per_minute: 8,
        ..NetworkConfig::default()
    };
    let (worker, mut worker_events, addr) = listening(config).await;
    let (requester, _events) = node().await;
    requester.dial(addr).await.expect("dial");
    let keep = worker.clone();
    let reached = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = reached.clone();
    tokio::spawn(async move {
        while let Some(event) = worker_events.recv().await {
            if let Event::JobRequest { channel, .. } = event {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = keep
                    .respond(
                        channel,
                        JobResponse::Rejected(RejectReason::Declined("busy".into())),
                    )
                    .await;
            }
        }
    });
    let mut limited = 0;
    for i in 0..10u64 {
        let response = requester
            .request(
                worker.peer_id(),
                JobRequest::BidRequest {
                    job_id: JobId::from(i),
                },
            )
            .await
            .expect("response");
        match response {
            JobResponse::Rejected(RejectReason::RateLimited(retry)) => {
                assert!((1..=8).contains(&retry), "retry after {retry}s");
                limited += 1;
            }
            JobResponse::Rejected(RejectReason::Declined(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(limited, 8, "two requests in the burst, the rest limited");
    assert_eq!(reached.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_offers_lower_their_senders_gossip_score() {
    let (requester, _requester_events, addr) = listening(NetworkConfig::default()).await;
    let (liar, _liar_events) = node().await;
    liar.dial(addr).await.expect("dial");
    let key = PrivateKeySigner::random();
    let me = liar.peer_id().to_base58();
    // Offers with a forged signature, each a new message.
    for i in 0..5u64 {
        let mut forged = offer(&me, &key);
        forged.offer.min_reward = U256::from(100 + i);
        publish(&liar, forged).await;
    }
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let score = requester.peer_score(liar.peer_id()).await.expect("score");
        if score.is_some_and(|s| s < -80.0) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < until,
            "score of a peer sending invalid offers: {score:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_that_share_one_bootstrap_peer_find_and_dial_each_other() {
    let (hub, _hub_events, hub_addr) = listening(NetworkConfig::default()).await;
    let (a, _a_events, _) = listening(NetworkConfig::default()).await;
    let (b, _b_events, _) = listening(NetworkConfig::default()).await;
    a.dial(hub_addr.clone()).await.expect("dial hub");
    b.dial(hub_addr).await.expect("dial hub");
    // Nobody told a about b: Kademlia (fed by identify) does.
    let until = tokio::time::Instant::now() + Duration::from_secs(20);
    while a.peers().await.expect("peers") < 2 || b.peers().await.expect("peers") < 2 {
        assert!(
            tokio::time::Instant::now() < until,
            "a has {} peers, b {}",
            a.peers().await.expect("peers"),
            b.peers().await.expect("peers")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(hub.peers().await.expect("peers"), 2);
}

/// A peer that dials another's `/p2p/`-qualified address many times at once (what every
/// "dial, then request" does) reuses the connection it has or is opening: every dial
/// succeeds and every request is answered (a fresh connection per dial ran into the
/// per-peer connection limit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_dials_reuse_the_connection_and_every_request_is_answered() {
    let (a, _a_events) = node().await;
    let (b, mut b_events) = node().await;
    let b_addr = b
        .listen("/ip4/127.0.0.1/tcp/0".parse().expect("addr"))
        .await
        .expect("listen");
    // `listen` returns the address with its `/p2p/<peer id>`.
    assert!(matches!(
        b_addr.iter().last(),
        Some(libp2p::multiaddr::Protocol::P2p(_))
    ));
    let responder = b.clone();
    let answering = tokio::spawn(async move {
        while let Some(event) = b_events.recv().await {
            if let Event::JobRequest { channel, .. } = event {
                let _ = responder.respond(channel, JobResponse::Ack).await;
            }
        }
    });
    for wave in 0..2 {
        let rounds = (0..16).map(|_| {
            let (a, addr) = (a.clone(), b_addr.clone());
            async move {
                let peer = a.dial(addr).await.expect("dial");
                a.request(peer, JobRequest::ClerkAd).await
            }
        });
        for answer in futures::future::join_all(rounds).await {
            assert!(
                matches!(answer, Ok(JobResponse::Ack)),
                "wave {wave}: {answer:?}"
            );
        }
    }
    answering.abort();
}

/// How many offers `client` holds, waiting up to 10 s for `want`.
async fn wait_for_offers(client: &Client, want: usize) -> usize {
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let held = client.offers().len(arcanum_protocol::unix_now());
        if held >= want || tokio::time::Instant::now() > until {
            return held;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A node that connects is handed the live offers its peer holds, without waiting for
/// gossip: a worker's own (published before anyone listened) to the hub it dials, and
/// from the hub to a node that joins later and dials only the hub. A forged offer in a
/// peer's table is refused and counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_joins_late_is_handed_the_live_offers_on_connecting() {
    let quiet = NetworkConfig {
        kademlia: false,
        ..NetworkConfig::default()
    };
    let (hub, _hub_events, hub_addr) = listening(quiet.clone()).await;
    let (worker, _worker_events, _) = listening(quiet.clone()).await;
    let key = PrivateKeySigner::random();
    let signed = offer(&worker.peer_id().to_base58(), &key);
    // No peer yet: gossip fails, the worker's table keeps it.
    assert!(worker.publish_offer(signed.clone()).await.is_err());
    let mut forged = offer(&worker.peer_id().to_base58(), &PrivateKeySigner::random());
    forged.offer.min_reward = U256::from(1u64);
    let _ = worker.publish_offer(forged).await;
    assert_eq!(worker.offers().len(arcanum_protocol::unix_now()), 2);

    worker.dial(hub_addr.clone()).await.expect("dial hub");
    assert_eq!(wait_for_offers(&hub, 1).await, 1);
    assert_eq!(hub.offers().peer_of(key.address()), Some(worker.peer_id()));
    let metrics = hub.metrics().await.expect("metrics");
    assert!(
        metrics.contains("arcanum_p2p_offers_synced_total 1\n")
            && metrics.contains("arcanum_p2p_offers_rejected_total 1\n"),
        "{metrics}"
    );

    let (late, _late_events, _) = listening(quiet).await;
    late.dial(hub_addr).await.expect("dial hub");
    assert_eq!(wait_for_offers(&late, 1).await, 1, "relayed by the hub");
    assert_eq!(late.offers().live(0)[0], signed);
    assert_eq!(
        late.peers().await.expect("peers"),
        1,
        "never met the worker"
    );
}

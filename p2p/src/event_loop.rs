use crate::{
    Error, Result,
    behaviour::{Behaviour, BehaviourEvent, CALLS_TOPIC, OFFERS_TOPIC},
    client::{Client, Command, Event},
    offers::OfferTable,
};
use arcanum_protocol::{JobRequest, JobResponse, MAX_OFFERS_SYNCED, SignedOffer};
use futures::StreamExt;
use libp2p::{
    Multiaddr, PeerId, Swarm, SwarmBuilder,
    core::transport::ListenerId,
    gossipsub, identify,
    identity::Keypair,
    kad, mdns,
    multiaddr::Protocol,
    noise,
    request_response::{self, OutboundRequestId},
    swarm::{
        DialError, SwarmEvent,
        dial_opts::{DialOpts, PeerCondition},
    },
    tcp, yamux,
};
use prometheus_client::{
    metrics::{counter::Counter, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};
use tokio::sync::{mpsc, oneshot};

/// Network settings.
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    /// How long a job request may take, proving included.
    pub request_timeout: Duration,
    /// Capacity of the command queue (client -> event loop).
    pub command_queue: usize,
    /// Capacity of the event queue (event loop -> application). When it is full, offers are
    /// dropped (workers re-advertise) and job requests are dropped (the requester times out
    /// and retries elsewhere); both are logged.
    pub event_queue: usize,
    /// Idle connections are closed after this long.
    pub idle_timeout: Duration,
    /// Kademlia peer routing: peers learnt from bootstrap peers' tables are dialled, so a
    /// node needs one bootstrap peer, not a full list.
    pub kademlia: bool,
    /// mDNS discovery of peers on the local network (devnets; off by default elsewhere).
    pub mdns: bool,
    /// Most connections established at once (inbound and outbound); per peer at most 2.
    pub max_connections: u32,
    /// Job requests a peer may send per minute (a burst of a quarter of it at once); the
    /// rest are answered `RateLimited` without reaching the application.
    pub requests_per_minute: u32,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(300),
            command_queue: 64,
            event_queue: 256,
            idle_timeout: Duration::from_secs(120),
            kademlia: true,
            mdns: false,
            max_connections: 128,
            requests_per_minute: 600,
        }
    }
}

/// Owns the swarm; run it on its own task with [`EventLoop::run`].
pub struct EventLoop {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<Event>,
    pending_listen: HashMap<ListenerId, (Multiaddr, oneshot::Sender<Result<Multiaddr>>)>,
    pending_dial: Vec<(
        Multiaddr,
        oneshot::Sender<Result<PeerId>>,
        libp2p::swarm::ConnectionId,
    )>,
    /// Dials that found a dial to their peer in flight, answered when it ends.
    pending_peer_dial: Vec<(PeerId, Multiaddr, oneshot::Sender<Result<PeerId>>)>,
    pending_requests: HashMap<OutboundRequestId, (PeerId, oneshot::Sender<Result<JobResponse>>)>,
    /// Per-peer token buckets of inbound job requests.
    buckets: HashMap<PeerId, Bucket>,
    requests_per_minute: u32,
    max_connections: u32,
    /// The live offers verified, served to peers that ask when a connection opens.
    offers: Arc<OfferTable>,
    /// Offer requests sent to peers that just connected.
    pending_syncs: HashSet<OutboundRequestId>,
    /// Peers whose offer request was answered while connected (one each).
    offers_served: HashSet<PeerId>,
    registry: Registry,
    metrics: OfferMetrics,
}

/// Upper bounds (seconds) of the offer-delay histogram's buckets.
pub const OFFER_DELAY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0,
];

/// What the node counts of offers, in its Prometheus registry.
#[derive(Clone, Debug)]
struct OfferMetrics {
    /// From the worker's signature to this node's verification, of offers arriving by
    /// gossip (on one machine's clock; across machines it includes their clock skew).
    delay: Histogram,
    /// Offers from gossip kept (new, or newer than the one held).
    received: Counter,
    /// Offers handed over by peers when a connection opened, kept.
    synced: Counter,
    /// Offers refused (undecodable, forged, expired, naming another peer).
    rejected: Counter,
    /// Offers held now (set when the metrics are read).
    live: Gauge,
}

impl OfferMetrics {
    fn register(registry: &mut Registry) -> Self {
        let m = Self {
            delay: Histogram::new(OFFER_DELAY_BUCKETS),
            received: Counter::default(),
            synced: Counter::default(),
            rejected: Counter::default(),
            live: Gauge::default(),
        };
        let r = registry.sub_registry_with_prefix("arcanum_p2p");
        r.register(
            "offer_delay_seconds",
            "Seconds from an offer's issue to its verification here, by gossip",
            m.delay.clone(),
        );
        r.register(
            "offers_received",
            "Offers from gossip kept (new or newer)",
            m.received.clone(),
        );
        r.register(
            "offers_synced",
            "Offers handed over by peers on connecting, kept",
            m.synced.clone(),
        );
        r.register(
            "offers_rejected",
            "Offers refused (forged, expired, malformed, wrong peer)",
            m.rejected.clone(),
        );
        r.register("offers_live", "Live offers held", m.live.clone());
        m
    }
}

/// A token bucket: `capacity` tokens, refilled at `per_minute` a minute.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: std::time::Instant,
}

impl Bucket {
    /// Takes a token if there is one; else the seconds until there is.
    fn take(&mut self, per_minute: u32) -> std::result::Result<(), u64> {
        let capacity = f64::from((per_minute / 4).max(1));
        let rate = f64::from(per_minute) / 60.0;
        let now = std::time::Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * rate).min(capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - self.tokens) / rate).ceil() as u64)
        }
    }
}

/// Builds the swarm and returns its client, the application's event stream and the event
/// loop to spawn.
pub fn new(
    key: Keypair,
    config: NetworkConfig,
) -> Result<(Client, mpsc::Receiver<Event>, EventLoop)> {
    let peer_id = key.public().to_peer_id();
    let behaviour_config = config.clone();
    let mut registry = Registry::default();
    let metrics = OfferMetrics::register(&mut registry);
    let swarm = SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| Error::Build(e.to_string()))?
        .with_quic()
        // `libp2p_bandwidth_bytes_total{protocols, direction}`.
        .with_bandwidth_metrics(&mut registry)
        .with_behaviour(|key| {
            let gossip = registry.sub_registry_with_prefix("libp2p_gossipsub");
            Behaviour::new(key, &behaviour_config, gossip)
        })
        .map_err(|e| Error::Build(e.to_string()))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_timeout))
        .build();
    let offers = Arc::new(OfferTable::default());
    let (cmd_tx, cmd_rx) = mpsc::channel(config.command_queue);
    let (ev_tx, ev_rx) = mpsc::channel(config.event_queue);
    let event_loop = EventLoop {
        swarm,
        commands: cmd_rx,
        events: ev_tx,
        pending_listen: HashMap::new(),
        pending_dial: Vec::new(),
        pending_peer_dial: Vec::new(),
        pending_requests: HashMap::new(),
        buckets: HashMap::new(),
        requests_per_minute: config.requests_per_minute,
        max_connections: config.max_connections,
        offers: offers.clone(),
        pending_syncs: HashSet::new(),
        offers_served: HashSet::new(),
        registry,
        metrics,
    };
    Ok((
        Client {
            tx: cmd_tx,
            peer_id,
            offers,
        },
        ev_rx,
        event_loop,
    ))
}

impl EventLoop {
    /// Runs until every [`Client`] is dropped.
    pub async fn run(mut self) {
        // Kademlia: look for peers soon after start, then every 30 s (a random walk keeps
        // the routing table fresh as peers come and go).
        let mut discover = tokio::time::interval_at(
            tokio::time::Instant::now() + Duration::from_secs(2),
            Duration::from_secs(30),
        );
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                _ = discover.tick() => {
                    if let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() {
                        let _ = kad.bootstrap();
                    }
                    // Forget rate-limit state of peers that went away.
                    let connected: std::collections::HashSet<PeerId> = self.swarm.connected_peers().copied().collect();
                    self.buckets.retain(|p, _| connected.contains(p));
                }
                command = self.commands.recv() => match command {
                    Some(c) => self.on_command(c),
                    None => {
                        tracing::debug!(target: "net", "all clients dropped; stopping event loop");
                        return;
                    }
                },
            }
        }
    }

    /// Removes and returns the dials waiting on a dial to `peer` in flight.
    fn take_peer_dials(
        &mut self,
        peer: PeerId,
    ) -> Vec<(PeerId, Multiaddr, oneshot::Sender<Result<PeerId>>)> {
        let (done, waiting) = std::mem::take(&mut self.pending_peer_dial)
            .into_iter()
            .partition(|(p, _, _)| *p == peer);
        self.pending_peer_dial = waiting;
        done
    }

    fn emit(&self, event: Event) {
        if let Err(e) = self.events.try_send(event) {
            tracing::warn!(target: "net", "event queue full or closed; dropping event: {e}");
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Peers { reply } => {
                let _ = reply.send(Ok(self.swarm.connected_peers().count()));
            }
            Command::PeerScore { peer, reply } => {
                let _ = reply.send(Ok(self.swarm.behaviour().gossipsub.peer_score(&peer)));
            }
            Command::Metrics { reply } => {
                let now = arcanum_protocol::unix_now();
                self.metrics.live.set(self.offers.len(now) as i64);
                let mut text = String::new();
                let result = prometheus_client::encoding::text::encode(&mut text, &self.registry)
                    .map(|()| text)
                    .map_err(|e| Error::Build(format!("encoding metrics: {e}")));
                let _ = reply.send(result);
            }
            Command::Listen { addr, reply } => match self.swarm.listen_on(addr.clone()) {
                Ok(id) => {
                    self.pending_listen.insert(id, (addr, reply));
                }
                Err(e) => {
                    let _ = reply.send(Err(Error::Listen {
                        addr: addr.to_string(),
                        detail: e.to_string(),
                    }));
                }
            },
            Command::Dial { addr, reply } => {
                // An address naming its peer is dialled only when not connected already:
                // a second connection per request would hit the per-peer limit, and two
                // peers dialling each other at once would close requests in flight.
                let peer = match addr.iter().last() {
                    Some(libp2p::multiaddr::Protocol::P2p(peer)) => Some(peer),
                    _ => None,
                };
                let opts = match peer {
                    Some(peer) => DialOpts::peer_id(peer)
                        .condition(PeerCondition::DisconnectedAndNotDialing)
                        .addresses(vec![addr.clone()])
                        .build(),
                    None => DialOpts::unknown_peer_id().address(addr.clone()).build(),
                };
                let id = opts.connection_id();
                match self.swarm.dial(opts) {
                    Ok(()) => self.pending_dial.push((addr, reply, id)),
                    Err(DialError::DialPeerConditionFalse(_)) => match peer {
                        Some(peer) if self.swarm.is_connected(&peer) => {
                            let _ = reply.send(Ok(peer));
                        }
                        // Being dialled already: answered when that dial ends.
                        Some(peer) => self.pending_peer_dial.push((peer, addr, reply)),
                        None => {}
                    },
                    Err(e) => {
                        let _ = reply.send(Err(Error::Dial {
                            addr: addr.to_string(),
                            detail: e.to_string(),
                        }));
                    }
                }
            }
            Command::Publish { offer, reply } => {
                // Its own offer too is handed to peers that connect later.
                self.offers
                    .insert((*offer).clone(), arcanum_protocol::unix_now());
                let topic = gossipsub::IdentTopic::new(OFFERS_TOPIC);
                let result = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .publish(topic, offer.to_bytes())
                    .map(|_| ())
                    .map_err(|e| Error::Publish(e.to_string()));
                let _ = reply.send(result);
            }
            Command::PublishCall { call, reply } => {
                let topic = gossipsub::IdentTopic::new(CALLS_TOPIC);
                let result = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .publish(topic, call.to_bytes())
                    .map(|_| ())
                    .map_err(|e| Error::Publish(e.to_string()));
                let _ = reply.send(result);
            }
            Command::Request {
                peer,
                request,
                reply,
            } => {
                let id = self
                    .swarm
                    .behaviour_mut()
                    .jobs
                    .send_request(&peer, *request);
                self.pending_requests.insert(id, (peer, reply));
            }
            Command::Respond {
                channel,
                response,
                reply,
            } => {
                let result = self
                    .swarm
                    .behaviour_mut()
                    .jobs
                    .send_response(channel, *response)
                    .map_err(|_| Error::Respond);
                let _ = reply.send(result);
            }
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr {
                listener_id,
                address,
            } => {
                tracing::info!(target: "net", %address, "listening");
                if let Some((_, reply)) = self.pending_listen.remove(&listener_id) {
                    let full = address.with(Protocol::P2p(*self.swarm.local_peer_id()));
                    let _ = reply.send(Ok(full));
                }
            }
            SwarmEvent::ListenerError { listener_id, error } => {
                if let Some((addr, reply)) = self.pending_listen.remove(&listener_id) {
                    let _ = reply.send(Err(Error::Listen {
                        addr: addr.to_string(),
                        detail: error.to_string(),
                    }));
                }
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                reason,
                ..
            } => {
                if let Some((addr, reply)) = self.pending_listen.remove(&listener_id) {
                    let detail = format!("listener closed: {reason:?}");
                    let _ = reply.send(Err(Error::Listen {
                        addr: addr.to_string(),
                        detail,
                    }));
                }
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                num_established,
                ..
            } => {
                tracing::debug!(target: "net", %peer_id, "connected");
                if num_established.get() == 1 {
                    // A new peer: ask for the offers it holds, so a node that joins late
                    // need not wait for every worker's next advertisement.
                    let id = self
                        .swarm
                        .behaviour_mut()
                        .jobs
                        .send_request(&peer_id, JobRequest::Offers);
                    self.pending_syncs.insert(id);
                }
                if let Some(pos) = self
                    .pending_dial
                    .iter()
                    .position(|(_, _, id)| *id == connection_id)
                {
                    let (_, reply, _) = self.pending_dial.swap_remove(pos);
                    let _ = reply.send(Ok(peer_id));
                }
                for (_, _, reply) in self.take_peer_dials(peer_id) {
                    let _ = reply.send(Ok(peer_id));
                }
                self.emit(Event::Connected { peer: peer_id });
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.offers_served.remove(&peer_id);
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                peer_id,
                error,
            } => {
                // Two peers dialling each other at once: one of the two connections may be
                // refused while the other stands; the dial then succeeded all the same.
                let connected = peer_id.filter(|p| self.swarm.is_connected(p));
                let answer = |addr: &Multiaddr| match connected {
                    Some(peer) => Ok(peer),
                    None => Err(Error::Dial {
                        addr: addr.to_string(),
                        detail: error.to_string(),
                    }),
                };
                for (_, addr, reply) in peer_id.map(|p| self.take_peer_dials(p)).unwrap_or_default()
                {
                    let _ = reply.send(answer(&addr));
                }
                if let Some(pos) = self
                    .pending_dial
                    .iter()
                    .position(|(_, _, id)| *id == connection_id)
                {
                    let (addr, reply, _) = self.pending_dial.swap_remove(pos);
                    let _ = reply.send(answer(&addr));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => {
                let verdict = if message.topic == gossipsub::IdentTopic::new(CALLS_TOPIC).hash() {
                    match check_call(message.source, &message.data) {
                        Ok(call) => {
                            self.emit(Event::Call {
                                call: Box::new(call),
                            });
                            gossipsub::MessageAcceptance::Accept
                        }
                        // A call that closed on the way is stale, not hostile.
                        Err(e) if e.contains("closed at") => {
                            tracing::debug!(target: "net::calls", peer = %propagation_source, "ignoring call: {e}");
                            gossipsub::MessageAcceptance::Ignore
                        }
                        Err(e) => {
                            tracing::warn!(target: "net::calls", peer = %propagation_source, "rejecting call: {e}");
                            gossipsub::MessageAcceptance::Reject
                        }
                    }
                } else {
                    match self.check_offer(message.source, &message.data) {
                        Ok(offer) => {
                            let delay = arcanum_protocol::unix_now_ms()
                                .saturating_sub(offer.offer.issued_at_ms);
                            if self
                                .offers
                                .insert(offer.clone(), arcanum_protocol::unix_now())
                            {
                                self.metrics.received.inc();
                                self.metrics.delay.observe(delay as f64 / 1000.0);
                                self.emit(Event::Offer { offer });
                            }
                            gossipsub::MessageAcceptance::Accept
                        }
                        Err(e) => {
                            self.metrics.rejected.inc();
                            tracing::warn!(target: "net::offers", peer = %propagation_source, "rejecting offer: {e}");
                            gossipsub::MessageAcceptance::Reject
                        }
                    }
                };
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&message_id, &propagation_source, verdict);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Jobs(request_response::Event::Message {
                peer,
                message,
                ..
            })) => match message {
                request_response::Message::Request {
                    request: JobRequest::Offers,
                    channel,
                    ..
                } => {
                    // Outside the job requests' budget: once per connected peer.
                    let response = if self.offers_served.insert(peer) {
                        let mut offers = self.offers.live(arcanum_protocol::unix_now());
                        offers.truncate(MAX_OFFERS_SYNCED);
                        JobResponse::Offers(offers)
                    } else {
                        JobResponse::Rejected(arcanum_protocol::RejectReason::RateLimited(60))
                    };
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .jobs
                        .send_response(channel, response);
                }
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let per_minute = self.requests_per_minute;
                    let bucket = self.buckets.entry(peer).or_insert_with(|| Bucket {
                        tokens: f64::from((per_minute / 4).max(1)),
                        at: std::time::Instant::now(),
                    });
                    match bucket.take(per_minute) {
                        Ok(()) => self.emit(Event::JobRequest {
                            from: peer,
                            request,
                            channel,
                        }),
                        Err(retry) => {
                            tracing::debug!(target: "net::jobs", %peer, retry, "rate limited");
                            let _ = self.swarm.behaviour_mut().jobs.send_response(
                                channel,
                                JobResponse::Rejected(arcanum_protocol::RejectReason::RateLimited(
                                    retry,
                                )),
                            );
                        }
                    }
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if self.pending_syncs.remove(&request_id) {
                        self.on_offers_synced(peer, response);
                    } else if let Some((_, reply)) = self.pending_requests.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            SwarmEvent::Behaviour(BehaviourEvent::Jobs(
                request_response::Event::OutboundFailure {
                    request_id,
                    error,
                    peer,
                    ..
                },
            )) => {
                if self.pending_syncs.remove(&request_id) {
                    tracing::debug!(target: "net::offers", %peer, "peer did not hand over its offers: {error}");
                } else if let Some((_, reply)) = self.pending_requests.remove(&request_id) {
                    let _ = reply.send(Err(Error::Request {
                        peer: peer.to_string(),
                        detail: error.to_string(),
                    }));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Jobs(
                request_response::Event::InboundFailure { peer, error, .. },
            )) => {
                tracing::warn!(target: "net::jobs", %peer, "inbound job request failed: {error}");
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                // Peers speaking Arcanum's DHT go into the routing table at the addresses
                // they listen on.
                let kad_protocol = libp2p::StreamProtocol::new(crate::behaviour::KAD_PROTOCOL);
                if info.protocols.contains(&kad_protocol)
                    && let Some(kad) = self.swarm.behaviour_mut().kad.as_mut()
                {
                    for addr in info.listen_addrs {
                        kad.add_address(&peer_id, addr);
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::RoutingUpdated {
                peer,
                is_new_peer: true,
                ..
            })) => self.dial_discovered(peer, None),
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (peer, addr) in found {
                    if let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() {
                        kad.add_address(&peer, addr.clone());
                    }
                    self.dial_discovered(peer, Some(addr));
                }
            }
            _ => {}
        }
    }

    /// Dials a peer found by Kademlia or mDNS unless already connected, or the node is
    /// at half its connection limit (the other half is left for inbound peers).
    fn dial_discovered(&mut self, peer: PeerId, addr: Option<Multiaddr>) {
        if peer == *self.swarm.local_peer_id()
            || self.swarm.is_connected(&peer)
            || self.swarm.connected_peers().count() as u32 >= self.max_connections / 2
        {
            return;
        }
        let opts = match addr {
            Some(a) => DialOpts::peer_id(peer).addresses(vec![a]).build(),
            None => DialOpts::peer_id(peer).build(),
        };
        if let Err(e) = self.swarm.dial(opts) {
            tracing::debug!(target: "net", %peer, "cannot dial a discovered peer: {e}");
        } else {
            tracing::debug!(target: "net", %peer, "dialling a discovered peer");
        }
    }

    /// Keeps the valid offers a peer handed over. Their signatures bind each to its worker
    /// and peer id; that the worker publishes from that peer was checked by the peer that
    /// heard it (gossip binds the publisher), not here.
    fn on_offers_synced(&mut self, peer: PeerId, response: JobResponse) {
        let JobResponse::Offers(offers) = response else {
            tracing::debug!(target: "net::offers", %peer, "peer answered the offers request with something else");
            return;
        };
        let now = arcanum_protocol::unix_now();
        let (mut kept, mut refused) = (0usize, 0usize);
        for offer in offers.into_iter().take(MAX_OFFERS_SYNCED) {
            let valid = offer.verify(now).is_ok() && offer.offer.peer_id.parse::<PeerId>().is_ok();
            if !valid {
                refused += 1;
            } else if self.offers.insert(offer.clone(), now) {
                kept += 1;
                self.emit(Event::Offer { offer });
            }
        }
        self.metrics.synced.inc_by(kept as u64);
        self.metrics.rejected.inc_by(refused as u64);
        if refused > 0 {
            tracing::warn!(target: "net::offers", %peer, refused, "peer handed over invalid offers");
        }
        tracing::debug!(target: "net::offers", %peer, kept, "offers handed over on connecting");
    }

    /// An offer is valid if it decodes, its signature recovers to its worker address, it
    /// has not expired, and it names the peer that published it.
    fn check_offer(&self, source: Option<PeerId>, data: &[u8]) -> Result<SignedOffer, String> {
        let offer = SignedOffer::from_bytes(data).map_err(|e| e.to_string())?;
        offer
            .verify(arcanum_protocol::unix_now())
            .map_err(|e| e.to_string())?;
        let source = source.ok_or("unsigned gossip message")?;
        if offer.offer.peer_id != source.to_base58() {
            return Err(format!(
                "offer names peer {} but was published by {source}",
                offer.offer.peer_id
            ));
        }
        Ok(offer)
    }
}

/// A call is valid if it decodes, is bounded and still open, and names the peer that
/// published it as its requester.
fn check_call(
    source: Option<PeerId>,
    data: &[u8],
) -> Result<arcanum_protocol::CallForContributions, String> {
    let call =
        arcanum_protocol::CallForContributions::from_bytes(data, arcanum_protocol::unix_now())?;
    let source = source.ok_or("unsigned gossip message")?;
    if call.requester != source.to_base58() {
        return Err(format!(
            "call names requester {} but was published by {source}",
            call.requester
        ));
    }
    Ok(call)
}

use crate::event_loop::NetworkConfig;
use arcanum_protocol::{JobRequest, JobResponse};
use libp2p::{
    StreamProtocol, connection_limits, gossipsub, identify,
    identity::Keypair,
    kad, mdns,
    request_response::{self, ProtocolSupport, cbor},
    swarm::{NetworkBehaviour, behaviour::toggle::Toggle},
};
use std::time::Duration;

/// Gossipsub topic of compute offers.
pub(crate) const OFFERS_TOPIC: &str = "/arcanum/offers/2";
/// Gossipsub topic of requesters' open calls for contributions.
pub(crate) const CALLS_TOPIC: &str = "/arcanum/calls/1";
/// Kademlia protocol (Arcanum's own DHT, not the public IPFS one).
pub(crate) const KAD_PROTOCOL: &str = "/arcanum/kad/1";
/// Request-response protocol for job transfer.
pub(crate) const JOB_PROTOCOL: &str = "/arcanum/job/1";
/// Largest job request accepted (CBOR): a job of the contract's ~120-chunk maximum over the
/// widest shape (16 x 64 values per chunk, about 9 MB) fits with room to spare; anything
/// larger is refused by the codec before it is buffered.
pub const MAX_JOB_REQUEST_BYTES: u64 = 32 * 1024 * 1024;
/// Largest job response accepted: an output vector and one proof per chunk.
pub const MAX_JOB_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest gossip message: a signed offer is well under 1 KiB.
pub const MAX_GOSSIP_BYTES: usize = 64 * 1024;

/// The job protocol's codec (CBOR, with Arcanum's size limits): what decodes every job
/// request and response that arrives on the p2p port.
pub fn job_codec() -> cbor::codec::Codec<JobRequest, JobResponse> {
    cbor::codec::Codec::default()
        .set_request_size_maximum(MAX_JOB_REQUEST_BYTES)
        .set_response_size_maximum(MAX_JOB_RESPONSE_BYTES)
}

/// Bytes a request and its response take on the job protocol's streams (CBOR), as the
/// codec writes them: what a node measures of its own traffic.
pub fn wire_len(request: Option<&JobRequest>, response: Option<&JobResponse>) -> usize {
    use libp2p::request_response::Codec as _;
    let (protocol, mut codec) = (job_protocol(), job_codec());
    let mut io = futures::io::Cursor::new(Vec::new());
    if let Some(r) = request {
        let _ = futures::executor::block_on(codec.write_request(&protocol, &mut io, r.clone()));
    }
    if let Some(r) = response {
        let _ = futures::executor::block_on(codec.write_response(&protocol, &mut io, r.clone()));
    }
    io.into_inner().len()
}

/// The job protocol's name.
pub fn job_protocol() -> StreamProtocol {
    StreamProtocol::new(JOB_PROTOCOL)
}

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    /// First: refuses connections over the limits before anything else sees them.
    pub(crate) limits: connection_limits::Behaviour,
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) jobs: cbor::Behaviour<JobRequest, JobResponse>,
    pub(crate) identify: identify::Behaviour,
    pub(crate) kad: Toggle<kad::Behaviour<kad::store::MemoryStore>>,
    pub(crate) mdns: Toggle<mdns::tokio::Behaviour>,
}

/// Gossipsub peer scoring: invalid offers (bad signature, expired, naming another peer,
/// undecodable) cost their sender 10 points times the square of their count, a count that
/// halves every decay interval (1 s); below -10 a peer gets no gossip, below -50 its
/// publishes are ignored, below -80 it is graylisted (everything it sends is dropped). One
/// stale offer (a skewed clock) costs little; a stream of forgeries cuts the peer off.
///
/// Many peers on one IP address still cost each of them (gossipsub's colocation penalty
/// against Sybils), except on loopback: nodes on one machine are one operator's devnet,
/// and past ten of them the penalty graylisted them all.
fn peer_score() -> (gossipsub::PeerScoreParams, gossipsub::PeerScoreThresholds) {
    let mut params = gossipsub::PeerScoreParams::default();
    params.ip_colocation_factor_whitelist.extend([
        std::net::IpAddr::from(std::net::Ipv4Addr::LOCALHOST),
        std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
    ]);
    let topic = gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        invalid_message_deliveries_weight: -10.0,
        invalid_message_deliveries_decay: 0.5,
        // No penalty for a quiet mesh: offers are sparse by nature.
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        ..Default::default()
    };
    for name in [OFFERS_TOPIC, CALLS_TOPIC] {
        params
            .topics
            .insert(gossipsub::IdentTopic::new(name).hash(), topic.clone());
    }
    let thresholds = gossipsub::PeerScoreThresholds {
        gossip_threshold: -10.0,
        publish_threshold: -50.0,
        graylist_threshold: -80.0,
        ..Default::default()
    };
    (params, thresholds)
}

impl Behaviour {
    pub(crate) fn new(
        key: &Keypair,
        config: &NetworkConfig,
        registry: &mut prometheus_client::registry::Registry,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let request_timeout: Duration = config.request_timeout;
        let gossip_config = gossipsub::ConfigBuilder::default()
            .heartbeat_interval(Duration::from_millis(500))
            .validation_mode(gossipsub::ValidationMode::Strict)
            // The application validates every offer before it propagates.
            .validate_messages()
            .max_transmit_size(MAX_GOSSIP_BYTES)
            // Own offers go to the mesh, not to every peer known: a node knows most of a
            // small network, and flooding sent each offer to all of them on top of the
            // mesh's copies.
            .flood_publish(false)
            // Tell mesh peers not to send what already arrived, whatever its size (an
            // offer is under the 1,000-byte default).
            .idontwant_message_size_threshold(0)
            .build()
            .map_err(|e| e.to_string())?;
        let mut gossipsub = gossipsub::Behaviour::new(
            gossipsub::MessageAuthenticity::Signed(key.clone()),
            gossip_config,
        )
        .map_err(|e| e.to_string())?
        .with_metrics(registry, gossipsub::MetricsConfig::default());
        let (params, thresholds) = peer_score();
        gossipsub
            .with_peer_score(params, thresholds)
            .map_err(|e| e.to_string())?;
        for name in [OFFERS_TOPIC, CALLS_TOPIC] {
            gossipsub
                .subscribe(&gossipsub::IdentTopic::new(name))
                .map_err(|e| e.to_string())?;
        }
        let peer_id = key.public().to_peer_id();
        let kad = config.kademlia.then(|| {
            let mut cfg = kad::Config::new(StreamProtocol::new(KAD_PROTOCOL));
            cfg.set_query_timeout(Duration::from_secs(30));
            let mut k =
                kad::Behaviour::with_config(peer_id, kad::store::MemoryStore::new(peer_id), cfg);
            k.set_mode(Some(kad::Mode::Server));
            k
        });
        // mDNS needs a multicast-capable interface; without one the node runs without it.
        let mdns = if config.mdns {
            match mdns::tokio::Behaviour::new(mdns::Config::default(), peer_id) {
                Ok(m) => Some(m),
                Err(e) => {
                    tracing::warn!(target: "net", "mDNS unavailable ({e}); local discovery off, bootstrap peers and Kademlia still work");
                    None
                }
            }
        } else {
            None
        };
        let limits = connection_limits::Behaviour::new(
            connection_limits::ConnectionLimits::default()
                .with_max_established(Some(config.max_connections))
                .with_max_established_per_peer(Some(2))
                .with_max_pending_incoming(Some(config.max_connections / 2 + 1)),
        );
        let jobs = cbor::Behaviour::with_codec(
            job_codec(),
            [(job_protocol(), ProtocolSupport::Full)],
            request_response::Config::default().with_request_timeout(request_timeout),
        );
        let identify =
            identify::Behaviour::new(identify::Config::new("/arcanum/1".into(), key.public()));
        Ok(Self {
            limits,
            gossipsub,
            jobs,
            identify,
            kad: kad.into(),
            mdns: mdns.into(),
        })
    }
}

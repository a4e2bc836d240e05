use arcanum_protocol::{JobRequest, JobResponse};
use libp2p::{
    StreamProtocol, gossipsub, identify,
    identity::Keypair,
    request_response::{self, ProtocolSupport, cbor},
    swarm::NetworkBehaviour,
};
use std::time::Duration;

/// Gossipsub topic of compute offers.
pub(crate) const OFFERS_TOPIC: &str = "/arcanum/offers/1";
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

#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) jobs: cbor::Behaviour<JobRequest, JobResponse>,
    pub(crate) identify: identify::Behaviour,
}

impl Behaviour {
    pub(crate) fn new(
        key: &Keypair,
        request_timeout: Duration,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let config = gossipsub::ConfigBuilder::default()
            .heartbeat_interval(Duration::from_millis(500))
            .validation_mode(gossipsub::ValidationMode::Strict)
            // The application validates every offer before it propagates.
            .validate_messages()
            .max_transmit_size(MAX_GOSSIP_BYTES)
            .build()
            .map_err(|e| e.to_string())?;
        let mut gossipsub =
            gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Signed(key.clone()), config)
                .map_err(|e| e.to_string())?;
        gossipsub
            .subscribe(&gossipsub::IdentTopic::new(OFFERS_TOPIC))
            .map_err(|e| e.to_string())?;
        let codec = cbor::codec::Codec::default()
            .set_request_size_maximum(MAX_JOB_REQUEST_BYTES)
            .set_response_size_maximum(MAX_JOB_RESPONSE_BYTES);
        let jobs = cbor::Behaviour::with_codec(
            codec,
            [(StreamProtocol::new(JOB_PROTOCOL), ProtocolSupport::Full)],
            request_response::Config::default().with_request_timeout(request_timeout),
        );
        let identify =
            identify::Behaviour::new(identify::Config::new("/arcanum/1".into(), key.public()));
        Ok(Self {
            gossipsub,
            jobs,
            identify,
        })
    }
}

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
            .build()
            .map_err(|e| e.to_string())?;
        let mut gossipsub =
            gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Signed(key.clone()), config)
                .map_err(|e| e.to_string())?;
        gossipsub
            .subscribe(&gossipsub::IdentTopic::new(OFFERS_TOPIC))
            .map_err(|e| e.to_string())?;
        let jobs = cbor::Behaviour::new(
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

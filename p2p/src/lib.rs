//! # arcanum-p2p
//!
//! Arcanum's libp2p network: TCP + Noise + Yamux, `gossipsub` for compute offers, a
//! request-response protocol (`/arcanum/job/1`, CBOR) that carries a job's inputs to its
//! worker and the result back, and `identify`.
//!
//! The [`Swarm`](libp2p::Swarm) lives inside an [`EventLoop`] owned by one task; the rest of
//! the node drives it through a cloneable [`Client`] (commands with oneshot replies) and
//! receives [`Event`]s on a bounded channel. Offers are verified in the event loop (the
//! signature must bind the gossip publisher's `PeerId` to the offer's Ethereum address)
//! before they reach the application; invalid ones are rejected and their sender penalised.
//!
//! ```no_run
//! # async fn run() -> Result<(), arcanum_p2p::Error> {
//! let (client, mut events, event_loop) = arcanum_p2p::new(libp2p::identity::Keypair::generate_ed25519(), Default::default())?;
//! tokio::spawn(event_loop.run());
//! let addr = client.listen("/ip4/127.0.0.1/tcp/0".parse().expect("addr")).await?;
//! # Ok(()) }
//! ```

mod behaviour;
mod client;
mod error;
mod event_loop;
mod offers;

pub use behaviour::{
    MAX_GOSSIP_BYTES, MAX_JOB_REQUEST_BYTES, MAX_JOB_RESPONSE_BYTES, job_codec, job_protocol,
    wire_len,
};
pub use client::{Client, Event};
pub use error::{Error, Result};
pub use event_loop::{EventLoop, NetworkConfig, OFFER_DELAY_BUCKETS, new};
pub use libp2p::{Multiaddr, PeerId, identity::Keypair, request_response::ResponseChannel};
pub use offers::{MAX_OFFERS, OfferTable};

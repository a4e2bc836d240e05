use crate::{Error, Result, offers::OfferTable};
use arcanum_protocol::{JobRequest, JobResponse, SignedOffer};
use libp2p::{Multiaddr, PeerId, request_response::ResponseChannel};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// What the network reports to the application.
#[derive(Debug)]
pub enum Event {
    /// A verified, unexpired offer from the peer it names.
    Offer {
        /// The offer.
        offer: SignedOffer,
    },
    /// A job request from a requester; answer it with [`Client::respond`].
    JobRequest {
        /// The requesting peer.
        from: PeerId,
        /// The request.
        request: JobRequest,
        /// Where the response goes.
        channel: ResponseChannel<JobResponse>,
    },
    /// An open call for contributions from the requester it names, still open.
    Call {
        /// The call.
        call: Box<arcanum_protocol::CallForContributions>,
    },
    /// A connection to a peer was established.
    Connected {
        /// The peer.
        peer: PeerId,
    },
}

pub(crate) enum Command {
    Listen {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<Multiaddr>>,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<PeerId>>,
    },
    Publish {
        offer: Box<SignedOffer>,
        reply: oneshot::Sender<Result<()>>,
    },
    PublishCall {
        call: Box<arcanum_protocol::CallForContributions>,
        reply: oneshot::Sender<Result<()>>,
    },
    Request {
        peer: PeerId,
        request: Box<JobRequest>,
        reply: oneshot::Sender<Result<JobResponse>>,
    },
    Respond {
        channel: ResponseChannel<JobResponse>,
        response: Box<JobResponse>,
        reply: oneshot::Sender<Result<()>>,
    },
    Peers {
        reply: oneshot::Sender<Result<usize>>,
    },
    PeerScore {
        peer: PeerId,
        reply: oneshot::Sender<Result<Option<f64>>>,
    },
    Metrics {
        reply: oneshot::Sender<Result<String>>,
    },
}

/// A cloneable handle that drives the [`EventLoop`](crate::EventLoop).
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) tx: mpsc::Sender<Command>,
    pub(crate) peer_id: PeerId,
    pub(crate) offers: Arc<OfferTable>,
}

impl Client {
    /// This node's `PeerId`.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The live offers this node verified (from gossip, or handed over by a peer when the
    /// connection opened), one per worker, including its own.
    pub fn offers(&self) -> &OfferTable {
        &self.offers
    }

    /// The network's metrics in the Prometheus text format: libp2p's (`libp2p_bandwidth_*`:
    /// bytes per transport and direction; `libp2p_gossipsub_*`: messages and bytes per
    /// topic, mesh, scores) and the offers' (`arcanum_p2p_*`: delay from issue to arrival,
    /// received, synced, rejected, live).
    pub async fn metrics(&self) -> Result<String> {
        self.call(|reply| Command::Metrics { reply }).await
    }

    async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<Result<T>>) -> Command) -> Result<T> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| Error::Stopped)?;
        rx.await.map_err(|_| Error::Stopped)?
    }

    /// Starts listening on `addr` (port 0 picks a free port) and returns the bound address.
    pub async fn listen(&self, addr: Multiaddr) -> Result<Multiaddr> {
        self.call(|reply| Command::Listen { addr, reply }).await
    }

    /// Dials `addr` and waits for the connection; returns the remote `PeerId`.
    pub async fn dial(&self, addr: Multiaddr) -> Result<PeerId> {
        self.call(|reply| Command::Dial { addr, reply }).await
    }

    /// Publishes a signed offer on the offers topic.
    pub async fn publish_offer(&self, offer: SignedOffer) -> Result<()> {
        self.call(|reply| Command::Publish {
            offer: Box::new(offer),
            reply,
        })
        .await
    }

    /// Publishes an open call for contributions on the calls topic (it must name this
    /// node as its requester, or every peer rejects it).
    pub async fn publish_call(&self, call: arcanum_protocol::CallForContributions) -> Result<()> {
        self.call(|reply| Command::PublishCall {
            call: Box::new(call),
            reply,
        })
        .await
    }

    /// Sends a job request and waits for the response (bounded by the request timeout).
    pub async fn request(&self, peer: PeerId, request: JobRequest) -> Result<JobResponse> {
        self.call(|reply| Command::Request {
            peer,
            request: Box::new(request),
            reply,
        })
        .await
    }

    /// Number of peers connected now.
    pub async fn peers(&self) -> Result<usize> {
        self.call(|reply| Command::Peers { reply }).await
    }

    /// This node's gossipsub score of `peer` (`None`: not known). Invalid offers lower it.
    pub async fn peer_score(&self, peer: PeerId) -> Result<Option<f64>> {
        self.call(|reply| Command::PeerScore { peer, reply }).await
    }

    /// Answers a job request.
    pub async fn respond(
        &self,
        channel: ResponseChannel<JobResponse>,
        response: JobResponse,
    ) -> Result<()> {
        self.call(|reply| Command::Respond {
            channel,
            response: Box::new(response),
            reply,
        })
        .await
    }
}

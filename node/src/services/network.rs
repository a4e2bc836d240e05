//! The node's one libp2p network, shared by its roles: started from a persistent identity
//! with the configured listen and bootstrap addresses, its events routed to the role that
//! handles them through bounded inboxes (job requests to the worker, contributions to the
//! data owner, ...). When an inbox is full the event is dropped and logged: a requester
//! whose job request is dropped times out and moves to the next bid. Offers need no inbox:
//! the network keeps the live ones in its table (`Client::offers`).

use arcanum_p2p::{Client, Event, Keypair, Multiaddr, NetworkConfig};
use arcanum_protocol::{JobRequest, JobResponse, RejectReason};
use std::time::Duration;
use tokio::{sync::mpsc, task::JoinHandle};

/// Dials `addr` (a multiaddr ending in `/p2p/<peer id>`; a connection already open is
/// reused) and sends `request`, all within `timeout`. A refusal is an `Err` naming the
/// peer and its reason.
pub async fn request_at(
    net: &Client,
    addr: &str,
    request: JobRequest,
    timeout: Duration,
) -> Result<JobResponse, String> {
    let (a, peer) = super::contributor::parse_peer_addr(addr)?;
    let call = async {
        let _ = net.dial(a).await;
        net.request(peer, request).await
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(Ok(JobResponse::Rejected(why))) => Err(format!("{addr}: refused: {why}")),
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(e)) => Err(format!("{addr}: {e}")),
        Err(_) => Err(format!("{addr}: no answer in {timeout:?}")),
    }
}

/// A started network.
pub struct Network {
    /// Handle to the event loop.
    pub client: Client,
    /// The addresses it listens on.
    pub listen_addrs: Vec<Multiaddr>,
    events: Option<mpsc::Receiver<Event>>,
    task: JoinHandle<()>,
}

impl Drop for Network {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Where routed events go.
#[derive(Default)]
pub struct Inboxes {
    /// Job requests, for the worker.
    pub jobs: Option<mpsc::Sender<Event>>,
    /// Contribution requests, for the data owner.
    pub contributions: Option<mpsc::Sender<Event>>,
    /// Pad shares and sum requests, for the clerk.
    pub clerk: Option<mpsc::Sender<Event>>,
    /// DKG rounds and decryption requests, for the key-committee member.
    pub committee: Option<mpsc::Sender<Event>>,
    /// Data owners' enrolments in open calls and blob fetches (global models), for the
    /// requester.
    pub enrollments: Option<mpsc::Sender<Event>>,
}

impl Network {
    /// Starts the event loop, listens on every `listen` address and dials `bootstrap`
    /// (a bootstrap peer that is down is logged, not fatal: it may come up later).
    pub async fn start(
        key: Keypair,
        listen: &[Multiaddr],
        bootstrap: &[Multiaddr],
        config: NetworkConfig,
    ) -> Result<Self, arcanum_p2p::Error> {
        let (client, events, event_loop) = arcanum_p2p::new(key, config)?;
        let task = tokio::spawn(event_loop.run());
        let mut listen_addrs = Vec::new();
        for addr in listen {
            listen_addrs.push(client.listen(addr.clone()).await?);
        }
        for addr in bootstrap {
            match client.dial(addr.clone()).await {
                Ok(peer) => tracing::info!(target: "net", %addr, %peer, "bootstrap peer connected"),
                Err(e) => tracing::warn!(target: "net", %addr, "bootstrap peer unreachable: {e}"),
            }
        }
        Ok(Self {
            client,
            listen_addrs,
            events: Some(events),
            task,
        })
    }

    /// Takes the raw event stream (for a node running a single role without routing).
    pub fn take_events(&mut self) -> Option<mpsc::Receiver<Event>> {
        self.events.take()
    }

    /// Routes events to `inboxes` on a task of its own; returns the task. A request for a
    /// role this node does not run is answered [`RejectReason::NoSuchRole`] at once.
    pub fn route(&mut self, inboxes: Inboxes) -> Option<JoinHandle<()>> {
        let mut events = self.events.take()?;
        let client = self.client.clone();
        Some(tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let (inbox, what) = match &event {
                    // Offers are kept in the network's table (`Client::offers`).
                    Event::Offer { .. } | Event::Connected { .. } => continue,
                    Event::Call { .. } => (&inboxes.contributions, "contributor"),
                    Event::JobRequest { request, .. } => match request {
                        JobRequest::Contribute(_)
                        | JobRequest::Included { .. }
                        | JobRequest::TrainJoin(_)
                        | JobRequest::TrainRound(_)
                        | JobRequest::TrainLeave { .. } => (&inboxes.contributions, "contributor"),
                        JobRequest::Enroll { .. } | JobRequest::FetchBlob { .. } => {
                            (&inboxes.enrollments, "requester")
                        }
                        JobRequest::PadShare { .. } | JobRequest::ClerkSum { .. } => {
                            (&inboxes.clerk, "clerk")
                        }
                        // Clerks and committee members bind their peer id alike.
                        JobRequest::ClerkAd if inboxes.clerk.is_none() => {
                            (&inboxes.committee, "committee")
                        }
                        JobRequest::ClerkAd => (&inboxes.clerk, "clerk"),
                        JobRequest::DkgDeal { .. }
                        | JobRequest::DkgShare { .. }
                        | JobRequest::DkgComplain { .. }
                        | JobRequest::DkgFinish(_)
                        | JobRequest::Decrypt { .. } => (&inboxes.committee, "committee"),
                        JobRequest::BidRequest { .. } | JobRequest::Run { .. } => {
                            (&inboxes.jobs, "worker")
                        }
                        // Answered by the network itself; never routed.
                        JobRequest::Offers => continue,
                    },
                };
                match inbox {
                    Some(tx) => {
                        if let Err(e) = tx.try_send(event) {
                            tracing::debug!(target: "net", "{what} event dropped: {e}");
                        }
                    }
                    None => {
                        if let Event::JobRequest { from, channel, .. } = event {
                            tracing::debug!(target: "net", %from, "request for the {what} role, which this node does not run");
                            let refusal = JobResponse::Rejected(RejectReason::NoSuchRole(format!(
                                "this node does not run the {what} role"
                            )));
                            let _ = client.respond(channel, refusal).await;
                        }
                    }
                }
            }
        }))
    }
}

//! The control API's client: what the CLI uses to talk to a running node.

use super::{
    COOKIE_FILE,
    types::{Amount, ApiError, Rewards, Status, Tx},
};
use crate::{
    config::NodeConfig,
    store::{JobRecord, JobSubmission},
};
use serde::{Serialize, de::DeserializeOwned};
use std::{path::Path, time::Duration};

/// A client of one node's API.
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    auth: String,
}

impl ApiClient {
    /// Connects to the node of `data_dir`: its `api.listen` and its cookie.
    pub fn for_data_dir(data_dir: &Path) -> eyre::Result<Self> {
        let cfg = NodeConfig::load(data_dir, &[])?.config;
        let cookie_path = data_dir.join(COOKIE_FILE);
        let cookie = std::fs::read_to_string(&cookie_path).map_err(|_| {
            eyre::eyre!(
                "{} not found: is the node running? start it with `arcanum node run --data-dir {}`",
                cookie_path.display(),
                data_dir.display()
            )
        })?;
        Ok(Self::new(&cfg.api.listen, cookie.trim()))
    }

    /// A client of the API at `addr` (`host:port`) with `cookie`.
    pub fn new(addr: &str, cookie: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap_or_default(),
            base: format!("http://{addr}"),
            auth: format!("Bearer {cookie}"),
        }
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> eyre::Result<T> {
        let resp = req
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .send()
            .await
            .map_err(|e| {
                eyre::eyre!(
                    "cannot reach the node's API at {}: {e}; is it running?",
                    self.base
                )
            })?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp.json().await?);
        }
        let text = resp.text().await.unwrap_or_default();
        let msg = serde_json::from_str::<ApiError>(&text).map_or(text, |e| e.error);
        Err(eyre::eyre!("{msg} (HTTP {status})"))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> eyre::Result<T> {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> eyre::Result<T> {
        self.send(self.http.post(format!("{}{path}", self.base)).json(body))
            .await
    }

    /// `GET /v1/status`.
    pub async fn status(&self) -> eyre::Result<Status> {
        self.get("/v1/status").await
    }

    /// `POST /v1/stake/deposit`.
    pub async fn stake_deposit(&self, amount_wei: String) -> eyre::Result<Tx> {
        self.post("/v1/stake/deposit", &Amount { amount_wei }).await
    }

    /// `POST /v1/stake/unbond`.
    pub async fn stake_unbond(&self, amount_wei: String) -> eyre::Result<Tx> {
        self.post("/v1/stake/unbond", &Amount { amount_wei }).await
    }

    /// `POST /v1/stake/withdraw`.
    pub async fn stake_withdraw(&self) -> eyre::Result<Tx> {
        self.post("/v1/stake/withdraw", &()).await
    }

    /// `GET /v1/rewards`.
    pub async fn rewards(&self) -> eyre::Result<Rewards> {
        self.get("/v1/rewards").await
    }

    /// `GET /v1/privacy`.
    pub async fn privacy(&self) -> eyre::Result<Vec<crate::api::types::PrivacyReport>> {
        self.get("/v1/privacy").await
    }

    /// `GET /v1/feeds`.
    pub async fn feeds(&self) -> eyre::Result<Vec<crate::api::types::FeedReport>> {
        self.get("/v1/feeds").await
    }

    /// `GET /v1/oracle/tasks`.
    pub async fn oracle_tasks(&self) -> eyre::Result<Vec<crate::store::OracleTask>> {
        self.get("/v1/oracle/tasks").await
    }

    /// `POST /v1/feeds/requests`.
    pub async fn feed_request(
        &self,
        body: &crate::api::types::FeedRequestBody,
    ) -> eyre::Result<crate::api::types::FeedRequestReport> {
        self.post("/v1/feeds/requests", body).await
    }

    /// `GET /v1/feeds/requests/{id}`.
    pub async fn feed_request_report(
        &self,
        id: &str,
    ) -> eyre::Result<crate::api::types::FeedRequestReport> {
        self.get(&format!("/v1/feeds/requests/{id}")).await
    }

    /// `POST /v1/feeds/requests/{id}/cancel`.
    pub async fn feed_request_cancel(
        &self,
        id: &str,
    ) -> eyre::Result<crate::api::types::FeedRequestReport> {
        self.post(&format!("/v1/feeds/requests/{id}/cancel"), &())
            .await
    }

    /// `POST /v1/rewards/claim`.
    pub async fn claim(&self) -> eyre::Result<Tx> {
        self.post("/v1/rewards/claim", &()).await
    }

    /// `POST /v1/jobs`.
    pub async fn submit(&self, job: &JobSubmission) -> eyre::Result<JobRecord> {
        self.post("/v1/jobs", job).await
    }

    /// `GET /v1/jobs/{id}`.
    pub async fn job(&self, id: u64) -> eyre::Result<JobRecord> {
        self.get(&format!("/v1/jobs/{id}")).await
    }

    /// `POST /v1/jobs/{id}/cancel`.
    pub async fn cancel(&self, id: u64) -> eyre::Result<JobRecord> {
        self.post(&format!("/v1/jobs/{id}/cancel"), &()).await
    }

    /// `GET /v1/jobs/{id}/committee`.
    pub async fn committee(&self, id: u64) -> eyre::Result<crate::api::types::CommitteeReport> {
        self.get(&format!("/v1/jobs/{id}/committee")).await
    }

    /// `GET /v1/jobs`.
    pub async fn jobs(&self) -> eyre::Result<Vec<JobRecord>> {
        self.get("/v1/jobs").await
    }

    /// `GET /metrics` (Prometheus text).
    pub async fn metrics(&self) -> eyre::Result<String> {
        let resp = self
            .http
            .get(format!("{}/metrics", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .send()
            .await?;
        Ok(resp.error_for_status()?.text().await?)
    }
}

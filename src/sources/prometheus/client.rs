//! The Prometheus endpoints watchpost uses.
use super::api::{self, Answer, QueryOutcome, QueryResult, RawData, RawTargets, Target};
use crate::config::HttpSource;
use crate::sources::http::{FetchError, HttpClient};
use crate::text::Clean;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Clone)]
pub struct Prometheus {
    pub http: HttpClient,
    /// A round's batched figures go as one query (see `batch::ask_all`) until the server refuses one.
    combine: Arc<AtomicBool>,
}

/// A time as the API takes it: unix seconds with milliseconds.
pub fn ts(t: DateTime<Utc>) -> String {
    format!("{:.3}", t.timestamp_millis() as f64 / 1000.0)
}

impl Prometheus {
    pub fn new(src: &HttpSource) -> Result<Self, String> {
        Ok(Prometheus { http: HttpClient::new(&src.name, src)?, combine: Arc::new(AtomicBool::new(true)) })
    }

    /// Whether a round's batched figures are still sent as one query.
    pub fn combines(&self) -> bool {
        self.combine.load(Ordering::Relaxed)
    }

    /// Send them one by one from now on: the server refused (or could not finish) the combined query.
    pub fn stop_combining(&self, why: &FetchError) {
        if self.combine.swap(false, Ordering::Relaxed) {
            tracing::warn!(source = %self.http.base(), %why, "combined figures refused; asking them one by one");
        }
    }

    /// Instant query evaluated at `at` (the caller's clock: every figure knows when it is from).
    pub async fn query(&self, expr: &str, at: DateTime<Utc>) -> Result<QueryOutcome, FetchError> {
        let body = self.http.get("api/v1/query", &[("query", expr.to_string()), ("time", ts(at))]).await?;
        outcome(api::decode::<RawData>(&body)?)
    }

    pub async fn query_range(
        &self,
        expr: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
    ) -> Result<QueryOutcome, FetchError> {
        let q = [
            ("query", expr.to_string()),
            ("start", ts(start)),
            ("end", ts(end)),
            ("step", format!("{}", step.as_secs_f64())),
        ];
        let body = self.http.get("api/v1/query_range", &q).await?;
        outcome(api::decode::<RawData>(&body)?)
    }

    /// The raw JSON body of a query, for `watchpost query --json`.
    pub async fn raw(&self, path: &str, q: &[(&str, String)]) -> Result<Vec<u8>, FetchError> {
        self.http.get(path, q).await
    }

    pub async fn targets(&self) -> Result<Vec<Target>, FetchError> {
        let body = self.http.get("api/v1/targets", &[("state", "active".into())]).await?;
        let a: Answer<RawTargets> = api::decode(&body)?;
        Ok(a.data.active.into_iter().map(Target::from).collect())
    }

    /// Values of a label (`__name__` gives the metric names), for completion.
    pub async fn label_values(&self, label: &str, matcher: Option<&str>) -> Result<Vec<Clean>, FetchError> {
        let path = format!("api/v1/label/{label}/values");
        let q: Vec<(&str, String)> = matcher.map(|m| ("match[]", m.to_string())).into_iter().collect();
        let a: Answer<Vec<String>> = api::decode(&self.http.get(&path, &q).await?)?;
        Ok(a.data.iter().map(|v| Clean::new(v)).collect())
    }

    pub async fn label_names(&self) -> Result<Vec<Clean>, FetchError> {
        let a: Answer<Vec<String>> = api::decode(&self.http.get("api/v1/labels", &[]).await?)?;
        Ok(a.data.iter().map(|v| Clean::new(v)).collect())
    }
}

fn outcome(a: Answer<RawData>) -> Result<QueryOutcome, FetchError> {
    Ok(QueryOutcome { result: QueryResult::from(a.data), warnings: a.warnings })
}

//! One Alertmanager: alerts, silences, and silence changes. Reads retry; a silence POST is sent once,
//! and when its outcome is unknown (a timeout, a dropped connection) the silences are read back to see
//! whether it was made before anything is sent again.
use super::api::{self, Created, RawAlert, RawSilence};
use crate::alerts::matcher::to_text;
use crate::alerts::model::{Alert, NewSilence, Silence};
use crate::config::HttpSource;
use crate::sources::http::{FetchError, HttpClient};
use crate::text::Clean;

#[derive(Clone)]
pub struct Alertmanager {
    pub name: String,
    pub http: HttpClient,
}

fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, FetchError> {
    serde_json::from_slice(body).map_err(|e| FetchError::Decode(Clean::new(&e.to_string())))
}

impl Alertmanager {
    pub fn new(src: &HttpSource) -> Result<Self, String> {
        Ok(Alertmanager { name: src.name.clone(), http: HttpClient::new(&src.name, src)? })
    }

    /// Every alert it knows: active, silenced and inhibited.
    pub async fn alerts(&self) -> Result<Vec<Alert>, FetchError> {
        let body = self.http.get("api/v2/alerts", &[]).await?;
        let raw: Vec<RawAlert> = decode(&body)?;
        Ok(raw.into_iter().filter_map(|a| a.into_alert(&self.name)).collect())
    }

    pub async fn silences(&self) -> Result<Vec<Silence>, FetchError> {
        let body = self.http.get("api/v2/silences", &[]).await?;
        let raw: Vec<RawSilence> = decode(&body)?;
        Ok(raw.into_iter().filter_map(|s| s.into_silence(&self.name)).collect())
    }

    /// Create (or update, with an id) a silence; its id.
    pub async fn post_silence(&self, s: &NewSilence) -> Result<String, FetchError> {
        match self.http.post_json("api/v2/silences", &api::postable(s)).await {
            Ok(body) => {
                if let Ok(c) = serde_json::from_slice::<Created>(&body) {
                    return api::safe_id(&c.silence_id).ok_or(FetchError::Decode("bad silence id".into()));
                }
                Err(FetchError::Api { kind: "refused".into(), message: api::error_text(&body) })
            }
            Err(e) if e.is_transient() => match self.find(s).await {
                // It went through before the answer was lost.
                Ok(Some(id)) => Ok(id),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// An unexpired silence that is the one `s` describes, if the server has it.
    pub async fn find(&self, s: &NewSilence) -> Result<Option<String>, FetchError> {
        let all = self.silences().await?;
        Ok(all
            .into_iter()
            .find(|x| {
                x.state != crate::alerts::model::SilenceState::Expired
                    && to_text(&x.matchers) == to_text(&s.matchers)
                    && x.created_by.as_str() == Clean::new(&s.created_by).as_str()
                    && x.comment.as_str() == Clean::new(&s.comment).as_str()
                    && (x.ends_at - s.ends_at).num_seconds().abs() <= 1
            })
            .map(|x| x.id))
    }

    /// Expire a silence now.
    pub async fn expire(&self, id: &str) -> Result<(), FetchError> {
        let id = api::safe_id(id).ok_or(FetchError::Decode("bad silence id".into()))?;
        self.http.delete(&format!("api/v2/silence/{id}")).await.map(|_| ())
    }
}

//! The log and trace stores: `[loki]` or `[elasticsearch]`, one of `[jaeger]`, `[tempo]`, `[zipkin]`, and
//! `[logs]` for the view (buffer size, clipboard).
use super::load::HttpSource;
use serde::Deserialize;
use toml::Spanned;

#[derive(Clone, Debug)]
pub enum LogSource {
    Loki { source: HttpSource, query: String },
    Elastic(ElasticConfig),
}

impl LogSource {
    /// The query showing one service's logs: the configured template with `$service` filled in
    /// (quoted for the store's syntax).
    pub fn service_query(&self, service: &str) -> String {
        let quoted = service.replace('\\', "\\\\").replace('"', "\\\"");
        match self {
            LogSource::Loki { query, .. } => query.replace("$service", &quoted),
            LogSource::Elastic(e) => e.query.replace("$service", &quoted),
        }
    }
    /// The query for every service's logs: the template with any service (`=~".+"`), or `*`.
    pub fn all_query(&self) -> String {
        match self {
            LogSource::Loki { query, .. } => query.replace("=\"$service\"", "=~\".+\"").replace("$service", ".+"),
            LogSource::Elastic(_) => "*".into(),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            LogSource::Loki { source, .. } => &source.name,
            LogSource::Elastic(e) => &e.source.name,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ElasticConfig {
    pub source: HttpSource,
    /// Index or pattern, e.g. `logs-*`.
    pub index: String,
    pub fields: ElasticFields,
    pub query: String,
}

/// Which document fields hold what (ECS names by default).
#[derive(Clone, Debug, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ElasticFields {
    pub timestamp: String,
    pub message: String,
    pub level: String,
    pub service: String,
    pub trace_id: String,
    /// A unique, sortable field to break ties between documents with the same timestamp.
    pub tiebreaker: Option<String>,
}

impl Default for ElasticFields {
    fn default() -> Self {
        ElasticFields {
            timestamp: "@timestamp".into(),
            message: "message".into(),
            level: "log.level".into(),
            service: "service.name".into(),
            trace_id: "trace.id".into(),
            tiebreaker: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceBackend {
    Jaeger,
    Tempo,
    Zipkin,
}

impl TraceBackend {
    pub fn name(self) -> &'static str {
        match self {
            TraceBackend::Jaeger => "jaeger",
            TraceBackend::Tempo => "tempo",
            TraceBackend::Zipkin => "zipkin",
        }
    }
}

#[derive(Clone, Debug)]
pub struct TraceConfig {
    pub backend: TraceBackend,
    pub source: HttpSource,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogSettings {
    /// Lines the log view holds before dropping the oldest.
    pub buffer: usize,
    /// Copy a line to the terminal's clipboard with OSC 52 (off by default: some terminals let any
    /// program that writes to them read or set the clipboard, and operators may not want that).
    pub copy: bool,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings { buffer: crate::logs::buffer::DEFAULT_CAPACITY, copy: false }
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLogs {
    #[schemars(with = "Option<usize>")]
    pub buffer: Option<Spanned<usize>>,
    pub copy: Option<bool>,
}

type Problems<'a> = super::load::Problems<'a>;

/// Keys of a source section that belong to another kind of source.
fn refuse(p: &mut Problems<'_>, r: &super::raw::RawPrometheus, section: &str, allowed: &[&str]) {
    let extras: [(&str, Option<std::ops::Range<usize>>); 4] = [
        ("query", r.query.as_ref().map(Spanned::span)),
        ("index", r.index.as_ref().map(Spanned::span)),
        ("fields", r.fields.as_ref().map(Spanned::span)),
        ("api_key", r.api_key.as_ref().map(Spanned::span)),
    ];
    for (key, span) in extras {
        if let Some(span) = span
            && !allowed.contains(&key)
        {
            p.at(span, format!("`{key}` does not belong in [{}]", section.trim_matches(['[', ']'])));
        }
    }
}

/// The log and trace stores and the log view's settings, validated.
pub(super) fn load(
    p: &mut Problems<'_>,
    raw: &super::raw::RawConfig,
    base: &std::path::Path,
) -> (Option<LogSource>, Option<TraceConfig>, LogSettings) {
    for (section, r) in [("prometheus", &raw.prometheus)] {
        if let Some(r) = r {
            refuse(p, r, section, &[]);
        }
    }
    for r in &raw.alertmanager {
        refuse(p, r, "[alertmanager]", &[]);
    }
    let loki = raw.loki.as_ref().and_then(|r| {
        refuse(p, r, "loki", &["query"]);
        let mut source = super::load::http_source(p, r, base)?;
        source.name = "loki".into();
        let query = r.query.as_ref().map_or_else(|| "{service=\"$service\"}".to_string(), |q| q.get_ref().clone());
        Some(LogSource::Loki { source, query })
    });
    let elastic = raw.elasticsearch.as_ref().and_then(|r| {
        refuse(p, r, "elasticsearch", &["query", "index", "fields", "api_key"]);
        let Some(index) = &r.index else {
            p.at(r.url.span(), "[elasticsearch] needs `index`: the index or pattern to search, e.g. \"logs-*\"");
            return None;
        };
        if index.get_ref().trim().is_empty() || index.get_ref().contains(['/', '?', '#', ' ']) {
            p.at(index.span(), "index: expected an index name or pattern such as \"logs-*\"");
        }
        let mut source = super::load::http_source(p, r, base)?;
        source.name = "elasticsearch".into();
        if let Some(key) = &r.api_key {
            if r.auth.is_some() {
                p.at(key.span(), "api_key and auth both given: expected one way to authenticate");
            }
            let raw_secret = key.get_ref();
            let file = raw_secret.file.as_ref().map(|f| base.join(f));
            match super::secret::resolve(raw_secret.env.as_deref(), file.as_deref(), "Elasticsearch API key") {
                Ok(secret) => source.auth = super::Auth::Scheme { scheme: "ApiKey".into(), secret },
                Err(e) => p.at(key.span(), e),
            }
        }
        Some(LogSource::Elastic(ElasticConfig {
            source,
            index: index.get_ref().clone(),
            fields: r.fields.as_ref().map(|f| f.get_ref().clone()).unwrap_or_default(),
            query: r.query.as_ref().map_or_else(|| "service.name:\"$service\"".to_string(), |q| q.get_ref().clone()),
        }))
    });
    if let (Some(_), Some(e)) = (&raw.loki, &raw.elasticsearch) {
        p.at(e.url.span(), "both [loki] and [elasticsearch]: expected one log store");
    }
    let mut traces = None;
    for (backend, r) in
        [(TraceBackend::Jaeger, &raw.jaeger), (TraceBackend::Tempo, &raw.tempo), (TraceBackend::Zipkin, &raw.zipkin)]
    {
        let Some(r) = r else { continue };
        refuse(p, r, backend.name(), &[]);
        if traces.is_some() {
            p.at(r.url.span(), format!("[{}]: a trace store is already configured; expected one", backend.name()));
            continue;
        }
        if let Some(mut source) = super::load::http_source(p, r, base) {
            source.name = backend.name().into();
            traces = Some(TraceConfig { backend, source });
        }
    }
    let mut settings = LogSettings::default();
    if let Some(l) = &raw.logs {
        if let Some(b) = &l.buffer {
            if !(100..=1_000_000).contains(b.get_ref()) {
                p.at(b.span(), format!("buffer {}: expected between 100 and 1000000 lines", b.get_ref()));
            } else {
                settings.buffer = *b.get_ref();
            }
        }
        settings.copy = l.copy.unwrap_or(false);
    }
    (loki.or(elastic), traces, settings)
}

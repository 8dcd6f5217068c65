//! Secrets are referenced (an env var or a file), resolved at load, and never printed.
use std::fmt;

/// A resolved secret. `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub enum Auth {
    #[default]
    None,
    Bearer(Secret),
    Basic {
        username: String,
        password: Secret,
    },
    /// `Authorization: {scheme} {secret}` (PagerDuty's `Token token=…`, Opsgenie's `GenieKey …`).
    Scheme {
        scheme: String,
        secret: Secret,
    },
}

impl Auth {
    /// The `Authorization` header value, for requests not built by reqwest (the Loki tail websocket).
    pub fn header(&self) -> Option<String> {
        use base64::Engine;
        match self {
            Auth::None => None,
            Auth::Bearer(t) => Some(format!("Bearer {}", t.expose())),
            Auth::Basic { username, password } => {
                let pair = format!("{username}:{}", password.expose());
                Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))
            }
            Auth::Scheme { scheme, secret } => Some(format!("{scheme} {}", secret.expose())),
        }
    }
}

/// Read a secret from the environment or a file; the error says which one is missing and why.
pub fn resolve(env: Option<&str>, file: Option<&std::path::Path>, what: &str) -> Result<Secret, String> {
    match (env, file) {
        (Some(var), None) => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
            Ok(_) => Err(format!("environment variable {var} ({what}) is empty")),
            Err(_) => Err(format!("environment variable {var} ({what}) is not set")),
        },
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
            Ok(_) => Err(format!("secret file {} ({what}) is empty", path.display())),
            Err(e) => Err(format!("secret file {} ({what}) cannot be read: {e}", path.display())),
        },
        _ => Err(format!("{what}: expected exactly one of `env = \"VAR\"` or `file = \"/path\"`")),
    }
}

//! Who is acting: the user, the host, and the SSH client's address when the console runs over SSH; and
//! where: the environment acted in, when the config names environments.
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Who {
    pub user: String,
    pub host: String,
    /// The address the SSH session came from (`$SSH_CLIENT`'s first field).
    pub ssh_client: Option<String>,
    /// The environment acted in (the audit trail records it with each action's values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

impl Who {
    /// From the process's environment.
    pub fn current() -> Who {
        let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| {
            // SAFETY: getuid has no preconditions.
            format!("uid {}", unsafe { libc::getuid() })
        });
        let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
        let ssh_client = std::env::var("SSH_CLIENT")
            .or_else(|_| std::env::var("SSH_CONNECTION"))
            .ok()
            .and_then(|v| v.split_whitespace().next().map(str::to_string));
        Who { user, host, ssh_client, environment: None }
    }

    /// Acting in `env` (`None`: the config names no environments).
    pub fn in_environment(mut self, env: Option<&crate::config::environment::Environment>) -> Who {
        self.environment = env.map(|e| e.name.clone());
        self
    }
}

//! An environment (production, staging, development, …) as the config names it: plain data.
use super::theme::Colour;

#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    pub name: String,
    /// The header's colour in it, when the config gives one (else a default by its name).
    pub colour: Option<Colour>,
}

/// What an environment is for, read from its name: the header's default colour, and how carefully
/// actions in it are confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Production,
    Staging,
    Development,
    Other,
}

impl Environment {
    pub fn kind(&self) -> Kind {
        let n = self.name.to_lowercase();
        if n.starts_with("prod") || n == "prd" || n == "live" {
            Kind::Production
        } else if n.starts_with("stag") || n.starts_with("preprod") || n == "stg" || n.starts_with("uat") {
            Kind::Staging
        } else if n.starts_with("dev") || n.starts_with("test") || n.starts_with("qa") {
            Kind::Development
        } else {
            Kind::Other
        }
    }

    /// Production: an action there asks for the environment's name to be typed.
    pub fn is_production(&self) -> bool {
        self.kind() == Kind::Production
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_comes_from_the_usual_names() {
        let env = |n: &str| Environment { name: n.into(), colour: None };
        assert_eq!(env("production").kind(), Kind::Production);
        assert_eq!(env("prod-eu").kind(), Kind::Production);
        assert_eq!(env("staging").kind(), Kind::Staging);
        assert_eq!(env("development").kind(), Kind::Development);
        assert_eq!(env("sandbox").kind(), Kind::Other);
    }
}

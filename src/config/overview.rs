//! The overview's settings as plain data: the sort key its rows start in.

/// How the overview orders its rows; `s` goes through them in this order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// As configured (or discovered, by job).
    #[default]
    Name,
    /// The services in trouble first: down targets, then paging burn, then the error ratio.
    Worst,
    Errors,
    Latency,
    Burn,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [SortKey::Name, SortKey::Worst, SortKey::Errors, SortKey::Latency, SortKey::Burn];

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Worst => "worst",
            SortKey::Errors => "errors",
            SortKey::Latency => "p95",
            SortKey::Burn => "burn",
        }
    }

    /// What the title says the rows are sorted by.
    pub fn describe(self) -> &'static str {
        match self {
            SortKey::Name => "by name",
            SortKey::Worst => "worst first",
            SortKey::Errors => "most errors first",
            SortKey::Latency => "slowest first",
            SortKey::Burn => "fastest burn first",
        }
    }

    pub fn parse(s: &str) -> Result<SortKey, String> {
        SortKey::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            let names: Vec<&str> = SortKey::ALL.iter().map(|k| k.name()).collect();
            format!("unknown sort `{s}`: expected one of {}", names.join(", "))
        })
    }

    /// The next key `s` goes to.
    pub fn next(self) -> SortKey {
        let i = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }
}

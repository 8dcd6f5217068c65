//! Which screen is shown (the screens themselves are `crate::screens`), and the time ranges a key steps
//! through.
use std::time::Duration;

pub use crate::screens::Screen;

/// The ranges `t`/`T` step through: 15m, 1h, 6h, 24h, 7d.
pub const RANGES: [(Duration, &str); 5] = [
    (Duration::from_secs(15 * 60), "15m"),
    (Duration::from_secs(3600), "1h"),
    (Duration::from_secs(6 * 3600), "6h"),
    (Duration::from_secs(24 * 3600), "24h"),
    (Duration::from_secs(7 * 86_400), "7d"),
];

//! A sparkline as a string of block characters, so it fits inside a table cell next to its value.
//! ratatui's `Sparkline` widget needs an area of its own and cannot live in a `Table` cell; this is
//! the eight-level block ramp, nothing more.

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` points, scaled between 0 and the largest; gaps (NaN) are blank.
pub fn spark(points: &[(f64, f64)], width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let tail = &points[points.len().saturating_sub(width)..];
    let max = tail.iter().map(|p| p.1).filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    let mut s: String = " ".repeat(width - tail.len());
    for &(_, v) in tail {
        s.push(if !v.is_finite() {
            ' '
        } else if max <= 0.0 {
            BARS[0]
        } else {
            BARS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize]
        });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ramp() {
        let pts: Vec<(f64, f64)> = (0..8).map(|i| (i as f64, i as f64)).collect();
        assert_eq!(spark(&pts, 8), "▁▂▃▄▅▆▇█");
        assert_eq!(spark(&pts[..2], 4), "  ▁█");
        assert_eq!(spark(&[(0.0, f64::NAN), (1.0, 0.0)], 2), " ▁");
    }
}

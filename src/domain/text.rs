//! Numbers as people read them: thousands separators, one implementation
//! for the terminal, summary.json's sentences and the report.

/// `digits` (ASCII digits only) with a comma every three from the right:
/// "1234567" → "1,234,567".
fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A whole number with thousands separators, exact at any size:
/// −1234567 → "-1,234,567".
pub fn int(n: i128) -> String {
    let g = group_digits(&n.unsigned_abs().to_string());
    if n < 0 {
        format!("-{g}")
    } else {
        g
    }
}

/// `x` with `decimals` decimals and thousands separators, `minus` before a
/// negative that does not round to zero: (−1234.5, 1, '−') → "−1,234.5",
/// (−0.004, 2, '-') → "0.00".
pub fn decimal(x: f64, decimals: usize, minus: char) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push(minus);
    }
    out.push_str(&group_digits(whole));
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A month of the plan as a calendar month when the year of month 0 is
/// known (`2026-02` for month 1 of 2026; a fraction as days: `2026-03 +15 d`),
/// else as `month 1`.
pub fn month_label(m: f64, start_year: Option<u32>) -> String {
    let Some(y) = start_year else {
        return format!(
            "month {}",
            decimal(m, if m.fract().abs() < 1e-9 { 0 } else { 1 }, '\u{2212}')
        );
    };
    let whole = m.floor();
    let days = ((m - whole) * 30.0).round();
    let index = whole as i64;
    let year = i64::from(y) + index.div_euclid(12);
    let month = index.rem_euclid(12) + 1;
    if days > 0.0 {
        format!("{year}-{month:02} +{days:.0} d")
    } else {
        format!("{year}-{month:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_whole_numbers_and_decimals() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(-203_248), "-203,248");
        assert_eq!(int(i128::from(u64::MAX)), "18,446,744,073,709,551,615");
        assert_eq!(decimal(1_234_567.449, 2, '-'), "1,234,567.45");
        assert_eq!(decimal(-1234.5, 1, '\u{2212}'), "\u{2212}1,234.5");
        assert_eq!(decimal(-0.004, 2, '-'), "0.00");
        assert_eq!(decimal(100.0, 0, '-'), "100");
    }
}

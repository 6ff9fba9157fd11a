//! How settings' values are read (each parser names the value and the rule it breaks, for
//! clap's error) and shown (`Debug` without secrets), and the value types that are more than a
//! number or a string.

/// `DEFAULT_ROLE`: the role of a user whose sign-in names none, or `None` (`none`: such a user
/// is let in nowhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRole(pub Option<crate::domain::role::Role>);

pub(super) fn parse_default_role(text: &str) -> Result<DefaultRole, String> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(DefaultRole(None));
    }
    crate::domain::role::Role::parse(text)
        .map(|role| DefaultRole(Some(role)))
        .ok_or_else(|| format!("{text:?} is not a role: reader, operator, admin or none"))
}

pub(super) fn parse_hours(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(h) if h.is_finite() && h > 0.0 => Ok(h),
        _ => Err(format!(
            "{value:?} is not a number of hours greater than 0 (e.g. 24 or 0.5)"
        )),
    }
}

/// Seconds from configuration (fractions allowed); anything not a finite non-negative number
/// counts as zero.
pub fn seconds(value: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(value).unwrap_or(std::time::Duration::ZERO)
}

/// A duration in seconds: a finite, non-negative number.
pub(super) fn parse_seconds(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
        _ => Err(format!(
            "{value:?} is not a number of seconds (e.g. 20 or 1.5)"
        )),
    }
}

pub(super) fn parse_days(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(d) if d.is_finite() && d > 0.0 => Ok(d),
        _ => Err(format!(
            "{value:?} is not a number of days greater than 0 (e.g. 400 or 0.5)"
        )),
    }
}

/// A secret in `Debug`: whether it is set, never what it is.
pub(super) fn secret(value: &Option<String>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    match value {
        Some(_) => f.write_str("Some(\"***\")"),
        None => f.write_str("None"),
    }
}

// custom_debug hands the field as it is typed.
#[allow(clippy::ptr_arg)]
pub(super) fn url_without_password(
    url: &String,
    f: &mut std::fmt::Formatter<'_>,
) -> std::fmt::Result {
    write!(f, "{:?}", crate::storage::redacted_url(url))
}

/// The control-plane fees of AKS's paid tiers, per cluster-hour, and when they were taken.
#[derive(Debug, Clone, PartialEq)]
pub struct TierFees {
    pub fees: Vec<(String, f64)>,
    pub taken: String,
}

impl TierFees {
    /// The AKS pricing page's USD fees, as taken on the date below.
    pub fn azure_usd() -> Self {
        Self {
            fees: vec![("standard".into(), 0.10), ("premium".into(), 0.60)],
            taken: "2025-06-01".into(),
        }
    }
}

pub(super) fn parse_tier_fees(value: &str) -> Result<TierFees, String> {
    let rule = "standard=FEE,premium=FEE@YYYY-MM-DD (fees per cluster-hour)";
    let (list, taken) = value
        .split_once('@')
        .ok_or_else(|| format!("{value:?} has no date: {rule}"))?;
    let taken = taken.trim();
    let date_like = taken.len() == 10
        && taken.chars().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !date_like {
        return Err(format!("{taken:?} is not a date: {rule}"));
    }
    let mut fees = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (tier, fee) = entry
            .split_once('=')
            .ok_or_else(|| format!("{entry:?}: {rule}"))?;
        let tier = tier.trim().to_ascii_lowercase();
        if !matches!(tier.as_str(), "standard" | "premium") {
            return Err(format!(
                "{tier:?} is not a paid AKS tier (standard, premium)"
            ));
        }
        let fee: f64 = fee
            .trim()
            .parse()
            .ok()
            .filter(|f: &f64| f.is_finite() && *f >= 0.0)
            .ok_or_else(|| format!("{fee:?} is not a fee: {rule}"))?;
        fees.push((tier, fee));
    }
    Ok(TierFees {
        fees,
        taken: taken.to_owned(),
    })
}

/// Azure's Retail Prices API.
pub const AZURE_RETAIL_PRICES: &str = "https://prices.azure.com/api/retail/prices";

/// The currencies Azure's Retail Prices API documents.
pub const PRICE_CURRENCIES: [&str; 17] = [
    "USD", "AUD", "BRL", "CAD", "CHF", "CNY", "DKK", "EUR", "GBP", "INR", "JPY", "KRW", "NOK",
    "NZD", "RUB", "SEK", "TWD",
];

pub(super) fn parse_currency(value: &str) -> Result<String, String> {
    let code = value.trim().to_ascii_uppercase();
    if PRICE_CURRENCIES.contains(&code.as_str()) {
        Ok(code)
    } else {
        Err(format!(
            "{value:?} is not a currency of the Retail Prices API (one of {})",
            PRICE_CURRENCIES.join(", ")
        ))
    }
}

/// A multiplier: a finite, non-negative number.
pub(super) fn parse_factor(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 0.0 => Ok(f),
        _ => Err(format!("{value:?} is not a non-negative number (e.g. 10)")),
    }
}

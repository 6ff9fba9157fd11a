//! What a cluster costs: the price estimate of a request at pay-as-you-go prices, and how
//! amounts are written for people (integer formatting, no float formatter in the bundle).

use serde::{Deserialize, Serialize};

/// An amount as people read it: `420.48 USD`.
pub fn money(amount: f64, currency: &str) -> String {
    format!("{} {currency}", decimal(amount, 2))
}

/// `amount` with `places` decimals (rounded half away from zero), written from a whole number
/// of hundredths (or ten-thousandths, …): integer formatting, which every page already carries,
/// instead of the float formatter (14 KB of the browser bundle, used for nothing else).
pub fn decimal(amount: f64, places: u32) -> String {
    let scale = 10_i64.pow(places);
    // `as` saturates: an amount past i64 is no price.
    let scaled = (amount * scale as f64).round() as i64;
    let sign = if scaled < 0 { "-" } else { "" };
    let whole = scaled.unsigned_abs();
    let scale = scale as u64;
    if places == 0 {
        return format!("{sign}{whole}");
    }
    format!(
        "{sign}{}.{:0width$}",
        whole / scale,
        whole % scale,
        width = places as usize
    )
}

/// Hours in a month, as Azure's price calculator counts them.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// `GET /api/aks/price-estimate`: what a request's node pools (and its control plane) cost at
/// Azure's pay-as-you-go Linux prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PriceEstimate {
    pub currency: String,
    pub hourly: f64,
    /// `hourly` × 730.
    pub monthly: f64,
    pub pools: Vec<PoolPrice>,
    /// The control-plane fee of the cluster's tier (`free`: 0).
    pub control_plane_hourly: f64,
    /// `free`, `standard` or `premium`; the dashboard creates `free` clusters.
    #[serde(default = "free_tier")]
    pub tier: String,
    /// When the oldest price used was read from the price list (RFC 3339).
    pub prices_as_of: String,
    /// `azure` (the Retail Prices API) or `simulated` (the embedded simulator's fictional list).
    pub source: String,
    /// A price used is older than the cache keeps prices fresh: the price list did not answer.
    pub stale: bool,
    /// Seconds since the oldest price used was read.
    #[serde(default)]
    pub age_seconds: u64,
    /// What the estimate leaves out.
    #[serde(default)]
    pub excludes: String,
    /// Where the control-plane fee came from when not from the price list (a configured fee
    /// and the date it was taken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane_note: Option<String>,
}

fn free_tier() -> String {
    "free".to_owned()
}

/// One node pool of a [`PriceEstimate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PoolPrice {
    pub name: String,
    pub vm_size: String,
    pub count: u32,
    /// The size's pay-as-you-go Linux price per hour.
    pub unit_hourly: f64,
    pub hourly: f64,
    pub monthly: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_to_their_places_without_float_formatting() {
        assert_eq!(money(420.48, "USD"), "420.48 USD");
        assert_eq!(money(562.0999999999999, "EUR"), "562.10 EUR");
        assert_eq!(money(0.0, "USD"), "0.00 USD");
        assert_eq!(decimal(-292.0, 2), "-292.00");
        assert_eq!(decimal(-0.001, 2), "0.00");
        assert_eq!(decimal(0.005, 2), "0.01");
        assert_eq!(decimal(0.2192, 4), "0.2192");
        assert_eq!(decimal(1234.5, 0), "1235");
        for x in [0.1, 1.25, 1686.3, 73.0, 0.0438, 420.48] {
            assert_eq!(decimal(x, 2), format!("{x:.2}"), "{x}");
        }
    }
}

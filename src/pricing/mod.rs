//! What a cluster will cost: the pay-as-you-go Linux price of each node pool's VM size from
//! Azure's Retail Prices API ([`retail`]), and the control-plane fee of the cluster's tier.
//!
//! Prices are read once per (region, size, currency) and kept for a day (`PRICE_CACHE_SECONDS`):
//! concurrent first reads share one call to the price list, an entry past three quarters of its
//! life is read again in the background, and when the price list does not answer, the last
//! prices read are served marked `stale` with their age — for up to a week, after which the
//! estimate is unavailable. An estimate never blocks a pre-flight or a create.

pub mod retail;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::domain::{
    HOURS_PER_MONTH, PoolPrice, PriceEstimate, ProvisionRequest, SYSTEM_POOL, USER_POOL,
};
use retail::{PriceError, RetailPrices};

/// What an estimate leaves out, said once wherever it is shown.
pub const EXCLUDES: &str = "Excludes OS disks, egress, load balancers, public IPs, and savings \
                            plans or reservations.";

/// Prices kept at most (each key is a region × size or tier): a bound, not a working set.
const MAX_KEYS: u64 = 20_000;
/// A price is served stale for up to this many times its fresh life (a day: a week).
const STALE_FOR_LIVES: u32 = 7;

/// The AKS tiers, by the name the API takes.
pub const TIERS: [&str; 3] = ["free", "standard", "premium"];

/// How the price book is set up.
#[derive(Debug, Clone)]
pub struct PricingConfig {
    /// `RETAIL_PRICES_ENDPOINT`.
    pub endpoint: String,
    /// `PRICE_CURRENCY`, e.g. `USD` or `EUR`.
    pub currency: String,
    /// `azure` or `simulated`.
    pub source: &'static str,
    /// How long a price read is fresh.
    pub fresh_for: Duration,
    /// How long an estimate waits for the price list before it answers without it.
    pub wait: Duration,
    /// Reads per second this server may spend on the price list.
    pub reads_per_second: f64,
    /// The paid tiers' fees for a region the price list gives none (`AKS_TIER_FEES`), in
    /// `currency`; `None`: none known.
    pub tier_fees: Option<crate::config::TierFees>,
}

/// Why there is no estimate.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EstimateError {
    /// The price list does not list this size (or tier) in this region: the named field is
    /// wrong for it.
    #[error("{message}")]
    NotListed {
        field: &'static str,
        message: String,
    },
    /// The price list did not answer in time, and no earlier prices are kept.
    #[error("{0}")]
    Unavailable(String),
}

/// One price as read, or "not listed".
#[derive(Debug, Clone)]
struct Read {
    /// Per hour; `None`: the price list does not list it.
    hourly: Option<f64>,
    /// Seconds since the Unix epoch.
    read_at: u64,
}

type Key = (String, String, String);

/// The shared price book. Cheap to clone.
#[derive(Clone)]
pub struct PriceBook {
    inner: Arc<Inner>,
}

struct Inner {
    retail: RetailPrices,
    config: PricingConfig,
    /// `(region, "vm:SIZE", currency)` → the VM size's price; `(region, "aks:TIER", currency)`
    /// → the tier's fee; for as long as they are fresh.
    fresh: moka::future::Cache<Key, Arc<Read>>,
    /// The last price read of each key, for as long as it may be served stale.
    last_read: moka::future::Cache<Key, Arc<Read>>,
    /// Keys being read again in the background, so one refresh runs per key.
    refreshing: Mutex<HashSet<Key>>,
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl PriceBook {
    pub fn new(config: PricingConfig) -> Result<Self, String> {
        let retail = RetailPrices::new(
            &config.endpoint,
            Duration::from_secs(20),
            config.reads_per_second,
        )?;
        let fresh = moka::future::Cache::builder()
            .max_capacity(MAX_KEYS)
            .time_to_live(config.fresh_for)
            .build();
        let last_read = moka::future::Cache::builder()
            .max_capacity(MAX_KEYS)
            .time_to_live(config.fresh_for.saturating_mul(STALE_FOR_LIVES))
            .build();
        Ok(Self {
            inner: Arc::new(Inner {
                retail,
                config,
                fresh,
                last_read,
                refreshing: Mutex::new(HashSet::new()),
            }),
        })
    }

    pub fn currency(&self) -> &str {
        &self.inner.config.currency
    }

    /// The estimate of `req`'s pools and the control plane of `tier`.
    pub async fn estimate(
        &self,
        req: &ProvisionRequest,
        tier: &str,
    ) -> Result<PriceEstimate, EstimateError> {
        let pools = [
            (
                SYSTEM_POOL,
                "system_vm_size",
                &req.system_vm_size,
                req.system_node_count,
            ),
            (USER_POOL, "node_sku", &req.node_sku, req.node_count),
        ];
        let sizes: Vec<String> = pools
            .iter()
            .map(|(_, _, size, _)| format!("vm:{}", size.to_ascii_lowercase()))
            .collect();
        let reads = sizes.iter().map(|size| self.price(&req.region, size));
        let fee = async {
            if tier == "free" {
                Ok(None)
            } else {
                self.price(&req.region, &format!("aks:{tier}"))
                    .await
                    .map(Some)
            }
        };
        let (reads, fee) = tokio::join!(futures_util::future::join_all(reads), fee);
        let now = now_s();
        let mut oldest = now;
        let mut priced = Vec::new();
        for ((name, field, size, count), read) in pools.iter().zip(reads) {
            let read = read?;
            let Some(unit) = read.hourly else {
                return Err(EstimateError::NotListed {
                    field,
                    message: format!(
                        "The price list has no pay-as-you-go Linux price for {size} in {}.",
                        req.region
                    ),
                });
            };
            oldest = oldest.min(read.read_at);
            let hourly = unit * f64::from(*count);
            priced.push(PoolPrice {
                name: (*name).to_owned(),
                vm_size: (*size).clone(),
                count: *count,
                unit_hourly: unit,
                hourly: round_to(hourly, 4),
                monthly: round_to(hourly * HOURS_PER_MONTH, 2),
            });
        }
        let mut control_plane_note = None;
        let control_plane_hourly = match fee? {
            None => 0.0,
            Some(read) => match read.hourly {
                Some(fee) => {
                    oldest = oldest.min(read.read_at);
                    fee
                }
                None => {
                    let (fee, taken) =
                        self.fallback_fee(tier)
                            .ok_or_else(|| EstimateError::NotListed {
                                field: "tier",
                                message: format!(
                                    "The price list has no {tier} tier fee for {} in {}, and \
                                     AKS_TIER_FEES gives none.",
                                    req.region,
                                    self.currency()
                                ),
                            })?;
                    control_plane_note = Some(format!(
                        "The {tier} tier's fee as configured (AKS_TIER_FEES, taken {taken}): the \
                         price list gives none for {}.",
                        req.region
                    ));
                    fee
                }
            },
        };
        let hourly: f64 = priced.iter().map(|p| p.hourly).sum::<f64>() + control_plane_hourly;
        let age = now.saturating_sub(oldest);
        Ok(PriceEstimate {
            currency: self.currency().to_owned(),
            hourly: round_to(hourly, 4),
            monthly: round_to(hourly * HOURS_PER_MONTH, 2),
            pools: priced,
            control_plane_hourly,
            tier: tier.to_owned(),
            prices_as_of: rfc3339(oldest),
            source: self.inner.config.source.to_owned(),
            stale: age >= self.inner.config.fresh_for.as_secs(),
            age_seconds: age,
            excludes: EXCLUDES.to_owned(),
            control_plane_note,
        })
    }

    /// The configured fee of `tier` and the date it was taken.
    fn fallback_fee(&self, tier: &str) -> Option<(f64, String)> {
        let fees = self.inner.config.tier_fees.as_ref()?;
        let (_, fee) = fees.fees.iter().find(|(t, _)| t == tier)?;
        Some((*fee, fees.taken.clone()))
    }

    /// One price: the fresh one (read again in the background late in its life); else read
    /// now, once for every concurrent caller, waiting at most the configured time; else the
    /// last one read, stale.
    async fn price(&self, region: &str, what: &str) -> Result<Arc<Read>, EstimateError> {
        let key = (
            region.to_ascii_lowercase(),
            what.to_owned(),
            self.currency().to_owned(),
        );
        if let Some(read) = self.inner.fresh.get(&key).await {
            let fresh_for = self.inner.config.fresh_for.as_secs();
            if now_s().saturating_sub(read.read_at) >= fresh_for / 4 * 3 {
                self.refresh_in_background(key);
            }
            return Ok(read);
        }
        // In a task of its own, so that the answer is kept even when this caller stops waiting.
        let book = self.clone();
        let reading = {
            let key = key.clone();
            tokio::spawn(async move {
                let fetching = book.clone();
                let init_key = key.clone();
                book.inner
                    .fresh
                    .try_get_with(key, async move { fetching.fetch(&init_key).await })
                    .await
            })
        };
        let why = match tokio::time::timeout(self.inner.config.wait, reading).await {
            Ok(Ok(Ok(read))) => return Ok(read),
            Ok(Ok(Err(err))) => err.to_string(),
            Ok(Err(_)) => "the read was stopped".to_owned(),
            Err(_) => "it did not answer in time".to_owned(),
        };
        match self.inner.last_read.get(&key).await {
            Some(read) => Ok(read),
            None => Err(unavailable(&why)),
        }
    }

    fn refresh_in_background(&self, key: Key) {
        {
            let mut refreshing = self
                .inner
                .refreshing
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if !refreshing.insert(key.clone()) {
                return;
            }
        }
        let book = self.clone();
        tokio::spawn(async move {
            match book.fetch(&key).await {
                Ok(read) => book.keep(&key, read).await,
                Err(err) => tracing::debug!(error = %err, "price refresh failed; kept the last"),
            }
            book.inner
                .refreshing
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&key);
        });
    }

    /// Asks the price list.
    async fn fetch(&self, key: &Key) -> Result<Arc<Read>, PriceError> {
        let (region, what, currency) = key;
        let retail = &self.inner.retail;
        let hourly = if let Some(tier) = what.strip_prefix("aks:") {
            let items = retail.aks_meters(region, currency).await?;
            retail::control_plane_fee(&items, tier).map(|i| i.retail_price)
        } else {
            let size = what.strip_prefix("vm:").unwrap_or(what);
            let items = retail.vm_meters(region, &arm_size(size), currency).await?;
            retail::linux_pay_as_you_go(&items, region, size).map(|i| i.retail_price)
        };
        tracing::debug!(%region, %what, %currency, ?hourly, "price read from the price list");
        let read = Arc::new(Read {
            hourly,
            read_at: now_s(),
        });
        self.inner.last_read.insert(key.clone(), read.clone()).await;
        Ok(read)
    }

    async fn keep(&self, key: &Key, read: Arc<Read>) {
        self.inner.fresh.insert(key.clone(), read.clone()).await;
        self.inner.last_read.insert(key.clone(), read).await;
    }
}

fn unavailable(why: &str) -> EstimateError {
    EstimateError::Unavailable(format!(
        "Estimate unavailable: the price list could not be read ({why}). Creating is not affected."
    ))
}

/// `standard_d4s_v3` → `Standard_D4s_v3`, as the price list spells sizes (its filter values
/// are case-sensitive).
fn arm_size(lower: &str) -> String {
    crate::domain::validation::KNOWN_VM_SIZES
        .iter()
        .map(|(name, _, _)| *name)
        .find(|name| name.eq_ignore_ascii_case(lower))
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let mut parts: Vec<String> = lower.split('_').map(str::to_owned).collect();
            if let Some(first) = parts.first_mut() {
                *first = capitalise(first);
            }
            if let Some(second) = parts.get_mut(1) {
                *second = capitalise(second);
            }
            parts.join("_")
        })
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `value` rounded to `places` decimals (money: 2; hourly rates: 4).
pub fn round_to(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

fn rfc3339(seconds: u64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_spelt_as_the_price_list_spells_them() {
        assert_eq!(arm_size("standard_d4s_v3"), "Standard_D4s_v3");
        assert_eq!(arm_size("standard_e8s_v5"), "Standard_E8s_v5");
    }

    #[test]
    fn money_is_rounded_to_its_places() {
        assert_eq!(round_to(0.192 * 3.0 * HOURS_PER_MONTH, 2), 420.48);
        assert_eq!(round_to(0.1234567, 4), 0.1235);
    }
}

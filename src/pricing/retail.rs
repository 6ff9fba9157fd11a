//! Azure's Retail Prices API: `GET https://prices.azure.com/api/retail/prices`, public and
//! without sign-in. An OData `$filter` narrows the meters (`serviceName`, `armRegionName`,
//! `armSkuName`, `priceType`), `currencyCode='EUR'` asks for another currency, and an answer holds
//! at most 100 items with a `NextPageLink` to the rest.
//!
//! A VM size has several meters in a region: the Linux and Windows pay-as-you-go ones, Spot and
//! Low Priority ones, Dev/Test ones and reservations. A node pool of AKS runs Linux at the
//! pay-as-you-go price: [`linux_pay_as_you_go`] picks that one.

use std::time::Duration;

use serde::Deserialize;

use crate::jobs::read_budget::ReadBudget;

/// One answer page.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PricePage {
    #[serde(default)]
    pub billing_currency: Option<String>,
    #[serde(default)]
    pub items: Vec<PriceItem>,
    #[serde(default)]
    pub next_page_link: Option<String>,
}

/// One meter's price, as the API lists it (the fields the dashboard reads).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceItem {
    #[serde(default)]
    pub currency_code: String,
    pub retail_price: f64,
    #[serde(default)]
    pub arm_region_name: String,
    #[serde(default)]
    pub arm_sku_name: String,
    #[serde(default)]
    pub product_name: String,
    #[serde(default)]
    pub sku_name: String,
    #[serde(default)]
    pub meter_name: String,
    #[serde(default)]
    pub service_name: String,
    #[serde(default)]
    pub unit_of_measure: String,
    /// `Consumption`, `DevTestConsumption` or `Reservation`.
    #[serde(default, rename = "type")]
    pub price_type: String,
    #[serde(default)]
    pub effective_start_date: Option<String>,
    #[serde(default)]
    pub is_primary_meter_region: Option<bool>,
}

fn mentions(item: &PriceItem, word: &str) -> bool {
    [&item.sku_name, &item.meter_name, &item.product_name]
        .iter()
        .any(|text| text.to_ascii_lowercase().contains(word))
}

/// The pay-as-you-go Linux price per hour of `size` in `region` among `items`: the
/// `Consumption` meter by the hour, not Spot, not Low Priority, not Windows. Where several
/// remain, the primary meter region's and then the newest one.
pub fn linux_pay_as_you_go<'a>(
    items: &'a [PriceItem],
    region: &str,
    size: &str,
) -> Option<&'a PriceItem> {
    items
        .iter()
        .filter(|i| i.price_type == "Consumption")
        .filter(|i| i.unit_of_measure.eq_ignore_ascii_case("1 Hour"))
        .filter(|i| i.arm_sku_name.eq_ignore_ascii_case(size))
        .filter(|i| i.arm_region_name.eq_ignore_ascii_case(region))
        .filter(|i| !mentions(i, "spot") && !mentions(i, "low priority"))
        .filter(|i| !mentions(i, "windows"))
        .filter(|i| i.retail_price >= 0.0)
        .max_by(|a, b| {
            let primary = |i: &PriceItem| i.is_primary_meter_region.unwrap_or(true);
            primary(a).cmp(&primary(b)).then_with(|| {
                a.effective_start_date
                    .as_deref()
                    .unwrap_or("")
                    .cmp(b.effective_start_date.as_deref().unwrap_or(""))
            })
        })
}

/// The control-plane fee per hour of an AKS `tier` (`standard` or `premium`) among the
/// `Azure Kubernetes Service` meters of a region.
pub fn control_plane_fee<'a>(items: &'a [PriceItem], tier: &str) -> Option<&'a PriceItem> {
    items
        .iter()
        .filter(|i| i.price_type == "Consumption")
        .filter(|i| i.unit_of_measure.eq_ignore_ascii_case("1 Hour"))
        .filter(|i| i.sku_name.eq_ignore_ascii_case(tier))
        .find(|i| !mentions(i, "spot"))
}

/// Why prices could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PriceError {
    #[error("the price list could not be reached: {0}")]
    Unreachable(String),
    #[error("the price list answered {0}")]
    Status(u16),
    #[error("the price list's answer could not be read: {0}")]
    Unreadable(String),
}

/// At most this many pages per question (a filtered question has one or two).
const MAX_PAGES: usize = 20;

/// The most a page may weigh: a page holds at most 100 items of about 1 KB.
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// A client of the Retail Prices API.
pub struct RetailPrices {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    /// Reads this server may spend on the price list: a bucket like Azure's own throttling.
    budget: ReadBudget,
}

impl RetailPrices {
    pub fn new(endpoint: &str, timeout: Duration, per_second: f64) -> Result<Self, String> {
        let endpoint = reqwest::Url::parse(endpoint)
            .map_err(|e| format!("RETAIL_PRICES_ENDPOINT is not a URL ({e}): {endpoint}"))?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(format!(
                "RETAIL_PRICES_ENDPOINT must be an http(s) URL: {endpoint}"
            ));
        }
        // No redirects: a redirect could lead around the NextPageLink origin check.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .user_agent(concat!("aks-dashboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            endpoint,
            budget: ReadBudget::new(per_second, (per_second * 5.0).max(1.0)),
        })
    }

    /// The virtual machine meters of `size` in `region`, priced in `currency`.
    pub async fn vm_meters(
        &self,
        region: &str,
        size: &str,
        currency: &str,
    ) -> Result<Vec<PriceItem>, PriceError> {
        let filter = format!(
            "serviceName eq 'Virtual Machines' and armRegionName eq '{}' and armSkuName eq '{}' \
             and priceType eq 'Consumption'",
            odata_literal(region),
            odata_literal(size)
        );
        self.query(&filter, currency).await
    }

    /// The AKS meters of `region` (the control-plane fees of the paid tiers).
    pub async fn aks_meters(
        &self,
        region: &str,
        currency: &str,
    ) -> Result<Vec<PriceItem>, PriceError> {
        let filter = format!(
            "serviceName eq 'Azure Kubernetes Service' and armRegionName eq '{}' \
             and priceType eq 'Consumption'",
            odata_literal(region)
        );
        self.query(&filter, currency).await
    }

    /// Every item the filter selects, following `NextPageLink` (on the endpoint's own origin).
    async fn query(&self, filter: &str, currency: &str) -> Result<Vec<PriceItem>, PriceError> {
        let mut url = self.endpoint.clone();
        url.query_pairs_mut()
            .append_pair("currencyCode", &format!("'{}'", odata_literal(currency)))
            .append_pair("$filter", filter);
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            self.budget.spend().await;
            let page = self.page(url.clone()).await?;
            items.extend(page.items);
            let Some(next) = page.next_page_link.filter(|l| !l.trim().is_empty()) else {
                return Ok(items);
            };
            let next = reqwest::Url::parse(&next)
                .map_err(|e| PriceError::Unreadable(format!("NextPageLink {next}: {e}")))?;
            if next.origin() != self.endpoint.origin() {
                return Err(PriceError::Unreadable(format!(
                    "NextPageLink leaves the price list: {next}"
                )));
            }
            url = next;
        }
        Err(PriceError::Unreadable(format!(
            "more than {MAX_PAGES} pages for one size"
        )))
    }

    async fn page(&self, url: reqwest::Url) -> Result<PricePage, PriceError> {
        let mut answer = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| PriceError::Unreachable(without_url(&e)))?;
        let status = answer.status();
        if !status.is_success() {
            return Err(PriceError::Status(status.as_u16()));
        }
        let too_large = || PriceError::Unreadable(format!("a page over {MAX_PAGE_BYTES} bytes"));
        if answer
            .content_length()
            .is_some_and(|n| n > MAX_PAGE_BYTES as u64)
        {
            return Err(too_large());
        }
        // Read a chunk at a time, so that a page without a length (or lying about it) stops at
        // the bound instead of filling memory.
        let mut body = Vec::new();
        while let Some(chunk) = answer
            .chunk()
            .await
            .map_err(|e| PriceError::Unreachable(without_url(&e)))?
        {
            if body.len() + chunk.len() > MAX_PAGE_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| PriceError::Unreadable(e.to_string()))
    }
}

/// A quote inside an OData string literal is doubled.
fn odata_literal(value: &str) -> String {
    value.replace('\'', "''")
}

/// reqwest's message without the URL (it carries the whole filter).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection refused or failed"
    } else {
        "the connection broke"
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PricePage {
        let path = format!(
            "{}/tests/fixtures/retail-prices/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("fixture");
        serde_json::from_str(&text).expect("a page of the Retail Prices API")
    }

    #[test]
    fn the_linux_pay_as_you_go_meter_is_picked_among_spot_low_priority_and_windows() {
        let page = fixture("d4s-v3-eastus-usd.json");
        assert!(page.items.len() >= 4, "the page lists the other meters too");
        let picked = linux_pay_as_you_go(&page.items, "eastus", "Standard_D4s_v3").expect("listed");
        assert_eq!(picked.retail_price, 0.192);
        assert_eq!(picked.sku_name, "D4s v3");
        assert_eq!(picked.product_name, "Virtual Machines DSv3 Series");
    }

    #[test]
    fn dev_test_and_reservation_meters_are_not_pay_as_you_go() {
        let page = fixture("f16s-westeurope-documented.json");
        // The page holds only a Windows Spot Dev/Test meter and a reservation: nothing fits.
        assert_eq!(
            linux_pay_as_you_go(&page.items, "westeurope", "Standard_F16s"),
            None
        );
    }

    #[test]
    fn another_currency_is_read_as_the_api_gives_it() {
        let page = fixture("d4s-v3-westeurope-eur.json");
        assert_eq!(page.billing_currency.as_deref(), Some("EUR"));
        let picked =
            linux_pay_as_you_go(&page.items, "westeurope", "Standard_D4s_v3").expect("listed");
        assert_eq!(picked.currency_code, "EUR");
        assert!(picked.retail_price > 0.0);
    }

    #[test]
    fn pages_link_to_the_next_one_until_the_last() {
        let first = fixture("paged-1.json");
        let last = fixture("paged-2.json");
        assert!(
            first
                .next_page_link
                .as_deref()
                .is_some_and(|l| l.contains("$skip="))
        );
        assert_eq!(last.next_page_link, None);
        let all: Vec<PriceItem> = first.items.into_iter().chain(last.items).collect();
        let picked = linux_pay_as_you_go(&all, "westeurope", "Standard_E16s_v5").expect("listed");
        assert_eq!(picked.sku_name, "E16s v5");
    }

    #[test]
    fn the_paid_tiers_fees_come_from_the_aks_meters() {
        let page = fixture("aks-eastus-usd.json");
        let standard = control_plane_fee(&page.items, "standard").expect("listed");
        assert_eq!(standard.retail_price, 0.1);
        let premium = control_plane_fee(&page.items, "premium").expect("listed");
        assert_eq!(premium.retail_price, 0.6);
        assert_eq!(control_plane_fee(&page.items, "free"), None);
    }

    /// A price list on a random local port that answers every page with `answer`.
    async fn price_list(answer: axum::routing::MethodRouter) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = axum::Router::new().route("/api/retail/prices", answer);
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/api/retail/prices")
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed() {
        let endpoint = price_list(axum::routing::get(|| async {
            axum::response::Redirect::temporary("https://prices.example/elsewhere")
        }))
        .await;
        let prices = RetailPrices::new(&endpoint, Duration::from_secs(5), 0.0).expect("client");
        let refused = prices
            .vm_meters("eastus", "Standard_D4s_v3", "USD")
            .await
            .expect_err("not followed");
        assert!(matches!(refused, PriceError::Status(307)), "{refused:?}");
    }

    #[tokio::test]
    async fn a_page_over_four_megabytes_is_refused_with_or_without_a_length() {
        let big = || format!(r#"{{"Items":[],"pad":"{}"}}"#, "x".repeat(MAX_PAGE_BYTES));
        let with_length = price_list(axum::routing::get(move || async move { big() })).await;
        let streamed = price_list(axum::routing::get(move || async move {
            let chunks = (0..5).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024 * 1024]));
            axum::body::Body::from_stream(futures_util::stream::iter(chunks))
        }))
        .await;
        for endpoint in [with_length, streamed] {
            let prices = RetailPrices::new(&endpoint, Duration::from_secs(5), 0.0).expect("client");
            let refused = prices
                .vm_meters("eastus", "Standard_D4s_v3", "USD")
                .await
                .expect_err("too large");
            assert!(
                refused.to_string().contains("over 4194304 bytes"),
                "{refused}"
            );
        }
    }

    #[test]
    fn quotes_in_literals_are_doubled() {
        assert_eq!(odata_literal("o'brien"), "o''brien");
    }
}

//! The simulator's Retail Prices API (`GET /api/retail/prices`), so that a fresh machine and
//! the tests estimate costs offline. Same shape as Azure's (`BillingCurrency`, `Items`,
//! `NextPageLink`, `Count`), same OData `$filter` of `field eq 'value'` clauses joined by
//! `and` (values compared case-sensitively, as the API does since 2023-01-01-preview), same
//! `currencyCode='EUR'`, and no sign-in. Small pages (three items), so that every answer pages.
//!
//! The prices are fictional and look it: round per-vCPU rates by family, a factor per region, a
//! factor per currency. A size is listed in a region whose catalog gives its family a quota.
//! Each size has the meters Azure lists beside the one that matters (Windows, Spot, Low
//! Priority), so that the client's meter picking is exercised. Faults: `retail_prices`.

use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::time::Instant;

use super::Shared;
use super::catalog::Catalog;
use super::faults::ArmOperation;

/// Items per page.
const PAGE_SIZE: usize = 3;

/// Fictional pay-as-you-go Linux USD per vCPU-hour, by quota family.
fn per_vcpu(family: &str) -> f64 {
    match family.to_ascii_lowercase().as_str() {
        "standarddsv3family" => 0.05,
        "standardesv5family" => 0.07,
        "standardncadsa100v4family" => 0.15,
        _ => 0.06,
    }
}

fn region_factor(region: &str) -> f64 {
    match region {
        "eastus" => 1.0,
        "westeurope" => 1.1,
        "koreacentral" => 1.05,
        _ => 1.0,
    }
}

/// Fictional rates for the currencies Azure's API documents.
fn currency_factor(code: &str) -> Option<f64> {
    Some(match code {
        "USD" => 1.0,
        "EUR" => 0.9,
        "GBP" => 0.8,
        "CHF" => 0.9,
        "AUD" => 1.5,
        "CAD" => 1.4,
        "BRL" => 5.0,
        "CNY" => 7.0,
        "DKK" => 7.0,
        "INR" => 80.0,
        "JPY" => 150.0,
        "KRW" => 1300.0,
        "NOK" => 10.0,
        "NZD" => 1.6,
        "RUB" => 90.0,
        "SEK" => 10.0,
        "TWD" => 30.0,
        _ => return None,
    })
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

fn item(
    currency: &str,
    price: f64,
    region: &str,
    arm_sku: &str,
    sku: &str,
    product: &str,
    service: &str,
) -> Value {
    json!({
        "currencyCode": currency,
        "tierMinimumUnits": 0.0,
        "retailPrice": round6(price),
        "unitPrice": round6(price),
        "armRegionName": region,
        "location": format!("Simulated {region}"),
        "effectiveStartDate": "2026-01-01T00:00:00Z",
        "meterId": format!("5151a7ed-0000-0000-0000-{:012}", arm_sku.len() * 1000 + sku.len()),
        "meterName": sku,
        "productId": "SIMULATED",
        "skuId": "SIMULATED/0001",
        "productName": product,
        "skuName": sku,
        "serviceName": service,
        "serviceId": "SIMULATED",
        "serviceFamily": "Compute",
        "unitOfMeasure": "1 Hour",
        "type": "Consumption",
        "isPrimaryMeterRegion": true,
        "armSkuName": arm_sku,
    })
}

/// Every meter of the simulated world, in `currency`.
fn price_list(catalog: &Catalog, currency: &str, factor: f64) -> Vec<Value> {
    let mut items = Vec::new();
    for region in catalog.regions() {
        let r = region_factor(&region.name) * factor;
        for size in catalog.vm_sizes() {
            if region.family(&size.family).is_none() {
                continue;
            }
            let linux = per_vcpu(&size.family) * f64::from(size.vcpus) * r;
            // `Standard_D4s_v3` → `D4s v3`, as Azure names the meter.
            let short = size
                .name
                .trim_start_matches("Standard_")
                .replacen('_', " ", 1)
                .replace('_', " ");
            let series = format!("Virtual Machines {} Series", size.family);
            let windows = format!("{series} Windows");
            let vm = "Virtual Machines";
            let (name, region_name) = (size.name.as_str(), region.name.as_str());
            items.push(item(
                currency,
                linux * 1.8,
                region_name,
                name,
                &short,
                &windows,
                vm,
            ));
            items.push(item(
                currency,
                linux * 0.2,
                region_name,
                name,
                &format!("{short} Spot"),
                &series,
                vm,
            ));
            items.push(item(
                currency,
                linux * 0.25,
                region_name,
                name,
                &format!("{short} Low Priority"),
                &series,
                vm,
            ));
            items.push(item(
                currency,
                linux,
                region_name,
                name,
                &short,
                &series,
                vm,
            ));
        }
        let aks = "Azure Kubernetes Service";
        for (tier, fee) in [("Standard", 0.10), ("Premium", 0.60)] {
            items.push(item(
                currency,
                fee * factor,
                &region.name,
                "",
                tier,
                aks,
                aks,
            ));
        }
    }
    items
}

/// `field eq 'value'` clauses joined by `and`; `None` for anything else.
fn parse_filter(filter: &str) -> Option<Vec<(String, String)>> {
    let mut clauses = Vec::new();
    let mut rest = filter.trim();
    while !rest.is_empty() {
        let (field, after) = rest.split_once(char::is_whitespace)?;
        let after = after.trim_start();
        let after = after
            .strip_prefix("eq ")
            .or_else(|| after.strip_prefix("Eq "))?;
        let after = after.trim_start().strip_prefix('\'')?;
        // A doubled quote is a quote inside the literal.
        let mut value = String::new();
        let mut chars = after.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                    value.push('\'');
                    continue;
                }
                end = Some(i + 1);
                break;
            }
            value.push(c);
        }
        clauses.push((field.to_owned(), value));
        rest = after[end?..].trim_start();
        if rest.is_empty() {
            break;
        }
        let (joiner, after) = rest.split_once(char::is_whitespace)?;
        if !joiner.eq_ignore_ascii_case("and") {
            return None;
        }
        rest = after.trim_start();
    }
    Some(clauses)
}

/// The item's field a filter names (`priceType` is the item's `type`).
fn field_of<'a>(item: &'a Value, field: &str) -> Option<&'a str> {
    let name = match field {
        "priceType" => "type",
        "Location" => "location",
        "productid" => "productId",
        other => other,
    };
    item.get(name).and_then(Value::as_str)
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"Error": {"Code": "BadRequest", "Message": message}})),
    )
        .into_response()
}

/// `GET /api/retail/prices`.
pub async fn retail_prices(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (fault, catalog) = {
        let mut world = shared.lock();
        let now = Instant::now();
        world.advance(now);
        *world
            .counters
            .requests
            .entry(ArmOperation::RetailPrices.as_str().to_owned())
            .or_default() += 1;
        let fault = world
            .faults
            .take_http(ArmOperation::RetailPrices, None, now);
        if fault.is_some() {
            world.counters.faults_fired += 1;
        }
        (fault, world.catalog.clone())
    };
    if let Some(fault) = &fault {
        if let Some(delay) = fault.delay() {
            tokio::time::sleep(delay).await;
        }
        if let Some(answer) = fault.answer().filter(|_| !fault.performs_call()) {
            return answer.into_response();
        }
    }
    let currency = query
        .get("currencyCode")
        .map(|c| c.trim_matches('\'').to_owned())
        .unwrap_or_else(|| "USD".to_owned());
    let Some(factor) = currency_factor(&currency) else {
        return bad_request(format!("Currency code '{currency}' is not supported."));
    };
    let clauses = match query.get("$filter") {
        Some(filter) => match parse_filter(filter) {
            Some(clauses) => clauses,
            None => return bad_request(format!("Invalid OData filter: {filter}")),
        },
        None => Vec::new(),
    };
    let skip: usize = match query.get("$skip").map(|s| s.parse()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return bad_request("$skip must be a whole number.".into()),
    };
    let selected: Vec<Value> = price_list(&catalog, &currency, factor)
        .into_iter()
        .filter(|item| {
            clauses
                .iter()
                .all(|(field, value)| field_of(item, field) == Some(value.as_str()))
        })
        .collect();
    let page: Vec<Value> = selected
        .iter()
        .skip(skip)
        .take(PAGE_SIZE)
        .cloned()
        .collect();
    let next = (skip + PAGE_SIZE < selected.len()).then(|| {
        let mut next = reqwest::Url::parse(&format!("{}{}", shared.base_url(), uri.path()))
            .expect("the simulator's own URL");
        {
            let mut pairs = next.query_pairs_mut();
            for (k, v) in query.iter().filter(|(k, _)| k.as_str() != "$skip") {
                pairs.append_pair(k, v);
            }
            pairs.append_pair("$skip", &(skip + PAGE_SIZE).to_string());
        }
        next.to_string()
    });
    axum::Json(json!({
        "BillingCurrency": currency,
        "CustomerEntityId": "Default",
        "CustomerEntityType": "Retail",
        "Items": page,
        "NextPageLink": next,
        "Count": page.len(),
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_clauses_joined_by_and() {
        let clauses = parse_filter(
            "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and armSkuName eq \
             'o''brien'",
        )
        .expect("a filter");
        assert_eq!(
            clauses,
            vec![
                ("serviceName".to_owned(), "Virtual Machines".to_owned()),
                ("armRegionName".to_owned(), "eastus".to_owned()),
                ("armSkuName".to_owned(), "o'brien".to_owned()),
            ]
        );
        assert_eq!(parse_filter("serviceName eq 'x' or a eq 'b'"), None);
        assert_eq!(parse_filter("serviceName gt 'x'"), None);
        assert_eq!(parse_filter("serviceName eq 'x"), None);
    }

    #[test]
    fn the_world_lists_its_sizes_where_their_family_has_quota() {
        let catalog = Catalog::default();
        let items = price_list(&catalog, "USD", 1.0);
        let linux = |region: &str, size: &str| {
            items
                .iter()
                .filter(|i| i["armRegionName"] == region && i["armSkuName"] == size)
                .filter(|i| {
                    let product = i["productName"].as_str().unwrap_or("");
                    let sku = i["skuName"].as_str().unwrap_or("");
                    !product.contains("Windows") && !sku.contains("Spot") && !sku.contains("Low")
                })
                .map(|i| i["retailPrice"].as_f64().unwrap_or(-1.0))
                .collect::<Vec<_>>()
        };
        assert_eq!(linux("eastus", "Standard_D4s_v3"), vec![0.2]);
        assert_eq!(linux("westeurope", "Standard_D4s_v3"), vec![0.22]);
        // East US gives the A100 family no quota: the price list does not list the size there.
        assert!(linux("eastus", "Standard_NC24ads_A100_v4").is_empty());
    }
}

//! What a cluster will cost (issue 28), through the simulator's Retail Prices API: the estimate
//! of a request, a size the price list does not have, the price list down (stale prices with
//! their age, then "unavailable" — never a failed pre-flight or a refused create), many users
//! at once causing one read of the price list, fixes carrying their difference, another currency.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, arm_requests, finished, provision_request};

fn estimate_path(region: &str, size: &str, count: u32) -> String {
    format!(
        "/api/aks/price-estimate?region={region}&node_sku={size}&node_count={count}\
         &system_vm_size=Standard_D2s_v3&system_node_count=1"
    )
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number: {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("{name} in {report}"))
}

async fn price_list_reads(app: &TestApp) -> u64 {
    arm_requests(&app.simulator.state::<Value>().await, "retail_prices")
}

#[tokio::test]
async fn an_estimate_prices_each_pool_at_the_linux_pay_as_you_go_rate() {
    let app = TestApp::spawn().await;
    let (status, e) = app
        .get("ana", &estimate_path("eastus", "Standard_D4s_v3", 3))
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["currency"], "USD");
    assert_eq!(e["source"], "simulated");
    assert_eq!(e["stale"], false);
    assert_eq!(e["tier"], "free");
    assert!(close(number(&e["control_plane_hourly"]), 0.0), "{e}");
    // The simulator's list: DSv3 at 0.05 per vCPU-hour in East US; its Windows, Spot and Low
    // Priority meters for the same sizes are not the price of a Linux node.
    let pools = e["pools"].as_array().expect("pools");
    assert_eq!(pools.len(), 2, "{e}");
    let user = pools
        .iter()
        .find(|p| p["name"] == "nodepool1")
        .expect("user");
    assert_eq!(user["vm_size"], "Standard_D4s_v3");
    assert_eq!(user["count"], 3);
    assert!(close(number(&user["unit_hourly"]), 0.2), "{e}");
    assert!(close(number(&user["monthly"]), 0.6 * 730.0), "{e}");
    let system = pools
        .iter()
        .find(|p| p["name"] == "system")
        .expect("system");
    assert!(close(number(&system["unit_hourly"]), 0.1), "{e}");
    assert!(close(number(&e["hourly"]), 0.7), "{e}");
    assert!(close(number(&e["monthly"]), 0.7 * 730.0), "{e}");
    assert!(
        e["prices_as_of"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{e}"
    );
    assert!(e["excludes"].as_str().is_some_and(|t| t.contains("egress")));

    // The region changes the price; a paid tier adds its control-plane fee.
    let (_, west) = app
        .get("ana", &estimate_path("westeurope", "Standard_D4s_v3", 3))
        .await;
    assert!(close(number(&west["monthly"]), 0.77 * 730.0), "{west}");
    let (_, standard) = app
        .get(
            "ana",
            &format!(
                "{}&tier=standard",
                estimate_path("eastus", "Standard_D4s_v3", 3)
            ),
        )
        .await;
    assert!(close(number(&standard["control_plane_hourly"]), 0.1));
    assert!(
        close(number(&standard["monthly"]), 0.8 * 730.0),
        "{standard}"
    );

    // Pre-flight carries the same estimate on its `cost` row.
    let (status, report) = app
        .post(
            "ana",
            "/api/aks/preflight",
            &provision_request("westeurope", "", "Standard_D4s_v3", 3),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let cost = row(&report, "cost");
    assert_eq!(cost["status"], "ok", "{cost}");
    assert!(close(number(&cost["details"]["monthly"]), 0.77 * 730.0));
    assert!(
        cost["message"]
            .as_str()
            .is_some_and(|m| m.contains("562.10 USD/month")),
        "{cost}"
    );
}

#[tokio::test]
async fn what_the_price_list_does_not_have_and_bad_input_are_400s_naming_the_field() {
    let app = TestApp::spawn().await;
    // East US gives the A100 family no quota in the simulated world: no price listed there.
    let (status, e) = app
        .get(
            "ana",
            &estimate_path("eastus", "Standard_NC24ads_A100_v4", 1),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["fields"]["node_sku"]
            .as_str()
            .is_some_and(|m| m.contains("Standard_NC24ads_A100_v4") && m.contains("eastus")),
        "{e}"
    );
    for (query, field) in [
        (estimate_path("eastus", "Standard_D4s_v3", 0), "node_count"),
        (estimate_path("mars", "Standard_D4s_v3", 1), "region"),
        (estimate_path("eastus", "Standard_X1", 1), "node_sku"),
        (
            format!(
                "{}&tier=gold",
                estimate_path("eastus", "Standard_D4s_v3", 1)
            ),
            "tier",
        ),
        (
            "/api/aks/price-estimate?region=eastus&node_sku=Standard_D4s_v3&node_count=x\
             &system_vm_size=Standard_D2s_v3&system_node_count=1"
                .to_owned(),
            "node_count",
        ),
        (
            "/api/aks/price-estimate?region=eastus&node_sku=Standard_D4s_v3&node_count=1"
                .to_owned(),
            "system_vm_size",
        ),
    ] {
        let (status, e) = app.get("ana", &query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {e}");
        assert!(e["fields"][field].is_string(), "{query}: {e}");
    }
    // A reader may look at prices (nothing is created).
    let status = app
        .http
        .get(app.url(&estimate_path("eastus", "Standard_D4s_v3", 1)))
        .header("X-Dev-User", "rita")
        .header("X-Dev-Roles", "reader")
        .send()
        .await
        .expect("get")
        .status();
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn many_users_asking_at_once_cause_one_read_of_the_price_list() {
    let app = TestApp::spawn().await;
    let before = price_list_reads(&app).await;
    let path = "/api/aks/price-estimate?region=koreacentral&node_sku=Standard_D8s_v3\
                &node_count=2&system_vm_size=Standard_D8s_v3&system_node_count=1";
    let asks = (0..20).map(|i| {
        let app = &app;
        async move { app.get(&format!("user{i}"), path).await }
    });
    let answers = futures_util::future::join_all(asks).await;
    for (status, e) in &answers {
        assert_eq!(*status, StatusCode::OK, "{e}");
        assert_eq!(e["monthly"], answers[0].1["monthly"]);
    }
    // One question about one size: four meters, in pages of three, so two page reads.
    assert_eq!(price_list_reads(&app).await - before, 2);
    // Asked again: kept.
    let (status, _) = app.get("user0", path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(price_list_reads(&app).await - before, 2);
}

#[tokio::test]
async fn with_the_price_list_down_prices_are_served_stale_then_unavailable_and_creating_goes_on() {
    let app = TestApp::builder()
        .configure(|c| c.price_cache_seconds = 1.0)
        .spawn()
        .await;
    let path = estimate_path("eastus", "Standard_D2s_v3", 2);
    let (status, fresh) = app.get("ana", &path).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(fresh["stale"], false);

    app.simulator
        .add_fault(json!({"operation": "retail_prices", "status": 503, "for_seconds": 120}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;

    // Kept prices past their freshness, the price list down: served, marked stale, with age.
    let (status, stale) = app.get("ana", &path).await;
    assert_eq!(status, StatusCode::OK, "{stale}");
    assert_eq!(stale["stale"], true, "{stale}");
    assert!(
        stale["age_seconds"].as_u64().is_some_and(|a| a >= 2),
        "{stale}"
    );
    assert_eq!(stale["monthly"], fresh["monthly"]);

    // Never read: no estimate, said as such.
    let never = estimate_path("westeurope", "Standard_E16s_v5", 1);
    let (status, e) = app.get("ana", &never).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{e}");
    assert_eq!(e["code"], "prices_unavailable");
    assert_eq!(e["retryable"], true);

    // Pre-flight still passes, with a warning on its cost row; the create is accepted.
    let mut req = provision_request("westeurope", "priced-out", "Standard_E16s_v5", 1);
    req["system_vm_size"] = "Standard_D2s_v3".into();
    let (status, report) = app.post("ana", "/api/aks/preflight", &req).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(row(&report, "cost")["status"], "warn", "{report}");
    assert!(
        row(&report, "cost")["message"]
            .as_str()
            .is_some_and(|m| m.contains("Estimate unavailable")),
        "{report}"
    );
    assert_eq!(report["ok"], true, "{report}");
    let (status, accepted) = app.post("ana", "/api/aks/provision", &req).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
}

#[tokio::test]
async fn a_fix_says_what_its_request_costs_against_the_request_it_corrects() {
    let app = TestApp::spawn().await;
    // East US has 6 vCPUs free: 3 × D4s_v3 + the system pool do not fit.
    let req = provision_request("eastus", "", "Standard_D4s_v3", 3);
    let (status, report) = app.post("ana", "/api/aks/preflight", &req).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let quota = row(&report, "quota");
    assert_eq!(quota["status"], "fail", "{report}");
    let fixes = quota["fixes"].as_array().expect("fixes");
    let count_fix = fixes
        .iter()
        .find(|f| f["kind"] == "node_count")
        .expect("a node count fix");
    let fixed = &count_fix["request"];
    let (_, before) = app
        .get("ana", &estimate_path("eastus", "Standard_D4s_v3", 3))
        .await;
    let (_, after) = app
        .get(
            "ana",
            &estimate_path(
                "eastus",
                fixed["node_sku"].as_str().expect("size"),
                u32::try_from(fixed["node_count"].as_u64().expect("count")).expect("count"),
            ),
        )
        .await;
    let cost = &count_fix["cost"];
    assert_eq!(cost["currency"], "USD", "{count_fix}");
    assert!(close(number(&cost["monthly"]), number(&after["monthly"])));
    let difference = number(&after["monthly"]) - number(&before["monthly"]);
    assert!(difference < 0.0, "fewer nodes cost less");
    assert!(
        close(number(&cost["difference"]), difference),
        "{count_fix}"
    );
    // Every fix that changes the request carries its cost.
    for fix in fixes.iter().filter(|f| f["request"].is_object()) {
        assert!(fix["cost"]["monthly"].is_number(), "{fix}");
    }
}

#[tokio::test]
async fn prices_are_in_the_configured_currency() {
    let app = TestApp::builder()
        .configure(|c| c.price_currency = "EUR".into())
        .spawn()
        .await;
    let (status, e) = app
        .get("ana", &estimate_path("eastus", "Standard_D4s_v3", 1))
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["currency"], "EUR");
    // The simulator's fictional rate: 0.9 EUR to the USD.
    assert!(close(number(&e["pools"][1]["unit_hourly"]), 0.18), "{e}");
}

#[tokio::test]
async fn a_create_keeps_the_estimate_it_was_made_with_and_its_failure_shows_it() {
    let app = TestApp::spawn().await;
    let req = provision_request("eastus", "costly", "Standard_D2s_v3", 2);
    // The form's pre-flight has read the prices: the create finds them kept.
    let (status, report) = app.post("ana", "/api/aks/preflight", &req).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let expected = number(&row(&report, "cost")["details"]["monthly"]);
    app.simulator
        .add_fault(json!({
            "operation": "create", "cluster_name": "costly", "status": 400,
            "code": "InvalidParameter", "message": "Scripted refusal."
        }))
        .await;
    let accepted = app.provision("ana", req).await;
    let task_id = accepted["task_id"].as_str().expect("task id").to_owned();
    let seen = app.wait_task("ana", &task_id, finished).await;
    let task = seen.last().expect("an answer");
    assert_eq!(task["status"], "failed", "{task}");
    assert!(
        close(number(&task["estimate"]["monthly"]), expected),
        "{task}"
    );
    let (_, failures) = app.get("ana", "/api/aks/recent-failed-provisions").await;
    let failed = &failures["jobs"][0];
    assert_eq!(failed["task_id"], task_id.as_str(), "{failures}");
    assert!(
        close(number(&failed["estimate"]["monthly"]), expected),
        "{failed}"
    );
    assert_eq!(failed["estimate"]["currency"], "USD");
}

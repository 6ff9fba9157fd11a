//! The Kubernetes version of a create (issue 26): the form's choices are the region's versions
//! from AKS's list, pre-flight refuses one AKS does not offer there (with a version that works
//! as the fix), a malformed one is a 400 naming the field, and the cluster gets the one asked.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, finished, provision_request};

fn with_version(region: &str, name: &str, version: &str) -> Value {
    let mut req = provision_request(region, name, "Standard_D2s_v3", 1);
    req["kubernetes_version"] = version.into();
    req
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("{name} in {report}"))
}

#[tokio::test]
async fn the_regions_versions_are_offered_and_checked_and_the_cluster_gets_the_one_asked() {
    let app = TestApp::spawn().await;
    let (status, skus) = app
        .get("lee", "/api/aks/available-skus?region=koreacentral")
        .await;
    assert_eq!(status, StatusCode::OK, "{skus}");
    let offered: Vec<String> = skus["kubernetes_versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert!(offered.len() >= 2, "{skus}");
    let default = skus["default_kubernetes_version"]
        .as_str()
        .expect("default");
    assert!(offered.iter().any(|v| v == default), "{skus}");
    let older = offered.last().expect("a version").clone();

    // AKS's default passes; an offered minor passes; one AKS does not offer fails with a fix.
    let preflight = |version: String| {
        let app = &app;
        async move {
            let (_, report) = app
                .post(
                    "lee",
                    "/api/aks/preflight",
                    &with_version("koreacentral", "", &version),
                )
                .await;
            report
        }
    };
    for offered in [String::new(), older.clone()] {
        let report = preflight(offered).await;
        assert_eq!(
            check(&report, "kubernetes_version")["status"],
            "ok",
            "{report}"
        );
    }
    let report = preflight("1.19".into()).await;
    let row = check(&report, "kubernetes_version");
    assert_eq!(row["status"], "fail", "{report}");
    assert!(
        row["message"].as_str().unwrap_or_default().contains("1.19"),
        "{row}"
    );
    assert_eq!(row["fixes"][0]["kind"], "kubernetes_version", "{row}");
    assert_eq!(
        row["fixes"][0]["request"]["kubernetes_version"], default,
        "{row}"
    );
    assert_eq!(report["ok"], false);

    // A malformed version is refused before anything starts, naming the field.
    let (status, refused) = app
        .post(
            "lee",
            "/api/aks/provision",
            &with_version("koreacentral", "aks-v", "latest"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused.to_string().contains("kubernetes_version"),
        "{refused}"
    );

    // The create asks AKS for the version; the cluster has it.
    let accepted = app
        .provision("lee", with_version("koreacentral", "aks-older", &older))
        .await;
    let task_id = accepted["task_id"].as_str().expect("task id");
    let end = app
        .wait_task("lee", task_id, finished)
        .await
        .pop()
        .expect("end");
    assert_eq!(end["status"], "succeeded", "{end}");
    let state: Value = app.simulator.state().await;
    let cluster = state["clusters"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "aks-older"))
        .expect("cluster");
    assert!(
        cluster["kubernetes_version"]
            .as_str()
            .is_some_and(|v| v.starts_with(&format!("{older}."))),
        "{cluster}"
    );

    // A version AKS refuses at create time (pre-flight skipped, or the list changed since): the
    // job fails as a version problem, and its fix is AKS's default.
    let accepted = app
        .provision("lee", with_version("koreacentral", "aks-ancient", "1.19"))
        .await;
    let task_id = accepted["task_id"].as_str().expect("task id");
    let end = app
        .wait_task("lee", task_id, finished)
        .await
        .pop()
        .expect("end");
    assert_eq!(end["status"], "failed", "{end}");
    assert_eq!(end["error"]["category"], "kubernetes_version", "{end}");
    assert!(
        end["error"]["explanation"]["headline"]
            .as_str()
            .is_some_and(|h| h.contains("1.19")),
        "{end}"
    );
    let fix = &end["error"]["fixes"][0];
    assert_eq!(fix["kind"], "kubernetes_version", "{end}");
    assert_eq!(fix["request"]["kubernetes_version"], "", "{end}");
}

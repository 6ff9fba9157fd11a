//! Hostile input: a seeded generator throws a few thousand bodies, query strings and path ids at
//! every POST and GET route (wrong types, missing and extra fields, huge numbers, long and
//! non-ASCII strings, truncated and non-UTF-8 JSON, deep nesting), and every answer must be a
//! 2xx/3xx or a JSON 4xx `{code, message}` that names the field it is about; no 5xx, ever; the
//! server is healthy afterwards.
//!
//! The seed is printed; `HOSTILE_SEED=<seed> cargo test --features ssr --test api hostile`
//! replays the same requests. `HOSTILE_CASES` sets how many per route (default 200).

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, provision_request};

const USER: &str = "mallory";

/// A POST route with a JSON body: its path and a valid body to start from.
struct JsonRoute {
    path: &'static str,
    valid: fn() -> Value,
}

fn provision_body() -> Value {
    provision_request("koreacentral", "aks-hostile", "Standard_D2s_v3", 1)
}

fn task_body() -> Value {
    json!({ "task_id": "00000000-0000-4000-8000-000000000000" })
}

fn job_body() -> Value {
    json!({ "job_id": "00000000-0000-4000-8000-000000000000" })
}

const JSON_ROUTES: &[JsonRoute] = &[
    JsonRoute {
        path: "/api/aks/provision",
        valid: provision_body,
    },
    JsonRoute {
        path: "/api/aks/preflight",
        valid: provision_body,
    },
    JsonRoute {
        path: "/api/aks/cancel",
        valid: task_body,
    },
    JsonRoute {
        path: "/api/aks/dismiss-failure",
        valid: job_body,
    },
    JsonRoute {
        path: "/api/aks/delete-partial-cluster",
        valid: job_body,
    },
];

/// A GET route and its query parameters with a valid value each.
struct QueryRoute {
    path: &'static str,
    params: &'static [(&'static str, &'static str)],
}

const QUERY_ROUTES: &[QueryRoute] = &[
    QueryRoute {
        path: "/api/aks/recent-failed-provisions",
        params: &[("hours", "24"), ("limit", "10")],
    },
    QueryRoute {
        path: "/api/aks/available-skus",
        params: &[("region", "koreacentral")],
    },
    QueryRoute {
        path: "/api/aks/task-status",
        params: &[("task_id", "00000000-0000-4000-8000-000000000000")],
    },
    QueryRoute {
        path: "/api/session",
        params: &[],
    },
    QueryRoute {
        path: "/api/aks/clusters",
        params: &[],
    },
    QueryRoute {
        path: "/api/aks/active-provisions",
        params: &[],
    },
    QueryRoute {
        path: "/api/aks/cluster-list-html",
        params: &[],
    },
    QueryRoute {
        path: "/auth/dev",
        params: &[("user", "dev"), ("next", "/")],
    },
];

/// Routes with the id in the path.
const PATH_ID_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/tasks/"),
    ("POST", "/api/aks/cancel-provision/"),
];

/// One generated request, and the field it breaks when there is exactly one.
struct Case {
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    field: Option<String>,
    what: String,
}

/// A JSON value of a wrong type or a hostile size or content.
fn hostile_value(rng: &mut StdRng) -> Value {
    let long = "a".repeat(rng.gen_range(256..20_000));
    let candidates = [
        json!(""),
        json!(long),
        json!("ÄÖÜ 漢字 🙂 ".repeat(rng.gen_range(1..200))),
        json!("\u{0}\u{1b}[31m\r\n\t"),
        json!("'; DROP TABLE job_state; --"),
        json!("../../etc/passwd"),
        json!("3"),
        json!(0),
        json!(-1),
        json!(4_294_967_296_u64),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1.5),
        json!(1e308),
        json!(-1e308),
        json!(true),
        Value::Null,
        json!([]),
        json!({}),
        json!([[["deep"]]]),
        json!({ "nested": { "object": [1, 2, 3] } }),
    ];
    candidates.choose(rng).cloned().unwrap_or(Value::Null)
}

/// Raw JSON text that no typed body accepts, or only barely.
fn hostile_raw_body(rng: &mut StdRng, valid: &Value) -> (Vec<u8>, String) {
    let text = valid.to_string();
    match rng.gen_range(0..9) {
        0 => {
            let cut = rng.gen_range(0..text.len());
            (
                text.as_bytes()[..cut].to_vec(),
                format!("truncated at {cut}"),
            )
        }
        1 => {
            let mut bytes = text.into_bytes();
            let at = rng.gen_range(1..bytes.len());
            bytes.splice(at..at, [0xff, 0xfe, 0xc3]);
            (bytes, format!("non-UTF-8 at {at}"))
        }
        2 => {
            let depth = rng.gen_range(100..20_000);
            let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            (nested.into_bytes(), format!("nesting {depth} deep"))
        }
        3 => {
            let depth = rng.gen_range(100..5_000);
            let nested = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
            (nested.into_bytes(), format!("objects {depth} deep"))
        }
        4 => {
            let bytes: Vec<u8> = (0..rng.gen_range(1..2_000)).map(|_| rng.r#gen()).collect();
            (bytes, "random bytes".to_owned())
        }
        5 => (Vec::new(), "empty body".to_owned()),
        6 => {
            let other = ["[]", "42", "\"text\"", "null", "true", "1e999999", "-"]
                .choose(rng)
                .copied()
                .unwrap_or("[]");
            (other.as_bytes().to_vec(), format!("body {other}"))
        }
        7 => {
            // The same key twice, with a different type the second time.
            let doubled = text.replacen('{', r#"{"node_count":"x","node_count":1,"#, 1);
            (doubled.into_bytes(), "duplicate keys".to_owned())
        }
        _ => {
            let padding = "x".repeat(rng.gen_range(1_000..60_000));
            let mut padded = valid.clone();
            if let Some(object) = padded.as_object_mut() {
                object.insert("padding".into(), json!(padding));
            }
            (
                padded.to_string().into_bytes(),
                "padded near the limit".to_owned(),
            )
        }
    }
}

fn json_case(rng: &mut StdRng, route: &JsonRoute) -> Case {
    let valid = (route.valid)();
    let fields: Vec<String> = valid
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let mut body = valid.clone();
    let object: &mut Map<String, Value> = body.as_object_mut().expect("an object");
    let (bytes, field, what) = match rng.gen_range(0..6) {
        0 | 1 => {
            let field = fields.choose(rng).cloned().unwrap_or_default();
            let value = hostile_value(rng);
            let what = format!("{field} = {}", short(&value.to_string()));
            object.insert(field.clone(), value);
            (body.to_string().into_bytes(), Some(field), what)
        }
        2 => {
            let field = fields.choose(rng).cloned().unwrap_or_default();
            object.remove(&field);
            (
                body.to_string().into_bytes(),
                Some(field.clone()),
                format!("without {field}"),
            )
        }
        3 => {
            for i in 0..rng.gen_range(1..50) {
                object.insert(format!("extra_{i}"), hostile_value(rng));
            }
            (
                body.to_string().into_bytes(),
                None,
                "extra fields".to_owned(),
            )
        }
        _ => {
            let (bytes, what) = hostile_raw_body(rng, &valid);
            (bytes, None, what)
        }
    };
    let content_type = *[
        Some("application/json"),
        Some("application/json"),
        Some("application/json"),
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ]
    .choose(rng)
    .unwrap_or(&None);
    Case {
        method: "POST",
        path: route.path.to_owned(),
        content_type,
        body: bytes,
        field,
        what: format!("{what}, content type {content_type:?}"),
    }
}

/// An already percent-encoded hostile query value.
fn hostile_query_value(rng: &mut StdRng) -> String {
    let long = "x".repeat(rng.gen_range(100..6_000));
    let candidates = [
        String::new(),
        "abc".into(),
        "-1".into(),
        "0".into(),
        "99999999999999999999999".into(),
        "1.5".into(),
        "%FF%FE".into(),
        "%00".into(),
        "%C3%A9%F0%9F%99%82".into(),
        "%0D%0AX-Injected:%201".into(),
        "+".into(),
        "%2F%2Fevil.example".into(),
        "%5C%5Cevil.example".into(),
        long,
    ];
    candidates.choose(rng).cloned().unwrap_or_default()
}

fn query_case(rng: &mut StdRng, route: &QueryRoute) -> Case {
    let mut pairs: Vec<(String, String)> = route
        .params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut field = None;
    let what = match rng.gen_range(0..4) {
        0 if !pairs.is_empty() => {
            let i = rng.gen_range(0..pairs.len());
            pairs[i].1 = hostile_query_value(rng);
            field = Some(pairs[i].0.clone());
            format!("{} = {}", pairs[i].0, short(&pairs[i].1))
        }
        1 if !pairs.is_empty() => {
            let i = rng.gen_range(0..pairs.len());
            let (name, _) = pairs.remove(i);
            field = Some(name.clone());
            format!("without {name}")
        }
        2 if !pairs.is_empty() => {
            let i = rng.gen_range(0..pairs.len());
            let repeated = (pairs[i].0.clone(), hostile_query_value(rng));
            pairs.push(repeated);
            format!("{} twice", pairs[i].0)
        }
        _ => {
            for i in 0..rng.gen_range(1..20) {
                pairs.push((format!("extra{i}"), hostile_query_value(rng)));
            }
            "extra parameters".to_owned()
        }
    };
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    Case {
        method: "GET",
        path: format!("{}?{}", route.path, query.join("&")),
        content_type: None,
        body: Vec::new(),
        field,
        what,
    }
}

fn path_id_case(rng: &mut StdRng, (method, prefix): (&'static str, &'static str)) -> Case {
    let id = hostile_query_value(rng);
    let id = if id.is_empty() { "%20".to_owned() } else { id };
    Case {
        method,
        path: format!("{prefix}{id}"),
        content_type: Some("application/json"),
        body: b"{}".to_vec(),
        field: None,
        what: format!("id {}", short(&id)),
    }
}

fn short(text: &str) -> String {
    let mut s: String = text.chars().take(60).collect();
    if s.len() < text.len() {
        s.push_str(&format!("…({} chars)", text.chars().count()));
    }
    s
}

/// What is wrong with an answer, if anything.
fn judge(case: &Case, status: StatusCode, content_type: &str, body: &str) -> Option<String> {
    if status.is_server_error() {
        return Some(format!("{status}"));
    }
    if !status.is_client_error() {
        return None;
    }
    if !content_type.starts_with("application/json") {
        return Some(format!(
            "{status} answered as {content_type:?}: {}",
            short(body)
        ));
    }
    let Ok(error) = serde_json::from_str::<Value>(body) else {
        return Some(format!(
            "{status} with a body that is not JSON: {}",
            short(body)
        ));
    };
    let message = error["message"].as_str().unwrap_or_default();
    if !error["code"].is_string() || message.is_empty() {
        return Some(format!("{status} without code and message: {error}"));
    }
    if status == StatusCode::BAD_REQUEST
        && let Some(field) = &case.field
        && !error["fields"][field.as_str()].is_string()
        && !message.contains(field.as_str())
    {
        return Some(format!("400 does not name {field}: {error}"));
    }
    None
}

#[tokio::test]
async fn a_few_thousand_hostile_requests_get_no_5xx_and_json_4xx_naming_the_field() {
    let seed: u64 = std::env::var("HOSTILE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().r#gen());
    let per_route: usize = std::env::var("HOSTILE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    println!("hostile input: HOSTILE_SEED={seed} HOSTILE_CASES={per_route}");
    let mut rng = StdRng::seed_from_u64(seed);

    // No workers: valid provisions stay queued, so Azure is only asked by pre-flight.
    let app = TestApp::builder().job_workers(0).spawn().await;
    let mut cases = Vec::new();
    for _ in 0..per_route {
        for route in JSON_ROUTES {
            cases.push(json_case(&mut rng, route));
        }
        for route in QUERY_ROUTES {
            cases.push(query_case(&mut rng, route));
        }
        for route in PATH_ID_ROUTES {
            cases.push(path_id_case(&mut rng, *route));
        }
    }

    let mut failures = Vec::new();
    for case in &cases {
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).expect("method");
        let mut request = app
            .http
            .request(method, app.url(&case.path))
            .header("X-Dev-User", USER)
            .body(case.body.clone());
        if let Some(content_type) = case.content_type {
            request = request.header("Content-Type", content_type);
        }
        let res = request.send().await.unwrap_or_else(|e| {
            panic!(
                "HOSTILE_SEED={seed}: {} {} ({}): no answer: {e}",
                case.method,
                short(&case.path),
                case.what
            )
        });
        let status = res.status();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = res.text().await.unwrap_or_default();
        if let Some(wrong) = judge(case, status, &content_type, &body) {
            failures.push(format!(
                "{} {} ({}): {wrong}",
                case.method,
                short(&case.path),
                case.what
            ));
        }
    }
    println!(
        "hostile input: {} requests, {} wrong",
        cases.len(),
        failures.len()
    );
    failures.sort();
    failures.dedup();
    // All of them in the test's output; the first ones in the failure message.
    for failure in &failures {
        println!("{failure}");
    }
    assert!(
        failures.is_empty(),
        "HOSTILE_SEED={seed}: {} wrong answers, e.g.:\n{}",
        failures.len(),
        failures
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Still healthy, and still doing its job.
    let res = app
        .http
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(res.status(), StatusCode::OK);
    let (status, accepted) = app
        .post(
            "after-the-storm",
            "/api/aks/provision",
            &provision_request("westeurope", "aks-after", "Standard_D2s_v3", 1),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
}

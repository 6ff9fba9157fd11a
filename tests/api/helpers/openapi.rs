//! Every answer the black-box tests read through [`ApiClient`](super::ApiClient) is checked
//! against the OpenAPI description the server serves (`GET /api/openapi.json`, built by
//! `aks_dashboard::api::openapi::document`): the operation's schema for that status (else its
//! `default`, an `ApiError`), or an `ApiError` for a path under `/api/` no operation names. So
//! the description cannot drift from what the server sends without a test failing.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::to_value(aks_dashboard::api::openapi::document()).expect("the document")
    })
}

/// `/api/tasks/{task_id}` matches `/api/tasks/abc`.
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && !p.is_empty()))
}

/// The schema an answer of `method path` with `status` must have; `None`: not JSON (the event
/// stream) or not under `/api/`.
fn schema_for(method: &str, path: &str, status: u16) -> Option<Value> {
    let path = path.split('?').next().unwrap_or(path);
    if !path.starts_with("/api/") {
        return None;
    }
    let error = json!({"$ref": "#/components/schemas/ApiError"});
    let operation = document()["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .find(|(template, _)| matches(template, path))
        .and_then(|(_, item)| item.get(method.to_ascii_lowercase()));
    let Some(operation) = operation else {
        return Some(error);
    };
    let responses = &operation["responses"];
    let response = responses
        .get(status.to_string())
        .unwrap_or(&responses["default"]);
    response["content"]
        .get("application/json")
        .map(|c| c["schema"].clone())
}

type Validators = HashMap<String, jsonschema::Validator>;

/// Panics when `body` is not what the description allows for this answer.
pub fn check(method: &str, path: &str, status: u16, body: &Value) {
    let Some(schema) = schema_for(method, path, status) else {
        return;
    };
    static VALIDATORS: OnceLock<Mutex<Validators>> = OnceLock::new();
    let key = schema.to_string();
    let mut validators = VALIDATORS
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let validator = validators.entry(key).or_insert_with(|| {
        let mut root = json!({"components": document()["components"].clone()});
        if let (Some(root), Some(schema)) = (root.as_object_mut(), schema.as_object()) {
            root.extend(schema.clone());
        }
        jsonschema::draft202012::new(&root)
            .unwrap_or_else(|e| panic!("the description's schema for {method} {path}: {e}"))
    });
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} answered {status} with what /api/openapi.json does not describe:\n  \
         {}\nbody: {body}",
        errors.join("\n  ")
    );
}

#[test]
fn templates_match_paths_segment_by_segment() {
    assert!(matches("/api/tasks/{task_id}", "/api/tasks/abc"));
    assert!(!matches("/api/tasks/{task_id}", "/api/tasks/"));
    assert!(!matches("/api/tasks/{task_id}", "/api/tasks/abc/x"));
    assert!(matches("/api/aks/provision", "/api/aks/provision"));
}

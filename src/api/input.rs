//! How the API reads input it cannot trust: a JSON body or a query string decoded into the
//! route's own argument type, tracking the path (`serde_path_to_error`, as axum's extractors
//! do), so that a failure is `400 {code, message, fields: {field: problem}}` naming the field.
//! The route table ([`super::routes`]) gives each server function its check.

use std::collections::BTreeMap;

use http::Uri;
use serde::de::DeserializeOwned;

use crate::api_error::ApiError;
use crate::domain::ProvisionRequest;

/// Checks one route's input: its query string or its JSON body.
pub type InputCheck = fn(&Uri, &[u8]) -> Result<(), ApiError>;

pub fn json<T: DeserializeOwned>(_: &Uri, body: &[u8]) -> Result<(), ApiError> {
    let mut input = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize::<_, T>(&mut input)
        .map(drop)
        .map_err(|e| match e.inner().classify() {
            // A value of the wrong type or range: the path says whose.
            serde_json::error::Category::Data => {
                field_error(&e.path().to_string(), e.inner().to_string())
            }
            // Broken JSON belongs to no field, whatever the path had reached.
            _ => {
                ApiError::bad_request(format!("The request body is not valid JSON: {}", e.inner()))
            }
        })?;
    input
        .end()
        .map_err(|e| ApiError::bad_request(format!("The request body is not valid JSON: {e}")))
}

/// A create's body: the request (read on its own, see above), and the fix it was made from.
pub fn provision_input(uri: &Uri, body: &[u8]) -> Result<(), ApiError> {
    #[derive(serde::Deserialize)]
    struct FixOnly {
        #[serde(default)]
        #[allow(dead_code)]
        applied_fix: Option<crate::domain::AppliedFix>,
    }
    json::<ProvisionRequest>(uri, body)?;
    json::<FixOnly>(uri, body)
}

pub fn query<T: DeserializeOwned>(uri: &Uri, _: &[u8]) -> Result<(), ApiError> {
    decode_query::<T>(uri).map(drop)
}

/// A query string decoded into `T`, or the 400 that names the parameter.
pub fn decode_query<T: DeserializeOwned>(uri: &Uri) -> Result<T, ApiError> {
    let query = uri.query().unwrap_or_default();
    let input = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(input)
        .map_err(|e| field_error(&e.path().to_string(), e.inner().to_string()))
}

/// The 400 for a decoding error at `path` (`.` when serde knows no field, as for a missing or
/// repeated one, which it names in backquotes instead).
fn field_error(path: &str, problem: String) -> ApiError {
    let field = if path == "." {
        named_in_problem(&problem)
    } else {
        Some(path.to_owned())
    };
    match field {
        Some(field) => {
            let mut fields = BTreeMap::new();
            fields.insert(field, problem);
            ApiError::invalid_fields(fields)
        }
        None => ApiError::bad_request(format!("The request is not valid: {problem}")),
    }
}

/// `missing field `x`` and `duplicate field `x`` name `x`.
fn named_in_problem(problem: &str) -> Option<String> {
    let rest = problem
        .strip_prefix("missing field `")
        .or_else(|| problem.strip_prefix("duplicate field `"))?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)] // read by serde only
    struct Sample {
        hours: Option<u32>,
        name: String,
    }

    fn uri(query: &str) -> Uri {
        format!("/x?{query}").parse().expect("uri")
    }

    #[test]
    fn a_wrong_type_names_its_field() {
        let err = json::<Sample>(&uri(""), br#"{"hours": "x", "name": "a"}"#).expect_err("bad");
        assert_eq!(err.status, 400);
        assert!(err.fields["hours"].contains("invalid type"), "{err:?}");
        let err = decode_query::<Sample>(&uri("hours=abc&name=a")).expect_err("bad");
        assert!(err.fields.contains_key("hours"), "{err:?}");
    }

    #[test]
    fn missing_and_repeated_fields_are_named() {
        let err = json::<Sample>(&uri(""), br#"{"hours": 1}"#).expect_err("bad");
        assert!(err.fields.contains_key("name"), "{err:?}");
        let err = decode_query::<Sample>(&uri("name=a&name=b")).expect_err("bad");
        assert!(err.fields.contains_key("name"), "{err:?}");
    }

    #[test]
    fn broken_json_is_a_400_without_a_field() {
        let err = json::<Sample>(&uri(""), br#"{"hours": 1, "na"#).expect_err("bad");
        assert_eq!(err.status, 400);
        assert!(err.fields.is_empty(), "{err:?}");
        assert!(json::<Sample>(&uri(""), br#"{"name": "a"} trailing"#).is_err());
        assert!(json::<Sample>(&uri(""), br#"{"name": "a", "extra": [1]}"#).is_ok());
    }
}

//! One HTTP answer of the simulator, in the shapes Azure uses: ARM's front door wraps errors as
//! `{"error": {…}}`, while the AKS resource provider answers its own refusals unwrapped, as
//! `{"code", "details": null, "message", "subcode": ""}` (seen in public Terraform logs of
//! quota failures). Scripted faults can also send any body byte for byte.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::azure::error::ArmErrorDetail;

#[derive(Debug, Clone, PartialEq)]
pub enum AnswerBody {
    Empty,
    Json(Value),
    /// Sent exactly as given.
    Raw {
        content_type: String,
        text: String,
    },
}

/// An HTTP answer: status, extra headers, body.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: AnswerBody,
}

impl Answer {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: AnswerBody::Json(body),
        }
    }

    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: AnswerBody::Empty,
        }
    }

    pub fn raw(status: u16, content_type: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: AnswerBody::Raw {
                content_type: content_type.into(),
                text: text.into(),
            },
        }
    }

    /// An error from ARM's front door: `{"error": {"code", "message"}}`.
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self::arm_error(status, ArmErrorDetail::new(code, message))
    }

    pub fn arm_error(status: u16, error: ArmErrorDetail) -> Self {
        Self::json(status, error.to_body())
    }

    /// A refusal by the AKS resource provider itself, in its unwrapped shape.
    pub fn aks_error(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self::aks_error_with_details(status, ArmErrorDetail::new(code, message))
    }

    /// Like [`aks_error`](Self::aks_error), with nested details when there are any
    /// (`details: null` when there are none, as AKS sends it).
    pub fn aks_error_with_details(status: u16, error: ArmErrorDetail) -> Self {
        let details = if error.details.is_empty() {
            Value::Null
        } else {
            serde_json::to_value(&error.details).unwrap_or(Value::Null)
        };
        Self::json(
            status,
            json!({
                "code": error.code,
                "details": details,
                "message": error.message,
                "subcode": "",
            }),
        )
    }

    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The JSON body, if it has one (tests read it).
    pub fn json_body(&self) -> Option<&Value> {
        match &self.body {
            AnswerBody::Json(value) => Some(value),
            _ => None,
        }
    }

    /// The error code, whichever shape carries it.
    pub fn error_code(&self) -> Option<&str> {
        let body = self.json_body()?;
        body.pointer("/error/code")
            .or_else(|| body.get("code"))
            .and_then(Value::as_str)
    }

    /// The error message, whichever shape carries it.
    pub fn error_message(&self) -> Option<&str> {
        let body = self.json_body()?;
        body.pointer("/error/message")
            .or_else(|| body.get("message"))
            .and_then(Value::as_str)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The HTTP response, with a fresh `x-ms-request-id` (and `x-ms-correlation-request-id`) as
    /// ARM sends on every answer.
    pub fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = match self.body {
            AnswerBody::Empty => status.into_response(),
            AnswerBody::Json(value) => (status, axum::Json(value)).into_response(),
            AnswerBody::Raw { content_type, text } => {
                let mut response = (status, Body::from(text)).into_response();
                if let Ok(value) = HeaderValue::from_str(&content_type) {
                    response.headers_mut().insert(header::CONTENT_TYPE, value);
                }
                response
            }
        };
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.insert(name, value);
            }
        }
        if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
            headers.insert("x-ms-request-id", id);
        }
        // ARM makes a correlation id for a request that brings none; the Activity Log entries
        // of what the request started carry it.
        if !headers.contains_key("x-ms-correlation-request-id")
            && let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
        {
            headers.insert("x-ms-correlation-request-id", id);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aks_refusals_are_unwrapped_with_null_details() {
        let answer = Answer::aks_error(400, "InvalidParameter", "bad");
        let body = answer.json_body().cloned().unwrap_or_default();
        assert_eq!(body["code"], "InvalidParameter");
        assert!(body["details"].is_null());
        assert!(body.get("error").is_none());
        assert_eq!(answer.error_code(), Some("InvalidParameter"));
    }

    #[test]
    fn front_door_errors_are_wrapped() {
        let answer = Answer::error(404, "ResourceGroupNotFound", "gone");
        assert_eq!(answer.error_code(), Some("ResourceGroupNotFound"));
        assert_eq!(answer.error_message(), Some("gone"));
        assert!(answer.json_body().is_some_and(|b| b.get("error").is_some()));
    }
}

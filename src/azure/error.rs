//! The one error type of the Azure boundary, and Azure's error object as the client keeps it.
//! Where the error sits in a body (wrapped or bare) is known in one place,
//! [`arm_error_object`](crate::domain::classify::arm_error_object), shared with the
//! browser.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::wire::{OperationState, null_as_default};
use crate::domain::classify::{ArmErrorCause, ArmErrorInfo, arm_error_object, read_arm_error};

/// Azure's error object: `{"code", "message", "target", "details": [...]}`, nested as deep as
/// the resource provider likes. Kept whole because the classifier reads inner codes. Any field
/// may be `null` (AKS sends `"details": null`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmErrorDetail {
    #[serde(default, deserialize_with = "null_as_default")]
    pub code: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub details: Vec<ArmErrorDetail>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub additional_info: Vec<serde_json::Value>,
}

impl ArmErrorDetail {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            ..Self::default()
        }
    }

    /// The body ARM sends: `{"error": {…}}`.
    pub fn to_body(&self) -> serde_json::Value {
        serde_json::json!({ "error": self })
    }
}

/// Reads an ARM error body: `{"error": {…}}`, or the bare `{"code", "message"}` the AKS
/// resource provider answers with. `None` when the body is neither (an HTML page from a
/// gateway, say). A detail of an unexpected shape is dropped, never the whole error.
pub fn parse_error_body(body: &str) -> Option<ArmErrorDetail> {
    read_error_body(&serde_json::from_str(body).ok()?)
}

/// [`parse_error_body`] of a body already parsed.
fn read_error_body(value: &serde_json::Value) -> Option<ArmErrorDetail> {
    let object = arm_error_object(value)?;
    serde_json::from_value::<ArmErrorDetail>(object.clone())
        .ok()
        .or_else(|| {
            let text = |key: &str| {
                object
                    .get(key)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
            };
            Some(ArmErrorDetail::new(text("code"), text("message")))
        })
}

/// 404 codes that do not mean "the resource does not exist".
const NOT_ABSENCE_404_CODES: &[&str] = &[
    "SubscriptionNotFound",
    "InvalidSubscriptionId",
    "InvalidResourceType",
    "LocationNotFound",
];

/// Everything that can go wrong talking to Azure Resource Manager.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ArmError {
    /// ARM answered with an error status (after any retries).
    #[error("Azure answered HTTP {status}: {}: {}", error.code, error.message)]
    Response {
        status: u16,
        error: Box<ArmErrorDetail>,
        /// Every nested cause of `error` as the classifier reads it, from the same parse.
        causes: Vec<ArmErrorCause>,
        raw_body: String,
        retry_after: Option<Duration>,
        /// Azure's ids of the call that was refused.
        /// (Boxed: the error stays small enough to travel in a `Result`.)
        azure: Box<crate::domain::history::AzureIds>,
    },
    /// A long-running operation ended `Failed` or `Canceled`.
    #[error("Azure operation {state}: {}: {}", error.code, error.message)]
    OperationFailed {
        state: OperationState,
        error: Box<ArmErrorDetail>,
        /// Every nested cause of `error` as the classifier reads it, from the same parse.
        causes: Vec<ArmErrorCause>,
        raw_body: String,
    },
    #[error("network error calling Azure: {0}")]
    Network(String),
    #[error("Azure did not answer within {0:?}")]
    Timeout(Duration),
    #[error("no Azure access token: {0}")]
    Credential(String),
    /// A success status with a body we could not read.
    #[error("unexpected answer from Azure (HTTP {status}): {message}")]
    UnexpectedResponse {
        status: u16,
        message: String,
        raw_body: String,
    },
    /// A request the client refuses to send (e.g. an operation URL on another host).
    #[error("invalid Azure request: {0}")]
    InvalidRequest(String),
}

impl ArmError {
    /// An error from an HTTP answer: Azure's error body when there is one, else a code made
    /// from the status so that callers always have something to classify.
    pub fn from_response(status: u16, raw_body: String, retry_after: Option<Duration>) -> Self {
        // The body is parsed once: into Azure's error object and into its causes.
        let parsed = serde_json::from_str::<serde_json::Value>(&raw_body).ok();
        let causes = parsed
            .as_ref()
            .and_then(read_arm_error)
            .map(|info| info.details)
            .unwrap_or_default();
        let error = parsed
            .as_ref()
            .and_then(read_error_body)
            .unwrap_or_else(|| {
                let snippet: String = raw_body.chars().take(300).collect();
                let message = if snippet.trim().is_empty() {
                    format!("HTTP {status} with no error body")
                } else {
                    snippet
                };
                ArmErrorDetail::new(format!("Http{status}"), message)
            });
        Self::Response {
            status,
            error: Box::new(error),
            causes,
            raw_body,
            retry_after,
            azure: Box::default(),
        }
    }

    /// The same error, with Azure's ids of the call it answered.
    pub fn with_azure_ids(mut self, ids: crate::domain::history::AzureIds) -> Self {
        if let Self::Response { azure, .. } = &mut self {
            **azure = ids;
        }
        self
    }

    /// Azure's ids of the call, when Azure answered with an error.
    pub fn azure_ids(&self) -> crate::domain::history::AzureIds {
        match self {
            Self::Response { azure, .. } => azure.as_ref().clone(),
            _ => crate::domain::history::AzureIds::default(),
        }
    }

    /// The HTTP status, when ARM answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Response { status, .. } | Self::UnexpectedResponse { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// Azure's error code (`ErrCode_InsufficientVCPUQuota`, `ZonalAllocationFailed`, …).
    pub fn code(&self) -> Option<&str> {
        self.detail().map(|d| d.code.as_str())
    }

    /// Azure's message, or this error's own description.
    pub fn message(&self) -> String {
        match self.detail() {
            Some(d) => d.message.clone(),
            None => self.to_string(),
        }
    }

    /// Azure's error as the classifier reads it (its status, code, message and every nested
    /// cause), read when the answer was: `None` for an error Azure did not write.
    pub fn info(&self) -> Option<ArmErrorInfo> {
        let (error, causes) = match self {
            Self::Response { error, causes, .. } | Self::OperationFailed { error, causes, .. } => {
                (error, causes)
            }
            _ => return None,
        };
        Some(ArmErrorInfo {
            status: self.status(),
            code: error.code.clone(),
            message: error.message.clone(),
            details: causes.clone(),
        })
    }

    /// The nested `details` of Azure's error.
    pub fn details(&self) -> &[ArmErrorDetail] {
        self.detail().map(|d| d.details.as_slice()).unwrap_or(&[])
    }

    /// The whole Azure error object.
    pub fn detail(&self) -> Option<&ArmErrorDetail> {
        match self {
            Self::Response { error, .. } | Self::OperationFailed { error, .. } => {
                Some(error.as_ref())
            }
            _ => None,
        }
    }

    /// The response body exactly as Azure sent it.
    pub fn raw_body(&self) -> Option<&str> {
        match self {
            Self::Response { raw_body, .. }
            | Self::OperationFailed { raw_body, .. }
            | Self::UnexpectedResponse { raw_body, .. } => Some(raw_body),
            _ => None,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Response { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Throttling, server errors, network failures and time-outs may succeed when tried again;
    /// other 4xx answers will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Response { status, .. } => *status == 429 || *status >= 500,
            Self::Network(_) | Self::Timeout(_) => true,
            _ => false,
        }
    }

    /// Azure refused the request itself: a `4xx` other than a time-out (`408`) or throttling
    /// (`429`). Such an answer is final: sending the same request again gets it again. (`401`
    /// was already sent once more with a fresh token by the client.)
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Response { status, .. } if (400..500).contains(status) && !matches!(*status, 408 | 429))
    }

    /// True for a 404 that says the resource (or its resource group) does not exist. Not for a
    /// subscription ARM cannot find (`SubscriptionNotFound`: a wrong ID or no access, which
    /// must not read as "nothing there yet"), nor for a path ARM does not know.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
            && !self.code().is_some_and(|code| {
                NOT_ABSENCE_404_CODES
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(code))
            })
    }

    /// ARM cannot find the subscription (or the caller may not see it).
    pub fn is_subscription_not_found(&self) -> bool {
        self.status() == Some(404)
            && self
                .code()
                .is_some_and(|c| c.eq_ignore_ascii_case("SubscriptionNotFound"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_read_once_into_the_error_and_its_causes() {
        let body = r#"{"error":{"code":"DeploymentFailed","message":"At least one failed.","details":[{"code":"Conflict","message":"{\"status\":\"Failed\",\"error\":{\"code\":\"ResourceDeploymentFailure\",\"message\":\"inner\"}}"},{"code":"QuotaExceeded","message":"quota"}]}}"#;
        let err = ArmError::from_response(409, body.to_owned(), None);
        let info = err.info().expect("Azure wrote it");
        let parsed = crate::domain::classify::parse_arm_error(body).expect("an error body");
        assert_eq!(
            info.details, parsed.details,
            "the same causes as a parse of the text"
        );
        assert_eq!(
            (info.status, info.code.as_str()),
            (Some(409), "DeploymentFailed")
        );
        assert!(
            info.details
                .iter()
                .any(|c| c.code == "ResourceDeploymentFailure")
        );
        assert!(ArmError::Network("down".into()).info().is_none());
    }

    #[test]
    fn reads_the_arm_envelope_with_nested_details() {
        let body = r#"{"error":{"code":"InvalidTemplateDeployment","message":"outer",
            "details":[{"code":"ErrCode_InsufficientVCPUQuota","message":"left 6, requested 14"}]}}"#;
        let error = ArmError::from_response(400, body.into(), None);
        assert_eq!(error.status(), Some(400));
        assert_eq!(error.code(), Some("InvalidTemplateDeployment"));
        assert_eq!(error.details().len(), 1);
        assert_eq!(error.details()[0].code, "ErrCode_InsufficientVCPUQuota");
        assert_eq!(error.raw_body(), Some(body));
        assert!(!error.is_retryable());
    }

    #[test]
    fn reads_the_unwrapped_aks_shape_with_null_details() {
        // As AKS answers a quota refusal (public Terraform logs; tests/fixtures/azure has more).
        let body = r#"{"code":"ErrCode_InsufficientVCPUQuota","details":null,
            "message":"Insufficient regional vcpu quota left for location westus2. left regional vcpu quota 4, requested quota 6.",
            "subcode":""}"#;
        let error = ArmError::from_response(400, body.into(), None);
        assert_eq!(error.code(), Some("ErrCode_InsufficientVCPUQuota"));
        assert!(
            error
                .message()
                .starts_with("Insufficient regional vcpu quota")
        );
        assert!(error.details().is_empty());
        let wrapped = parse_error_body(
            r#"{"error":{"code":"X","message":null,"details":null,"additionalInfo":null}}"#,
        );
        assert_eq!(wrapped, Some(ArmErrorDetail::new("X", "")));
    }

    #[test]
    fn a_detail_of_an_unexpected_shape_keeps_the_outer_error() {
        let odd = parse_error_body(r#"{"error":{"code":"X","message":"m","details":{"a":1}}}"#);
        assert_eq!(odd, Some(ArmErrorDetail::new("X", "m")));
    }

    #[test]
    fn reads_a_bare_code_and_message() {
        let detail = parse_error_body(r#"{"code":"NotFound","message":"gone"}"#);
        assert_eq!(detail, Some(ArmErrorDetail::new("NotFound", "gone")));
    }

    #[test]
    fn a_body_that_is_not_json_still_gives_a_code() {
        let error = ArmError::from_response(502, "<html>Bad Gateway</html>".into(), None);
        assert_eq!(error.code(), Some("Http502"));
        assert!(error.message().contains("Bad Gateway"));
        assert!(error.is_retryable());
        let empty = ArmError::from_response(503, String::new(), None);
        assert_eq!(empty.message(), "HTTP 503 with no error body");
    }

    #[test]
    fn a_missing_subscription_is_not_a_missing_resource() {
        let gone = ArmError::from_response(
            404,
            r#"{"error":{"code":"ResourceGroupNotFound","message":"Resource group 'rg' could not be found."}}"#.into(),
            None,
        );
        assert!(gone.is_not_found());
        let no_body = ArmError::from_response(404, String::new(), None);
        assert!(no_body.is_not_found());
        let subscription = ArmError::from_response(
            404,
            r#"{"error":{"code":"SubscriptionNotFound","message":"The subscription 'x' could not be found."}}"#.into(),
            None,
        );
        assert!(!subscription.is_not_found());
        assert!(subscription.is_subscription_not_found());
    }

    #[test]
    fn throttling_is_retryable_and_conflict_is_not() {
        assert!(ArmError::from_response(429, "{}".into(), None).is_retryable());
        assert!(!ArmError::from_response(409, "{}".into(), None).is_retryable());
        assert!(ArmError::Timeout(Duration::from_secs(1)).is_retryable());
    }
}

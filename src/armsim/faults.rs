//! Scripted faults: tests tell the simulator how to misbehave on a kind of call — answer with an
//! ARM error or with any body byte for byte, answer late, drop the connection, or let a create
//! start and fail later — a number of times or for a number of seconds.
//! `POST /_armsim/faults` takes a [`FaultSpec`]; `docs/arm-simulator.md` lists the fields.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::answer::Answer;
use crate::azure::error::ArmErrorDetail;

/// The kinds of ARM call a fault can match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ArmOperation {
    /// PUT of a managed cluster.
    Create,
    /// GET of one managed cluster.
    Get,
    Delete,
    Abort,
    /// GET of the clusters of a resource group (or subscription).
    List,
    Skus,
    Usages,
    /// GET or PUT of a resource group.
    ResourceGroup,
    KubernetesVersions,
    /// GET of an operation status (`Azure-AsyncOperation` or `Location` URL).
    OperationStatus,
    /// GET of the Retail Prices API (`/api/retail/prices`; not ARM, no sign-in).
    RetailPrices,
}

impl ArmOperation {
    /// The name used in JSON and in the request counters.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Get => "get",
            Self::Delete => "delete",
            Self::Abort => "abort",
            Self::List => "list",
            Self::Skus => "skus",
            Self::Usages => "usages",
            Self::ResourceGroup => "resource_group",
            Self::KubernetesVersions => "kubernetes_versions",
            Self::OperationStatus => "operation_status",
            Self::RetailPrices => "retail_prices",
        }
    }
}

/// How a generated ARM error body is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorShape {
    /// `{"error": {"code", "message", "details"}}`, as ARM's front door answers.
    #[default]
    Wrapped,
    /// `{"code", "details": null, "message", "subcode": ""}`, as the AKS resource provider
    /// answers its own refusals.
    Unwrapped,
}

/// The body of `POST /_armsim/faults`.
///
/// What happens to a matching call:
/// - `status` (with an ARM error from `code`/`message`/`details`, shaped by `error_shape`) or
///   `raw_body` (sent exactly, with `content_type`, status `status` or 200): that answer;
/// - `drop_connection`: the connection is closed without an answer;
/// - none of these: the call is answered as usual (useful with `delay_seconds`);
/// - `pass_through`: the simulator performs the call first (a PUT creates the cluster), then the
///   scripted answer replaces its answer — "Azure did it, the answer was lost";
/// - `delay_seconds`: everything above happens that much later;
/// - `fail_after_seconds` (`create` only): the PUT is accepted and its operation ends `Failed`
///   with `code`/`message`/`details` that many seconds later.
///
/// It applies to `times` matching calls (default 1), or to every matching call for
/// `for_seconds` after it was added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    pub operation: ArmOperation,
    /// Only calls about this cluster (case-insensitive; for `operation_status`, the cluster of
    /// the operation); any cluster when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ArmErrorDetail>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_shape: Option<ErrorShape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Extra response headers (e.g. `Azure-AsyncOperation` on a replayed 201).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_after_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub drop_connection: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub pass_through: bool,
    /// How many matching calls the fault applies to (default 1 unless `for_seconds` is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_seconds: Option<f64>,
}

/// The fields of a [`FaultSpec`], so that a misspelt one is refused rather than ignored.
const FIELDS: &[&str] = &[
    "operation",
    "cluster_name",
    "status",
    "code",
    "message",
    "details",
    "error_shape",
    "raw_body",
    "content_type",
    "headers",
    "retry_after_seconds",
    "fail_after_seconds",
    "delay_seconds",
    "drop_connection",
    "pass_through",
    "times",
    "for_seconds",
];

fn is_false(b: &bool) -> bool {
    !*b
}

fn non_negative(name: &str, value: Option<f64>) -> Result<(), String> {
    match value {
        Some(v) if !(v.is_finite() && v >= 0.0) => {
            Err(format!("`{name}` must be a non-negative number of seconds"))
        }
        _ => Ok(()),
    }
}

impl FaultSpec {
    /// Reads the JSON of `POST /_armsim/faults`, refusing fields it does not know.
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        if let Some(unknown) = value
            .as_object()
            .and_then(|o| o.keys().find(|k| !FIELDS.contains(&k.as_str())))
        {
            return Err(format!(
                "unknown field `{unknown}`; known: {}",
                FIELDS.join(", ")
            ));
        }
        let spec: Self = serde_json::from_value(value).map_err(|e| e.to_string())?;
        spec.validate()?;
        Ok(spec)
    }

    /// A fault that answers `operation` with `status` and the default error for it.
    pub fn status(operation: ArmOperation, status: u16) -> Self {
        Self {
            operation,
            cluster_name: None,
            status: Some(status),
            code: None,
            message: None,
            details: Vec::new(),
            error_shape: None,
            raw_body: None,
            content_type: None,
            headers: BTreeMap::new(),
            retry_after_seconds: None,
            fail_after_seconds: None,
            delay_seconds: None,
            drop_connection: false,
            pass_through: false,
            times: None,
            for_seconds: None,
        }
    }

    /// Checks that the spec means one thing.
    pub fn validate(&self) -> Result<(), String> {
        non_negative("fail_after_seconds", self.fail_after_seconds)?;
        non_negative("delay_seconds", self.delay_seconds)?;
        non_negative("for_seconds", self.for_seconds)?;
        if self.times == Some(0) {
            return Err("`times` must be at least 1".into());
        }
        if self.times.is_some() && self.for_seconds.is_some() {
            return Err("give either `times` or `for_seconds`, not both".into());
        }
        let answers = self.status.is_some() || self.raw_body.is_some();
        if self.fail_after_seconds.is_some() {
            if self.operation != ArmOperation::Create {
                return Err("`fail_after_seconds` applies to `create` only".into());
            }
            if answers || self.drop_connection || self.pass_through || self.delay_seconds.is_some()
            {
                return Err(
                    "`fail_after_seconds` (an asynchronous failure) takes no `status`, \
                     `raw_body`, `drop_connection`, `pass_through` or `delay_seconds`"
                        .into(),
                );
            }
            return Ok(());
        }
        if self.drop_connection && answers {
            return Err("`drop_connection` sends no answer: give no `status` or `raw_body`".into());
        }
        match (self.status, &self.raw_body) {
            (Some(status), Some(_)) if !(200..=599).contains(&status) => {
                Err(format!("`status` {status} must be 200–599"))
            }
            (Some(status), None) if !(400..=599).contains(&status) => Err(format!(
                "`status` {status} is not an error status (400–599); give `raw_body` to answer \
                 a success"
            )),
            _ if !answers
                && !self.drop_connection
                && !self.pass_through
                && self.delay_seconds.is_none() =>
            {
                Err(
                    "give `status`, `raw_body`, `drop_connection`, `delay_seconds` or \
                     `fail_after_seconds`"
                        .into(),
                )
            }
            _ => Ok(()),
        }
    }

    /// The ARM error this fault answers with (or fails an operation with).
    pub fn error(&self) -> ArmErrorDetail {
        let (code, message) = match self.status {
            Some(429) => (
                "TooManyRequests",
                "The request is being throttled. Please retry later.",
            ),
            Some(s) if s >= 500 => (
                "InternalServerError",
                "An internal server error occurred. Please retry.",
            ),
            Some(_) => ("BadRequest", "The request was refused by a scripted fault."),
            None => (
                "InternalOperationError",
                "The operation failed (scripted fault).",
            ),
        };
        ArmErrorDetail {
            code: self.code.clone().unwrap_or_else(|| code.into()),
            message: self.message.clone().unwrap_or_else(|| message.into()),
            details: self.details.clone(),
            ..ArmErrorDetail::default()
        }
    }

    /// The HTTP answer this fault gives, if it gives one (not for a dropped connection or a
    /// plain delay).
    pub fn answer(&self) -> Option<Answer> {
        let mut answer = match (&self.raw_body, self.status) {
            (Some(raw), status) => Answer::raw(
                status.unwrap_or(200),
                self.content_type
                    .clone()
                    .unwrap_or_else(|| "application/json".into()),
                raw.clone(),
            ),
            (None, Some(status)) => match self.error_shape.unwrap_or_default() {
                ErrorShape::Wrapped => Answer::arm_error(status, self.error()),
                ErrorShape::Unwrapped => Answer::aks_error_with_details(status, self.error()),
            },
            (None, None) => return None,
        };
        if let Some(seconds) = self.retry_after_seconds {
            answer = answer.with_header("retry-after", seconds.to_string());
        }
        for (name, value) in &self.headers {
            answer = answer.with_header(name.to_ascii_lowercase(), value.clone());
        }
        Some(answer)
    }

    /// The call reaches the simulated Azure before the scripted answer (if any) is given.
    pub fn performs_call(&self) -> bool {
        self.pass_through || (self.answer().is_none() && !self.drop_connection)
    }

    pub fn delay(&self) -> Option<Duration> {
        self.delay_seconds
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
    }

    fn is_async_failure(&self) -> bool {
        self.fail_after_seconds.is_some()
    }

    fn matches(&self, operation: ArmOperation, cluster_name: Option<&str>) -> bool {
        self.operation == operation
            && match (&self.cluster_name, cluster_name) {
                (None, _) => true,
                (Some(want), Some(got)) => want.eq_ignore_ascii_case(got),
                (Some(_), None) => false,
            }
    }
}

/// A fault in force, with its id and how long it lasts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Matching calls left, for a fault counted in `times`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u32>,
    /// Seconds left, for a fault that lasts `for_seconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<f64>,
    #[serde(skip, default = "Instant::now")]
    expires_at: Instant,
}

/// The faults in force, in the order they were added.
#[derive(Debug, Default)]
pub struct FaultBook {
    next_id: u64,
    faults: Vec<Fault>,
}

impl FaultBook {
    pub fn add(&mut self, spec: FaultSpec, now: Instant) -> Fault {
        self.next_id += 1;
        let lasting = spec
            .for_seconds
            .and_then(|s| Duration::try_from_secs_f64(s).ok());
        let fault = Fault {
            id: self.next_id,
            remaining: match lasting {
                Some(_) => None,
                None => Some(spec.times.unwrap_or(1)),
            },
            expires_in_seconds: lasting.map(|d| d.as_secs_f64()),
            expires_at: lasting.map(|d| now + d).unwrap_or(now),
            spec,
        };
        self.faults.push(fault.clone());
        fault
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }

    /// The faults still in force at `now`.
    pub fn list(&mut self, now: Instant) -> Vec<Fault> {
        self.expire(now);
        self.faults
            .iter()
            .map(|f| {
                let mut f = f.clone();
                if f.remaining.is_none() {
                    f.expires_in_seconds =
                        Some(f.expires_at.saturating_duration_since(now).as_secs_f64());
                }
                f
            })
            .collect()
    }

    /// The first fault that changes how a call of `operation` is answered, used up by one.
    pub fn take_http(
        &mut self,
        operation: ArmOperation,
        cluster_name: Option<&str>,
        now: Instant,
    ) -> Option<FaultSpec> {
        self.take(now, |f| {
            !f.spec.is_async_failure() && f.spec.matches(operation, cluster_name)
        })
    }

    /// The first asynchronous failure scripted for a create of `cluster_name`, used up by one.
    pub fn take_async_failure(&mut self, cluster_name: &str, now: Instant) -> Option<FaultSpec> {
        self.take(now, |f| {
            f.spec.is_async_failure() && f.spec.matches(ArmOperation::Create, Some(cluster_name))
        })
    }

    fn expire(&mut self, now: Instant) {
        self.faults
            .retain(|f| f.remaining.is_some() || f.expires_at > now);
    }

    fn take(&mut self, now: Instant, predicate: impl Fn(&Fault) -> bool) -> Option<FaultSpec> {
        self.expire(now);
        let index = self.faults.iter().position(predicate)?;
        let fault = &mut self.faults[index];
        let spec = fault.spec.clone();
        if let Some(remaining) = &mut fault.remaining {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                self.faults.remove(index);
            }
        }
        Some(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::armsim::answer::AnswerBody;

    fn spec(json: serde_json::Value) -> FaultSpec {
        match serde_json::from_value(json) {
            Ok(spec) => spec,
            Err(e) => panic!("fault spec: {e}"),
        }
    }

    #[test]
    fn a_fault_applies_its_repeat_count_then_goes_away() {
        let now = Instant::now();
        let mut book = FaultBook::default();
        book.add(
            spec(serde_json::json!({"operation": "create", "status": 429, "times": 2})),
            now,
        );
        assert!(
            book.take_http(ArmOperation::Create, Some("a"), now)
                .is_some()
        );
        assert!(book.take_http(ArmOperation::Get, Some("a"), now).is_none());
        assert!(
            book.take_http(ArmOperation::Create, Some("b"), now)
                .is_some()
        );
        assert!(
            book.take_http(ArmOperation::Create, Some("a"), now)
                .is_none()
        );
        assert!(book.list(now).is_empty());
    }

    #[test]
    fn a_fault_for_seconds_applies_to_every_call_until_it_expires() {
        let now = Instant::now();
        let mut book = FaultBook::default();
        book.add(
            spec(serde_json::json!({"operation": "operation_status", "status": 503, "for_seconds": 2.0})),
            now,
        );
        for _ in 0..5 {
            assert!(
                book.take_http(
                    ArmOperation::OperationStatus,
                    None,
                    now + Duration::from_secs(1)
                )
                .is_some()
            );
        }
        let listed = book.list(now + Duration::from_secs(1));
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].remaining, None);
        assert_eq!(listed[0].expires_in_seconds, Some(1.0));
        let later = now + Duration::from_secs(2);
        assert!(
            book.take_http(ArmOperation::OperationStatus, None, later)
                .is_none()
        );
        assert!(book.list(later).is_empty());
    }

    #[test]
    fn a_fault_for_one_cluster_leaves_others_alone() {
        let now = Instant::now();
        let mut book = FaultBook::default();
        book.add(
            spec(serde_json::json!({"operation": "get", "cluster_name": "AKS-1", "status": 500})),
            now,
        );
        assert!(
            book.take_http(ArmOperation::Get, Some("aks-2"), now)
                .is_none()
        );
        assert!(book.take_http(ArmOperation::Get, None, now).is_none());
        assert!(
            book.take_http(ArmOperation::Get, Some("aks-1"), now)
                .is_some()
        );
    }

    #[test]
    fn specs_must_mean_one_thing() {
        let refused = [
            serde_json::json!({"operation": "create"}),
            serde_json::json!({"operation": "get", "fail_after_seconds": 2}),
            serde_json::json!({"operation": "get", "status": 200}),
            serde_json::json!({"operation": "get", "status": 600, "raw_body": "x"}),
            serde_json::json!({"operation": "get", "status": 500, "times": 0}),
            serde_json::json!({"operation": "get", "status": 500, "times": 2, "for_seconds": 1}),
            serde_json::json!({"operation": "get", "status": 500, "drop_connection": true}),
            serde_json::json!({"operation": "get", "delay_seconds": -1}),
            serde_json::json!({"operation": "create", "fail_after_seconds": 1, "status": 500}),
        ];
        for json in refused {
            assert!(spec(json.clone()).validate().is_err(), "{json}");
        }
        let accepted = [
            serde_json::json!({"operation": "create", "fail_after_seconds": 2, "code": "ZonalAllocationFailed"}),
            serde_json::json!({"operation": "operation_status", "raw_body": "not json"}),
            serde_json::json!({"operation": "create", "status": 201, "raw_body": "{}"}),
            serde_json::json!({"operation": "get", "delay_seconds": 3}),
            serde_json::json!({"operation": "get", "drop_connection": true}),
            serde_json::json!({"operation": "create", "pass_through": true, "drop_connection": true}),
        ];
        for json in accepted {
            assert_eq!(spec(json.clone()).validate(), Ok(()), "{json}");
        }
        let typo = FaultSpec::from_json(br#"{"operation": "get", "stauts": 500}"#);
        assert!(
            typo.is_err_and(|e| e.contains("stauts")),
            "unknown fields are refused"
        );
        assert!(FaultSpec::from_json(br#"{"operation": "get", "status": 500}"#).is_ok());
    }

    #[test]
    fn default_errors_follow_the_status() {
        let throttled = spec(serde_json::json!({"operation": "skus", "status": 429}));
        assert_eq!(throttled.error().code, "TooManyRequests");
        let custom = spec(
            serde_json::json!({"operation": "skus", "status": 503, "code": "ServiceUnavailable", "message": "down"}),
        );
        assert_eq!(
            custom.error(),
            ArmErrorDetail::new("ServiceUnavailable", "down")
        );
    }

    #[test]
    fn raw_bodies_are_sent_exactly_with_their_content_type() {
        let html = spec(serde_json::json!({
            "operation": "get", "status": 502, "raw_body": "<html>Bad Gateway</html>",
            "content_type": "text/html", "retry_after_seconds": 7
        }));
        let answer = html.answer().expect("an answer");
        assert_eq!(answer.status, 502);
        assert_eq!(
            answer.body,
            AnswerBody::Raw {
                content_type: "text/html".into(),
                text: "<html>Bad Gateway</html>".into()
            }
        );
        assert!(answer.headers.contains(&("retry-after".into(), "7".into())));
        let garbled = spec(serde_json::json!({"operation": "operation_status", "raw_body": "{"}));
        assert_eq!(garbled.answer().map(|a| a.status), Some(200));
        let unwrapped = spec(serde_json::json!({
            "operation": "create", "status": 400, "code": "InvalidParameter", "message": "m",
            "error_shape": "unwrapped"
        }));
        let body = unwrapped
            .answer()
            .and_then(|a| a.json_body().cloned())
            .unwrap_or_default();
        assert_eq!(body["code"], "InvalidParameter");
        assert!(body["details"].is_null());
    }

    #[test]
    fn what_reaches_the_simulated_azure() {
        let delay = spec(serde_json::json!({"operation": "get", "delay_seconds": 1.5}));
        assert!(delay.performs_call());
        assert_eq!(delay.delay(), Some(Duration::from_millis(1500)));
        let lost =
            spec(serde_json::json!({"operation": "create", "pass_through": true, "status": 500}));
        assert!(lost.performs_call());
        let refused = spec(serde_json::json!({"operation": "create", "status": 500}));
        assert!(!refused.performs_call());
        let reset = spec(serde_json::json!({"operation": "create", "drop_connection": true}));
        assert!(!reset.performs_call());
    }
}

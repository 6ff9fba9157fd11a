//! Scripted faults: tests tell the simulator to answer a kind of call with an error, or to let a
//! create start and fail later, a given number of times.

use serde::{Deserialize, Serialize};

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
}

/// The body of `POST /_armsim/faults`.
///
/// Either `status` (answer the call with that HTTP status and an ARM error body, optionally
/// with `Retry-After`) or `fail_after_seconds` (only for `create`: accept the PUT, then end its
/// operation `Failed` with `code`/`message` after that many seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    pub operation: ArmOperation,
    /// Only calls about this cluster (case-insensitive); any cluster when absent.
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
    pub retry_after_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_after_seconds: Option<f64>,
    /// How many matching calls the fault applies to (default 1).
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

impl FaultSpec {
    /// Checks that the spec means one thing.
    pub fn validate(&self) -> Result<(), String> {
        match (self.status, self.fail_after_seconds) {
            (Some(_), Some(_)) => {
                Err("give either `status` or `fail_after_seconds`, not both".into())
            }
            (None, None) => Err(
                "give `status` (an HTTP answer) or `fail_after_seconds` (an asynchronous failure)"
                    .into(),
            ),
            (Some(status), None) if !(400..=599).contains(&status) => Err(format!(
                "`status` {status} is not an error status (400–599)"
            )),
            (None, Some(seconds)) if !(seconds.is_finite() && seconds >= 0.0) => {
                Err("`fail_after_seconds` must be a non-negative number".into())
            }
            (None, Some(_)) if self.operation != ArmOperation::Create => {
                Err("`fail_after_seconds` applies to `create` only".into())
            }
            _ if self.times == 0 => Err("`times` must be at least 1".into()),
            _ => Ok(()),
        }
    }

    /// The ARM error this fault answers with.
    pub fn error(&self) -> ArmErrorDetail {
        let (code, message) = match (self.status, self.fail_after_seconds) {
            (Some(429), _) => (
                "TooManyRequests",
                "The request is being throttled. Please retry later.",
            ),
            (Some(s), _) if s >= 500 => (
                "InternalServerError",
                "An internal server error occurred. Please retry.",
            ),
            (Some(_), _) => ("BadRequest", "The request was refused by a scripted fault."),
            (None, _) => (
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

    fn matches(&self, operation: ArmOperation, cluster_name: Option<&str>) -> bool {
        self.operation == operation
            && match (&self.cluster_name, cluster_name) {
                (None, _) => true,
                (Some(want), Some(got)) => want.eq_ignore_ascii_case(got),
                (Some(_), None) => false,
            }
    }
}

/// A fault with its id and how many uses remain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    pub remaining: u32,
}

/// The faults in force, in the order they were added.
#[derive(Debug, Default)]
pub struct FaultBook {
    next_id: u64,
    faults: Vec<Fault>,
}

impl FaultBook {
    pub fn add(&mut self, spec: FaultSpec) -> Fault {
        self.next_id += 1;
        let fault = Fault {
            id: self.next_id,
            remaining: spec.times,
            spec,
        };
        self.faults.push(fault.clone());
        fault
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }

    pub fn list(&self) -> Vec<Fault> {
        self.faults.clone()
    }

    /// The first fault that answers `operation` with an HTTP error, used up by one.
    pub fn take_http(
        &mut self,
        operation: ArmOperation,
        cluster_name: Option<&str>,
    ) -> Option<FaultSpec> {
        self.take(|f| f.spec.status.is_some() && f.spec.matches(operation, cluster_name))
    }

    /// The first asynchronous failure scripted for a create of `cluster_name`, used up by one.
    pub fn take_async_failure(&mut self, cluster_name: &str) -> Option<FaultSpec> {
        self.take(|f| {
            f.spec.fail_after_seconds.is_some()
                && f.spec.matches(ArmOperation::Create, Some(cluster_name))
        })
    }

    fn take(&mut self, predicate: impl Fn(&Fault) -> bool) -> Option<FaultSpec> {
        let index = self.faults.iter().position(predicate)?;
        let fault = &mut self.faults[index];
        let spec = fault.spec.clone();
        fault.remaining = fault.remaining.saturating_sub(1);
        if fault.remaining == 0 {
            self.faults.remove(index);
        }
        Some(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> FaultSpec {
        match serde_json::from_value(json) {
            Ok(spec) => spec,
            Err(e) => panic!("fault spec: {e}"),
        }
    }

    #[test]
    fn a_fault_applies_its_repeat_count_then_goes_away() {
        let mut book = FaultBook::default();
        book.add(spec(
            serde_json::json!({"operation": "create", "status": 429, "times": 2}),
        ));
        assert!(book.take_http(ArmOperation::Create, Some("a")).is_some());
        assert!(book.take_http(ArmOperation::Get, Some("a")).is_none());
        assert!(book.take_http(ArmOperation::Create, Some("b")).is_some());
        assert!(book.take_http(ArmOperation::Create, Some("a")).is_none());
        assert!(book.list().is_empty());
    }

    #[test]
    fn a_fault_for_one_cluster_leaves_others_alone() {
        let mut book = FaultBook::default();
        book.add(spec(
            serde_json::json!({"operation": "get", "cluster_name": "AKS-1", "status": 500}),
        ));
        assert!(book.take_http(ArmOperation::Get, Some("aks-2")).is_none());
        assert!(book.take_http(ArmOperation::Get, None).is_none());
        assert!(book.take_http(ArmOperation::Get, Some("aks-1")).is_some());
    }

    #[test]
    fn specs_must_mean_one_thing() {
        assert!(
            spec(serde_json::json!({"operation": "create"}))
                .validate()
                .is_err()
        );
        assert!(
            spec(serde_json::json!({"operation": "get", "fail_after_seconds": 2}))
                .validate()
                .is_err()
        );
        assert!(
            spec(serde_json::json!({"operation": "get", "status": 200}))
                .validate()
                .is_err()
        );
        assert!(spec(serde_json::json!({"operation": "create", "fail_after_seconds": 2, "code": "ZonalAllocationFailed"})).validate().is_ok());
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
}

//! How the browser reads the JSON the server writes.
//!
//! The server writes every answer with serde (`Serialize`); the browser reads it in two steps:
//! `serde_json` parses the text into one `Value`, and [`FromJson`] takes each type out of it
//! field by field. The derived `Deserialize` would instead compile a parser per type into the
//! bundle (about a tenth of the whole bundle; docs/bundle.md, "One JSON reader"). The rules
//! follow serde's derive for the shapes the dashboard uses, and `tests` prove each type reads
//! back what the server wrote:
//! - a field of type `Option<_>` may be missing or `null`;
//! - a field with `#[serde(default)]` may be missing (read with [`Fields::or_default`]);
//! - any other field must be present with a value of its type; integers must be whole and fit.
//!
//! [`Wire`] is the server functions' encoding: the same JSON as `server_fn`'s `JsonEncoding`
//! on the wire, read with [`FromJson`].

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};
use server_fn::codec::Post;
use server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};

/// What did not fit: the field (when known) and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError(pub String);

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WireError {}

fn expected(what: &str) -> WireError {
    WireError(format!("expected {what}"))
}

/// A type the browser reads out of a parsed JSON value.
pub trait FromJson: Sized {
    fn from_json(value: &Value) -> Result<Self, WireError>;
}

/// Parses JSON text and reads a `T` out of it.
pub fn from_slice<T: FromJson>(bytes: &[u8]) -> Result<T, WireError> {
    let text = std::str::from_utf8(bytes).map_err(|_| WireError("not UTF-8 text".into()))?;
    T::from_json(&parse(text)?)
}

/// Parses JSON text into a `Value`: on the server with serde_json, in the browser with the
/// browser's own parser (`JSON.parse`), so the bundle carries no JSON parser at all.
pub fn parse(text: &str) -> Result<Value, WireError> {
    engine::parse(text)
}

/// JSON text indented by two spaces, or `None` when it is not JSON: with serde_json on the
/// server (keys sorted), with the browser's `JSON.stringify` in the browser (keys in the order
/// they came), so the bundle has no JSON writer for it.
pub fn pretty(text: &str) -> Option<String> {
    engine::pretty(text)
}

/// [`parse`] and [`pretty`] on the server (and in native tests).
#[cfg(any(feature = "ssr", not(target_arch = "wasm32")))]
mod engine {
    use super::{Value, WireError};

    pub fn parse(text: &str) -> Result<Value, WireError> {
        serde_json::from_str(text).map_err(|e| WireError(format!("not JSON: {e}")))
    }

    pub fn pretty(text: &str) -> Option<String> {
        serde_json::to_string_pretty(&parse(text).ok()?).ok()
    }
}

/// [`parse`] and [`pretty`] in the browser.
#[cfg(all(not(feature = "ssr"), target_arch = "wasm32"))]
mod engine {
    use super::{Value, WireError, browser};
    use web_sys::js_sys::JSON;

    pub fn parse(text: &str) -> Result<Value, WireError> {
        let parsed = JSON::parse(text).map_err(|_| WireError("not JSON".into()))?;
        Ok(browser::to_value(&parsed))
    }

    pub fn pretty(text: &str) -> Option<String> {
        let value = JSON::parse(text).ok()?;
        JSON::stringify_with_replacer_and_space(&value, &wasm_bindgen::JsValue::NULL, &2.into())
            .ok()?
            .as_string()
    }
}

#[cfg(all(not(feature = "ssr"), target_arch = "wasm32"))]
mod browser {
    use serde_json::{Map, Number, Value};
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::js_sys::{Array, Object};

    /// What `JSON.parse` gave, as a `Value`. Numbers: a whole one (JSON has one number type;
    /// JavaScript holds it as a double, exact up to 2⁵³) becomes an integer, any other a float.
    pub fn to_value(v: &JsValue) -> Value {
        if let Some(b) = v.as_bool() {
            Value::Bool(b)
        } else if let Some(n) = v.as_f64() {
            number(n)
        } else if let Some(s) = v.as_string() {
            Value::String(s)
        } else if Array::is_array(v) {
            Value::Array(
                v.unchecked_ref::<Array>()
                    .iter()
                    .map(|item| to_value(&item))
                    .collect(),
            )
        } else if v.is_object() {
            let mut map = Map::new();
            for entry in Object::entries(v.unchecked_ref::<Object>()).iter() {
                let pair = entry.unchecked_into::<Array>();
                if let Some(key) = pair.get(0).as_string() {
                    map.insert(key, to_value(&pair.get(1)));
                }
            }
            Value::Object(map)
        } else {
            Value::Null
        }
    }

    const EXACT: f64 = 9_007_199_254_740_992.0; // 2⁵³

    fn number(n: f64) -> Value {
        if n.fract() == 0.0 && n.abs() <= EXACT {
            if n >= 0.0 {
                Value::Number(Number::from(n as u64))
            } else {
                Value::Number(Number::from(n as i64))
            }
        } else {
            Number::from_f64(n).map_or(Value::Null, Value::Number)
        }
    }
}

/// The fields of a JSON object.
pub struct Fields<'a>(&'a Map<String, Value>);

static NULL: Value = Value::Null;

impl<'a> Fields<'a> {
    pub fn of(value: &'a Value) -> Result<Self, WireError> {
        value
            .as_object()
            .map(Fields)
            .ok_or_else(|| expected("an object"))
    }

    /// A field without a default: a missing one reads as `null` (which only an `Option` takes).
    // Not inlined: one copy per field type rather than one per field.
    #[inline(never)]
    pub fn req<T: FromJson>(&self, name: &str) -> Result<T, WireError> {
        T::from_json(self.0.get(name).unwrap_or(&NULL)).map_err(|e| in_field(name, e))
    }

    /// A `#[serde(default)]` field: a missing one is `T::default()`.
    #[inline(never)]
    pub fn or_default<T: FromJson + Default>(&self, name: &str) -> Result<T, WireError> {
        match self.0.get(name) {
            None => Ok(T::default()),
            Some(value) => T::from_json(value).map_err(|e| in_field(name, e)),
        }
    }
}

/// Implements [`FromJson`] for a struct, field by field: `req` for a field without a default,
/// `or_default` for a `#[serde(default)]` one (see [`Fields`]). A field of the struct left out
/// does not compile.
///
/// ```text
/// read_struct!(PendingDismiss { user: req, job_id: req, at: req });
/// ```
macro_rules! read_struct {
    ($ty:ty { $($field:ident: $how:ident),* $(,)? }) => {
        impl $crate::wire::FromJson for $ty {
            fn from_json(v: &::serde_json::Value) -> Result<Self, $crate::wire::WireError> {
                let f = $crate::wire::Fields::of(v)?;
                Ok(Self {
                    $($field: f.$how(stringify!($field))?,)*
                })
            }
        }
    };
}
pub(crate) use read_struct;

fn in_field(name: &str, e: WireError) -> WireError {
    WireError(format!("`{name}`: {}", e.0))
}

/// A unit enum written as one of its names (`as_str`).
pub fn named<T: Copy>(
    value: &Value,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, WireError> {
    let text = value.as_str().ok_or_else(|| expected("a string"))?;
    all.iter()
        .copied()
        .find(|v| name(*v) == text)
        .ok_or_else(|| WireError(format!("unknown value \"{text}\"")))
}

impl FromJson for Value {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        Ok(value.clone())
    }
}

impl FromJson for () {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        value.as_null().ok_or_else(|| expected("null"))
    }
}

impl FromJson for String {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| expected("a string"))
    }
}

impl FromJson for bool {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        value.as_bool().ok_or_else(|| expected("true or false"))
    }
}

impl FromJson for i64 {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        value.as_i64().ok_or_else(|| expected("a whole number"))
    }
}

impl FromJson for u64 {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        value
            .as_u64()
            .ok_or_else(|| expected("a whole number, 0 or more"))
    }
}

impl FromJson for u32 {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        u64::from_json(value)?
            .try_into()
            .map_err(|_| expected("a whole number below 2³²"))
    }
}

impl FromJson for u16 {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        u64::from_json(value)?
            .try_into()
            .map_err(|_| expected("a whole number below 65,536"))
    }
}

impl FromJson for f64 {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        value.as_f64().ok_or_else(|| expected("a number"))
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        match value {
            Value::Null => Ok(None),
            value => T::from_json(value).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        let items = value.as_array().ok_or_else(|| expected("a list"))?;
        // A plain loop: `collect` into a `Result` compiles to more code per item type.
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(T::from_json(item).map_err(|e| at_index(i, e))?);
        }
        Ok(out)
    }
}

fn at_index(i: usize, e: WireError) -> WireError {
    WireError(format!("[{i}]: {}", e.0))
}

/// Serde's shape of a `Result`: `{"Ok": …}` or `{"Err": …}`.
impl<T: FromJson, E: FromJson> FromJson for Result<T, E> {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        let f = Fields::of(value)?;
        match (f.0.get("Ok"), f.0.get("Err")) {
            (Some(ok), None) => T::from_json(ok).map(Ok),
            (None, Some(err)) => E::from_json(err).map(Err),
            _ => Err(expected("one of `Ok` or `Err`")),
        }
    }
}

impl FromJson for BTreeMap<String, String> {
    fn from_json(value: &Value) -> Result<Self, WireError> {
        let map = value.as_object().ok_or_else(|| expected("an object"))?;
        let mut out = BTreeMap::new();
        for (k, v) in map {
            out.insert(k.clone(), String::from_json(v).map_err(|e| in_field(k, e))?);
        }
        Ok(out)
    }
}

/// The server functions' answers: JSON written with serde, read with [`FromJson`].
pub struct WireEncoding;

/// A server function's `output`: the answer in a `POST` body's answer, as `server_fn`'s `Json`.
pub type Wire = Post<WireEncoding>;

impl ContentType for WireEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for WireEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for WireEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: FromJson> Decodes<T> for WireEncoding {
    type Error = WireError;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        from_slice(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_take_missing_and_null() {
        let v = json!({"a": null});
        let f = Fields::of(&v).unwrap();
        assert_eq!(f.req::<Option<String>>("a").unwrap(), None);
        assert_eq!(f.req::<Option<String>>("b").unwrap(), None);
    }

    #[test]
    fn a_missing_required_field_is_named() {
        let v = json!({});
        let err = Fields::of(&v).unwrap().req::<String>("code").unwrap_err();
        assert_eq!(err.0, "`code`: expected a string");
    }

    #[test]
    fn defaults_only_for_missing_fields() {
        let v = json!({"n": "x"});
        let f = Fields::of(&v).unwrap();
        assert_eq!(f.or_default::<u32>("m").unwrap(), 0);
        assert_eq!(
            f.or_default::<u32>("n").unwrap_err().0,
            "`n`: expected a whole number, 0 or more"
        );
    }

    #[test]
    fn integers_must_be_whole_and_fit() {
        assert!(u32::from_json(&json!(3.5)).is_err());
        assert!(u32::from_json(&json!(-1)).is_err());
        assert!(u32::from_json(&json!(5_000_000_000u64)).is_err());
        assert_eq!(u32::from_json(&json!(7)).unwrap(), 7);
        assert_eq!(i64::from_json(&json!(-7)).unwrap(), -7);
        assert_eq!(f64::from_json(&json!(2)).unwrap(), 2.0);
    }

    #[test]
    fn list_errors_say_which_item() {
        let err = Vec::<u32>::from_json(&json!([1, "two"])).unwrap_err();
        assert_eq!(err.0, "[1]: expected a whole number, 0 or more");
    }

    #[test]
    fn unit_is_null() {
        assert!(<()>::from_json(&Value::Null).is_ok());
        assert!(<()>::from_json(&json!(1)).is_err());
    }

    // Every type the browser reads: what the server writes reads back equal, and for each field
    // missing or `null`, `FromJson` and serde's derived decoder agree (both refuse, or both
    // read the same value).
    mod agreement {
        use std::fmt::Debug;

        use serde::de::DeserializeOwned;
        use serde_json::json;

        use super::super::*;
        use crate::api_error::ApiError;
        use crate::app::SessionInfo;
        use crate::components::cluster_card::CardData;
        use crate::components::fixtures::{NOW, failure, quota_fixes, request, task};
        use crate::components::last_failed::pending::PendingDismiss;
        use crate::components::last_failed::rules::LocalCopy;
        use crate::provisioning::classify::{Category, Classification, ErrorAction};
        use crate::provisioning::model::*;

        fn agrees<T: FromJson + DeserializeOwned + PartialEq + Debug>(value: &Value) {
            let ours = T::from_json(value);
            let serde = serde_json::from_value::<T>(value.clone());
            match (ours, serde) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{value}"),
                (Err(_), Err(_)) => {}
                (a, b) => panic!("FromJson {a:?} but serde {b:?} for {value}"),
            }
        }

        fn round_trip<T>(full: &T)
        where
            T: Serialize + FromJson + DeserializeOwned + PartialEq + Debug,
        {
            let value = serde_json::to_value(full).expect("serializes");
            assert_eq!(&T::from_json(&value).expect("reads back"), full);
            assert_eq!(
                &from_slice::<T>(value.to_string().as_bytes()).unwrap(),
                full
            );
            agrees::<T>(&value);
            if let Value::Object(map) = &value {
                for key in map.keys() {
                    let mut missing = map.clone();
                    missing.remove(key);
                    agrees::<T>(&Value::Object(missing));
                    let mut null = map.clone();
                    null.insert(key.clone(), Value::Null);
                    agrees::<T>(&Value::Object(null));
                }
            }
        }

        fn pool() -> PoolProgress {
            PoolProgress {
                name: "system".into(),
                vm_size: "Standard_D2s_v3".into(),
                count: 3,
                mode: "System".into(),
                provisioning_state: Some("Creating".into()),
            }
        }

        fn partial() -> PartialCluster {
            PartialCluster {
                resource_id: "/subscriptions/s/resourceGroups/rg/providers/x/aks".into(),
                portal_url: "https://portal.azure.com/#r".into(),
                last_state: Some("Failed".into()),
                abort_requested: true,
            }
        }

        fn explanation() -> Classification {
            Classification {
                category: Category::Quota,
                headline: "Not enough vCPU quota".into(),
                details: "Ask for more \"quota\" <now>.".into(),
                actions: vec![ErrorAction {
                    label: "Quotas".into(),
                    url: "https://portal.azure.com/#quota".into(),
                }],
                command: Some("az quota update".into()),
            }
        }

        fn progress() -> Progress {
            Progress {
                phase: "arm_create_or_update".into(),
                step: 2,
                total_steps: 3,
                message: "Creating".into(),
                updated_at: NOW,
                cluster_state: Some("Creating".into()),
                pools: vec![pool()],
                portal_url: Some("https://portal.azure.com/#p".into()),
                arm_elapsed_seconds: Some(12.5),
                operation_url: Some("https://management.azure.com/op".into()),
                arm_started_at: Some(NOW - 1000),
            }
        }

        fn task_error() -> TaskError {
            TaskError {
                code: "QuotaExceeded".into(),
                message: "No quota".into(),
                category: "quota".into(),
                headline: "Quota".into(),
                raw: Some("{\"error\":{}}".into()),
                partial_cluster: Some(partial()),
                fixes: quota_fixes(request("aks-one")),
                explanation: Some(explanation()),
            }
        }

        fn full_task() -> TaskStatus {
            TaskStatus {
                progress: Some(progress()),
                result: Some(json!({"id": "x", "n": [1, 2.5, null]})),
                ..task(JobStatus::Failed, Some(task_error()))
            }
        }

        fn full_failure() -> FailedProvision {
            FailedProvision {
                portal_url: Some("https://portal.azure.com/#f".into()),
                partial_cluster: Some(partial()),
                request: Some(request("aks-demo")),
                raw_error: Some("raw".into()),
                delete_blocked: Some("busy".into()),
                fixes: quota_fixes(request("aks-demo")),
                explanation: Some(explanation()),
                ..failure("j9", NOW)
            }
        }

        #[test]
        fn the_provisioning_types_read_back() {
            round_trip(&request("aks-one"));
            round_trip(&ProvisionAccepted {
                job_id: "j".into(),
                task_id: "t".into(),
                status: "queued".into(),
                status_url: "/api/tasks/t".into(),
            });
            round_trip(&pool());
            round_trip(&progress());
            round_trip(&Progress::default());
            for fix in quota_fixes(request("aks-one")) {
                round_trip(&fix);
            }
            round_trip(&partial());
            round_trip(&task_error());
            round_trip(&full_task());
            round_trip(&task(JobStatus::Running, None));
            round_trip(&CancelOutcome {
                task_id: "t".into(),
                job_id: "j".into(),
                previous_status: JobStatus::Running,
                was_running: true,
                cancelled: true,
                partial_cluster: Some(partial()),
            });
            round_trip(&full_failure());
            round_trip(&failure("j1", NOW));
            round_trip(&RecentFailures {
                jobs: vec![full_failure(), failure("j2", NOW)],
                degraded: true,
            });
            let check = PreflightCheck {
                name: "quota".into(),
                status: CheckStatus::Warn,
                message: "Close to the limit".into(),
                details: json!({"limit": 10, "used": 8.0}),
                fixes: quota_fixes(request("aks-one")),
            };
            round_trip(&check);
            round_trip(&PreflightReport {
                ok: false,
                checks: vec![check],
                portal_url: "https://portal.azure.com".into(),
                max_node_count: Some(4),
            });
            let sku = SkuAvailability {
                name: "Standard_D2s_v3".into(),
                family: "DSv3".into(),
                vcpus: 2,
                available: false,
                reason: Some("NotAvailableForSubscription".into()),
            };
            round_trip(&sku);
            round_trip(&AvailableSkus {
                region: "eastus".into(),
                skus: vec![sku],
            });
            let cluster = ClusterSummary {
                name: "aks".into(),
                region: "eastus".into(),
                kubernetes_version: Some("1.30".into()),
                provisioning_state: "Succeeded".into(),
                pools: vec![pool()],
                portal_url: "https://portal.azure.com/#c".into(),
            };
            round_trip(&cluster);
            round_trip(&ClusterList {
                subscription_id: "s".into(),
                resource_group: "rg".into(),
                clusters: vec![cluster],
                error: Some("throttled".into()),
            });
            round_trip(&DeletePartialOutcome {
                job_id: "j".into(),
                resource_id: "/r".into(),
                status: "deleting".into(),
            });
            round_trip(&explanation());
        }

        #[test]
        fn every_name_of_every_enum_reads_back() {
            use JobStatus::*;
            for s in [Queued, Running, Succeeded, Failed, Cancelled] {
                round_trip(&s);
            }
            use FixKind::*;
            for k in [NodeCount, VmSize, Region, Name, Link] {
                round_trip(&k);
            }
            for c in [CheckStatus::Ok, CheckStatus::Warn, CheckStatus::Fail] {
                round_trip(&c);
            }
            // Every category the classifier can produce, by its serde name.
            for name in [
                "quota",
                "sku_blocked",
                "region",
                "rg_permission",
                "auth",
                "allocation",
                "capacity",
                "operation_conflict",
                "network",
                "policy",
                "provider_registration",
                "throttled",
                "cancelled",
                "not_found",
                "invalid_request",
                "name_taken",
                "unknown",
            ] {
                let c = Category::from_json(&json!(name)).expect(name);
                assert_eq!(c.as_str(), name);
                round_trip(&c);
            }
            agrees::<JobStatus>(&json!("Queued"));
            agrees::<Category>(&json!("nonsense"));
            agrees::<CheckStatus>(&json!(1));
        }

        #[test]
        fn the_page_and_browser_types_read_back() {
            let mut error = ApiError::bad_request("Check these fields: region.");
            error
                .fields
                .insert("region".into(), "Pick a region.".into());
            error.retryable = Some(true);
            error.retry_after_seconds = Some(30);
            error.status = 500; // not on the wire: both readers give the default
            round_trip(&error);
            let session = SessionInfo {
                user: "dev@example.com".into(),
                subscription_id: "s".into(),
                resource_group: "rg".into(),
                arm_mode: "simulator".into(),
            };
            round_trip(&session);
            round_trip(&CardData {
                session,
                recent_failures: Some(RecentFailures {
                    jobs: vec![full_failure()],
                    degraded: false,
                }),
                in_flight: vec![full_task(), task(JobStatus::Queued, None)],
            });
            round_trip(&LocalCopy {
                user: "dev@example.com".into(),
                failure: full_failure(),
            });
            round_trip(&PendingDismiss {
                user: "dev@example.com".into(),
                job_id: "j1".into(),
                at: NOW,
            });
            round_trip(&vec![full_task()]);
            round_trip(&Ok::<_, ApiError>(vec![full_task()]));
            let mut not_found = ApiError::not_found("No such provision.");
            not_found.status = 500; // not on the wire
            round_trip(&Err::<RecentFailures, _>(not_found));
            agrees::<Result<u32, ApiError>>(&json!({"Ok": 1, "Err": {}}));
        }
    }
}

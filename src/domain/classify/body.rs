//! Reading Azure's error bodies: where the error object sits, its nested details flattened to
//! any depth, and the codes Azure only writes into message text (`Code="ZonalAllocationFailed"`,
//! `SubCode: …`, `internalErrorCode: …`). Pure, so the browser reads stored failures the same way.

use serde_json::Value;

use super::{ArmErrorCause, ArmErrorInfo};

/// Where the error object sits in one of Azure's error bodies: ARM wraps it
/// (`{"error": {"code", "message", …}}`, also the `error` of a failed operation's status), the
/// AKS resource provider answers it bare (`{"code", "details": null, "message", …}`). `None` when
/// the body is neither (an HTML page from a gateway, say). The one place that knows the shapes.
pub fn arm_error_object(body: &Value) -> Option<&Value> {
    let object = body.as_object()?;
    if let Some(inner) = object.get("error").filter(|e| e.is_object()) {
        return Some(inner);
    }
    object
        .get("code")
        .and_then(Value::as_str)
        .filter(|code| !code.is_empty())
        .map(|_| body)
}

/// Reads one of Azure's error bodies: code, message, and the nested `details` flattened to any
/// depth (the real cause is often several levels down). `null` anywhere reads as missing.
pub fn parse_arm_error(raw: &str) -> Option<ArmErrorInfo> {
    read_arm_error(&serde_json::from_str(raw).ok()?)
}

/// [`parse_arm_error`] of a body already parsed: the Azure client reads each error body once,
/// into its own error and this.
pub fn read_arm_error(body: &Value) -> Option<ArmErrorInfo> {
    let error = arm_error_object(body)?;
    let mut details = Vec::new();
    flatten_details(error, &mut details);
    let message = text_field(error, "message");
    // An error written as JSON into a message (a deployment's detail, a reconciler's text) is
    // one more cause, with its own details.
    let mut embedded = Vec::new();
    for text in std::iter::once(&message).chain(details.iter().map(|d| &d.message)) {
        for inner in errors_in_text(text) {
            if !details.contains(&inner) && !embedded.contains(&inner) {
                embedded.push(inner);
            }
        }
    }
    details.extend(embedded);
    Some(ArmErrorInfo {
        status: None,
        code: text_field(error, "code"),
        message,
        details,
    })
}

/// Error objects written as JSON inside a message (`… failed with error messages: {"code":
/// "VMExtensionProvisioningError", "message": …}`), with their nested details, depth first.
pub fn errors_in_text(text: &str) -> Vec<ArmErrorCause> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find('{') {
        let start = from + at;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                if let Some(error) = arm_error_object(&value) {
                    let cause = ArmErrorCause {
                        code: text_field(error, "code"),
                        message: text_field(error, "message"),
                    };
                    found.push(cause);
                    flatten_details(error, &mut found);
                }
                from = start + stream.byte_offset().max(1);
            }
            _ => from = start + 1,
        }
    }
    found
}

/// An ARM error as a failed job recorded it: the recorded code and message (when there are any),
/// with the nested details read from Azure's raw answer. Server and browser read stored failures
/// through this one function.
pub fn recorded_arm_error(
    code: Option<&str>,
    message: Option<&str>,
    raw: Option<&str>,
) -> ArmErrorInfo {
    let mut info = raw.and_then(parse_arm_error).unwrap_or_default();
    if let Some(code) = code.filter(|c| !c.is_empty()) {
        info.code = code.to_owned();
    }
    if let Some(message) = message.filter(|m| !m.is_empty()) {
        info.message = message.to_owned();
    }
    info
}

fn text_field(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The `details` of `error`, depth first; a detail without code or message is skipped but its
/// own details are not.
fn flatten_details(error: &Value, out: &mut Vec<ArmErrorCause>) {
    let Some(details) = error.get("details").and_then(Value::as_array) else {
        return;
    };
    for detail in details {
        let cause = ArmErrorCause {
            code: text_field(detail, "code"),
            message: text_field(detail, "message"),
        };
        if !(cause.code.is_empty() && cause.message.is_empty()) {
            out.push(cause);
        }
        flatten_details(detail, out);
    }
}

/// Codes Azure writes into message text when one service wraps another's error:
/// `Code="ZonalAllocationFailed"`, `Code=\"…\"` (escaped), `Code='SubnetIsFull'`,
/// `SubCode: LinkedAuthorizationFailed;`, `internalErrorCode: TooManyRequestsReceived`, JSON
/// (`"code": "NetworkProfileCIDROverlapVNET"`, escaped or not), a node's setup script
/// (`CSE failed with 'VMExtensionError_K8SDownloadTimeout'`, `CSE Error: WINDOWS_CSE_…`).
pub fn codes_in_text(text: &str) -> Vec<String> {
    const MARKERS: &[&str] = &[
        "code=\"",
        "code=\\\"",
        "code='",
        "subcode: ",
        "internalerrorcode: ",
        "\"code\": \"",
        "\"code\":\"",
        "\\\"code\\\": \\\"",
        "\\\"code\\\":\\\"",
        "cse failed with '",
        "cse error: ",
    ];
    let lower = text.to_ascii_lowercase();
    let mut codes = Vec::new();
    for marker in MARKERS {
        let mut from = 0;
        while let Some(at) = lower[from..].find(marker) {
            let start = from + at + marker.len();
            let code: String = text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `SubCode: ` in `Code: X SubCode: …` must not be read twice as `Code`; the
            // `code=` of `subcode=` neither (its `code="` marker sees it too, same code).
            if !code.is_empty() && !codes.contains(&code) {
                codes.push(code);
            }
            from = start;
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_bare_and_operation_shapes_are_found() {
        let wrapped = serde_json::json!({"error": {"code": "A", "message": "m"}});
        let bare = serde_json::json!({"code": "B", "details": null, "message": "m"});
        let operation = serde_json::json!({"status": "Failed", "error": {"code": "C"}});
        let html = serde_json::json!("<html>");
        assert_eq!(
            arm_error_object(&wrapped).map(|e| &e["code"]),
            Some(&serde_json::json!("A"))
        );
        assert_eq!(
            arm_error_object(&bare).map(|e| &e["code"]),
            Some(&serde_json::json!("B"))
        );
        assert_eq!(
            arm_error_object(&operation).map(|e| &e["code"]),
            Some(&serde_json::json!("C"))
        );
        assert!(arm_error_object(&html).is_none());
        assert!(arm_error_object(&serde_json::json!({"status": "Succeeded"})).is_none());
    }

    #[test]
    fn details_flatten_to_any_depth_and_null_reads_as_missing() {
        let info = parse_arm_error(
            r#"{"error":{"code":"DeploymentFailed","message":null,"details":[
                {"code":"Conflict","message":"outer","details":[
                    {"code":null,"message":null,"details":[
                        {"code":"ZonalAllocationFailed","message":"inner","details":null}]}]}]}}"#,
        )
        .expect("parsed");
        assert_eq!(info.code, "DeploymentFailed");
        assert_eq!(info.message, "");
        let codes: Vec<&str> = info.details.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["Conflict", "ZonalAllocationFailed"]);
    }

    #[test]
    fn a_recorded_code_and_message_win_over_the_raw_body() {
        let info = recorded_arm_error(
            Some("Recorded"),
            None,
            Some(
                r#"{"code":"Raw","message":"raw message","details":[{"code":"Inner","message":"i"}]}"#,
            ),
        );
        assert_eq!(
            (
                info.code.as_str(),
                info.message.as_str(),
                info.details.len()
            ),
            ("Recorded", "raw message", 1)
        );
    }

    #[test]
    fn codes_written_into_text_are_found() {
        let text = "Reconcile vmss agent pool error: VMSSAgentPoolReconciler retry failed: Category: \
                    InternalError; SubCode: ZonalAllocationFailed; OrginalError: \
                    Code=\"ZonalAllocationFailed\" Message=\"Allocation failed.\"";
        assert_eq!(codes_in_text(text), ["ZonalAllocationFailed"]);
        assert_eq!(
            codes_in_text("internalErrorCode: TooManyRequestsReceived StatusCode: 429"),
            ["TooManyRequestsReceived"]
        );
        assert!(codes_in_text("no codes here").is_empty());
        assert_eq!(
            codes_in_text("retry failed: Code='SubnetIsFull' Message='x'"),
            ["SubnetIsFull"]
        );
        assert_eq!(
            codes_in_text("CSE failed with 'VMExtensionError_K8SDownloadTimeout'. AKS node"),
            ["VMExtensionError_K8SDownloadTimeout"]
        );
        assert_eq!(
            codes_in_text("{\r\n  \"code\": \"CustomRouteTableMissingPermission\",\r\n}"),
            ["CustomRouteTableMissingPermission"]
        );
    }

    #[test]
    fn errors_written_as_json_into_a_message_are_causes() {
        let raw = serde_json::json!({"error": {
            "code": "DeploymentFailed",
            "message": "At least one resource deployment operation failed.",
            "details": [{"code": "BadRequest", "message": "{\r\n  \"code\": \"NetworkProfileCIDROverlapVNET\",\r\n  \"message\": \"NetworkProfile CIDR 10.240.100.0/24 overlaps with reserved VNET CIDR 10.240.0.0/16\",\r\n  \"subcode\": \"\"\r\n}"}]
        }});
        let info = parse_arm_error(&raw.to_string()).expect("parsed");
        let codes: Vec<&str> = info.details.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["BadRequest", "NetworkProfileCIDROverlapVNET"]);
        assert!(info.details[1].message.contains("10.240.0.0/16"));
        let reconciler = "deployment operations failed with error messages: {\n \"code\": \"VMExtensionProvisioningError\",\n \"message\": \"exit status=50\"\n }\n and { not json";
        assert_eq!(
            errors_in_text(reconciler),
            [ArmErrorCause {
                code: "VMExtensionProvisioningError".into(),
                message: "exit status=50".into()
            }]
        );
    }
}

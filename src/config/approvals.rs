//! Which creates wait for an admin's approval, for how long, and where decisions are announced
//! (issue 39). The rules' syntax is `domain::approval::rules`.

use super::values::parse_hours;
use crate::domain::approval::rules::ApprovalRules;

/// Approvals of costly or protected creates.
#[derive(Debug, Clone, clap::Args)]
pub struct ApprovalSettings {
    /// Creates that wait for an admin: `SCOPE>AMOUNT` entries (SCOPE as in AZURE_SCOPES, AMOUNT a
    /// monthly estimate in PRICE_CURRENCY; `>0`: every create there), separated by commas.
    #[arg(long, env = "APPROVAL_RULES")]
    pub approval_rules: Option<String>,

    /// Monthly budgets: `SUB/GROUP=AMOUNT` entries. A create that would take the estimates of
    /// the scope's clusters (those this dashboard created that still exist) past AMOUNT waits
    /// for an admin.
    #[arg(long, env = "SCOPE_BUDGETS")]
    pub scope_budgets: Option<String>,

    /// Whether an admin may approve their own request.
    #[arg(long, env = "APPROVAL_SELF", default_value_t = false, action = clap::ArgAction::Set)]
    pub approval_self: bool,

    /// How long a request waits before it expires, in hours.
    #[arg(long, env = "APPROVAL_EXPIRES_HOURS", default_value_t = 72.0,
          value_parser = parse_hours)]
    pub approval_expires_hours: f64,

    /// Where each request and decision is announced: a JSON POST in the shape of a Teams or Slack
    /// incoming webhook's text message, with the dashboard's fields. A failing webhook is logged
    /// and counted, and never holds a request up.
    #[arg(long, env = "APPROVAL_WEBHOOK_URL")]
    pub approval_webhook_url: Option<String>,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        Self {
            approval_rules: None,
            scope_budgets: None,
            approval_self: false,
            approval_expires_hours: 72.0,
            approval_webhook_url: None,
        }
    }
}

impl ApprovalSettings {
    /// The rules as written; an error names the setting and the entry.
    pub fn rules(&self) -> Result<ApprovalRules, String> {
        ApprovalRules::parse(
            self.approval_rules.as_deref(),
            self.scope_budgets.as_deref(),
        )
    }

    /// How long a request waits, in milliseconds.
    pub fn expires_after_ms(&self) -> i64 {
        (self.approval_expires_hours * 3_600_000.0).round() as i64
    }

    /// The webhook's address, checked: http or https.
    pub fn webhook(&self) -> Result<Option<reqwest::Url>, String> {
        let Some(text) = self.approval_webhook_url.as_deref().map(str::trim) else {
            return Ok(None);
        };
        if text.is_empty() {
            return Ok(None);
        }
        let url = reqwest::Url::parse(text)
            .map_err(|e| format!("APPROVAL_WEBHOOK_URL: not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("APPROVAL_WEBHOOK_URL: use an http:// or https:// address".into());
        }
        Ok(Some(url))
    }
}

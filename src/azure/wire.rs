//! Pieces of Azure's JSON that its resources and its errors share: a long-running operation's
//! state, and `null` read as the field's default.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Reads `null` like a missing field: the type's default. Azure sends `null` for empty lists and
/// objects in many places (`"details": null`, `"tags": null`).
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `status` of a long-running operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum OperationState {
    InProgress,
    Canceling,
    Succeeded,
    Failed,
    Canceled,
    Other(String),
}

impl OperationState {
    pub fn as_str(&self) -> &str {
        match self {
            Self::InProgress => "InProgress",
            Self::Canceling => "Canceling",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Canceled => "Canceled",
            Self::Other(s) => s,
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

impl From<String> for OperationState {
    fn from(s: String) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "inprogress" | "running" | "accepted" => Self::InProgress,
            "canceling" | "cancelling" => Self::Canceling,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" | "cancelled" => Self::Canceled,
            _ => Self::Other(s),
        }
    }
}

impl From<OperationState> for String {
    fn from(s: OperationState) -> Self {
        s.as_str().to_string()
    }
}

impl fmt::Display for OperationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

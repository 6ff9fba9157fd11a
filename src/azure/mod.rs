//! Azure access (server only): the one [`ArmClient`] every Azure call goes through, its token
//! sources, the typed ARM resources, the shared cache of what Azure said, and portal links.
//! (The ARM simulator that stands in for Azure when none is configured is `crate::armsim`;
//! which of the two the server talks to is decided in `startup`.)

pub mod arm_client;
pub mod cache;
pub mod cloud;
pub mod credential;
pub mod error;
pub mod models;
pub mod portal;
pub mod retry;
pub mod wire;

pub use arm_client::{ArmClient, ArmClientConfig, ClusterPage, OperationPoll, OperationStarted};
pub use cache::{ArmCache, CacheConfig};
pub use credential::ArmCredential;
pub use error::{ArmError, ArmErrorDetail};
pub use models::*;
pub use portal::cluster_portal_url;
pub use retry::RetryPolicy;

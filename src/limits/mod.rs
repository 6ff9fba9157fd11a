//! What one user may use of this server at once or per minute: the per-user rate limits and the
//! slots of long-lived answers (event streams, history exports). Kept in the app state; checked
//! by `http`'s middleware and by the use cases and routes that are about to spend.

pub mod rate_limits;
pub mod stream_slots;

pub use rate_limits::{Limited, RateLimits};
pub use stream_slots::{StreamSlot, StreamSlots};

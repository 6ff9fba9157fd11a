//! The product's words, shared by the server and the browser, with no I/O: what a user asks for
//! (`request`), a create as it runs and ends (`job`), a failure and its explanation (`failure`,
//! `explain`, `classify`), the fixes and costs offered (`fix`, `cost`), pre-flight's rows
//! (`preflight`), the create form's opening (`opening`), a resource group's clusters
//! (`clusters`), the input rules (`validation`) and
//! the history's kinds and entries (`history`). Every layer above imports from here; this
//! imports nothing of the product.

pub mod approval;
pub mod classify;
pub mod clusters;
pub mod cost;
pub mod explain;
pub mod failure;
pub mod fix;
pub mod history;
pub mod job;
pub mod opening;
pub mod preflight;
pub mod request;
pub mod role;
pub mod validation;

pub use clusters::*;
pub use cost::*;
pub use explain::{Category, Classification, ErrorAction};
pub use failure::*;
pub use fix::*;
pub use history::TimelineStep;
pub use job::*;
pub use preflight::*;
pub use request::*;

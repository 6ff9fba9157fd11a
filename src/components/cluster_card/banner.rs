//! The "Last attempt failed" banner: the island that shows the page's [`LastFailed`] with the
//! error card, in the first HTML and live after that (R-2, server push).

use leptos::prelude::*;

use crate::components::erase::erased_on_server;
use crate::components::last_failed::{LastFailed, failure_request};
use crate::components::provision_error_card::{ProvisionErrorCard, Retry};
use crate::components::provision_modal::ModalControl;
use crate::domain::{FailedProvision, JobStatus};

/// What the banner calls the failure it shows.
fn banner_title(failure: &FailedProvision) -> &'static str {
    if failure.status == JobStatus::Cancelled {
        "Last attempt cancelled"
    } else {
        "Last attempt failed"
    }
}

/// The newest failed attempt of the signed-in user, explained, with Edit & retry (which opens
/// the form) and Dismiss. Reads the page's [`LastFailed`] and [`ModalControl`] from the
/// `ClusterCard` island around it.
#[island]
pub fn LastFailedBanner() -> impl IntoView {
    let last_failed = use_context::<LastFailed>()?;
    let modal = use_context::<ModalControl>();
    let shown = Memo::new(move |_| last_failed.get());
    Some(move || {
        shown.get().map(|f| {
            let title = banner_title(&f);
            let portal = f
                .partial_cluster
                .as_ref()
                .map(|p| p.portal_url.clone())
                .filter(|u| !u.is_empty());
            let on_edit_retry =
                modal.map(|m| Callback::new(move |(r, fix): Retry| m.open_with_fix(r, fix)));
            let retry_with = failure_request(&f);
            let prepare_retry =
                modal.map(|m| Callback::new(move |()| m.prepare(Some(&retry_with))));
            erased_on_server(view! {
                <section class="last-failed" data-testid="last-failed-banner" aria-label=title>
                    <ProvisionErrorCard
                        failure=f
                        title=title
                        id="last-failed"
                        extra_portal_url=portal
                        on_edit_retry=on_edit_retry
                        prepare_retry=prepare_retry
                    />
                </section>
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::failure;

    #[test]
    fn the_banner_says_whether_the_last_attempt_failed_or_was_stopped() {
        let mut f = failure("j1", 0);
        assert_eq!(banner_title(&f), "Last attempt failed");
        f.status = JobStatus::Cancelled;
        assert_eq!(banner_title(&f), "Last attempt cancelled");
    }
}

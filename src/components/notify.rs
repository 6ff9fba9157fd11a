//! Browser notifications: when a provision of the signed-in user ends (ready, failed, stopped)
//! while the page is hidden, the browser says so, and a click on the notification brings the
//! dashboard back. Permission is asked when the user first presses Create — never on page load.
//! Where the browser has no notifications (or the page is not a secure context) nothing happens.

use crate::domain::{JobStatus, TaskStatus};

/// What a notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
    /// One notification per provision, however many tabs and devices report its end.
    pub tag: String,
}

/// The notification for a provision that ended, or `None` while it runs.
pub fn provision_ended(task: &TaskStatus) -> Option<Notice> {
    let req = &task.request;
    let name = &req.cluster_name;
    let (title, body) = match task.status {
        JobStatus::Queued | JobStatus::Running => return None,
        JobStatus::Succeeded => (
            format!("{name} is ready"),
            format!(
                "The AKS cluster was created in {} · {}.",
                req.region, req.resource_group
            ),
        ),
        JobStatus::Failed => (
            format!("Creating {name} failed"),
            task.error
                .as_ref()
                .map(|e| {
                    if e.headline.is_empty() {
                        e.message.clone()
                    } else {
                        e.headline.clone()
                    }
                })
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "Open the dashboard to see why.".to_owned()),
        ),
        JobStatus::Cancelled => (
            format!("Creating {name} was stopped"),
            if task
                .error
                .as_ref()
                .is_some_and(|e| e.partial_cluster.is_some())
            {
                format!(
                    "Part of the cluster may remain in {}: check it on the dashboard.",
                    req.resource_group
                )
            } else {
                "Nothing was left in Azure.".to_owned()
            },
        ),
    };
    Some(Notice {
        title,
        body,
        tag: format!("provision-{}", task.task_id),
    })
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::{document, window};
    use leptos::wasm_bindgen::JsCast;
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::web_sys::js_sys::Reflect;
    use leptos::web_sys::{Notification, NotificationOptions, NotificationPermission};

    use super::Notice;

    /// Whether this browser, on this page, has notifications at all (calling into a missing
    /// `Notification` would throw).
    fn supported() -> bool {
        Reflect::has(&window(), &"Notification".into()).unwrap_or(false)
    }

    /// Asks for permission if the user has not answered yet. Called from the Create click, so
    /// the browser sees a user gesture.
    pub fn ask_permission() {
        if supported() && Notification::permission() == NotificationPermission::Default {
            let _ = Notification::request_permission();
        }
    }

    /// Shows `notice` if the page is hidden and the user allowed notifications.
    pub fn show_if_hidden(notice: &Notice) {
        if !document().hidden()
            || !supported()
            || Notification::permission() != NotificationPermission::Granted
        {
            return;
        }
        let options = NotificationOptions::new();
        options.set_body(&notice.body);
        options.set_tag(&notice.tag);
        let Ok(shown) = Notification::new_with_options(&notice.title, &options) else {
            return;
        };
        let clicked = shown.clone();
        let on_click = Closure::once_into_js(move || {
            let _ = window().focus();
            clicked.close();
        });
        shown.set_onclick(Some(on_click.unchecked_ref()));
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use super::Notice;

    pub fn ask_permission() {}

    pub fn show_if_hidden(_notice: &Notice) {}
}

pub use browser::{ask_permission, show_if_hidden};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::task;
    use crate::domain::{PartialCluster, TaskError};

    fn error(headline: &str, partial: bool) -> TaskError {
        TaskError {
            code: "X".into(),
            message: "Azure said no.".into(),
            category: "quota".into(),
            headline: headline.into(),
            raw: None,
            partial_cluster: partial.then(|| PartialCluster {
                resource_id: "/x".into(),
                portal_url: "https://portal.azure.com/".into(),
                last_state: Some("Creating".into()),
                abort_requested: true,
            }),
            fixes: vec![],
            explanation: None,
        }
    }

    #[test]
    fn each_end_says_what_happened_to_which_cluster() {
        let ready = provision_ended(&task(JobStatus::Succeeded, None)).expect("ended");
        assert_eq!(ready.title, "aks-one is ready");
        assert!(ready.body.contains("koreacentral"));

        let failed = provision_ended(&task(
            JobStatus::Failed,
            Some(error("Not enough vCPU quota", false)),
        ))
        .expect("ended");
        assert_eq!(failed.title, "Creating aks-one failed");
        assert_eq!(failed.body, "Not enough vCPU quota");
        let no_headline =
            provision_ended(&task(JobStatus::Failed, Some(error("", false)))).expect("ended");
        assert_eq!(no_headline.body, "Azure said no.");

        let stopped = provision_ended(&task(JobStatus::Cancelled, None)).expect("ended");
        assert_eq!(stopped.body, "Nothing was left in Azure.");
        let partial =
            provision_ended(&task(JobStatus::Cancelled, Some(error("", true)))).expect("ended");
        assert!(partial.body.contains("may remain in rg-aks-dev"));
    }

    #[test]
    fn one_notification_per_provision_and_none_while_it_runs() {
        assert_eq!(
            provision_ended(&task(JobStatus::Succeeded, None)).map(|n| n.tag),
            Some("provision-t1".to_owned())
        );
        assert_eq!(provision_ended(&task(JobStatus::Running, None)), None);
        assert_eq!(provision_ended(&task(JobStatus::Queued, None)), None);
    }
}

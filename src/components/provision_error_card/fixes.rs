//! The one-click fixes of a failure or of a failing pre-flight check: a button per corrected
//! request (the form opens, or is filled, with it), a link for what no request fixes.

use leptos::either::Either;
use leptos::prelude::*;

use crate::provisioning::model::{Fix, ProvisionRequest};

/// The fixes as actions. A button applies its request through `on_apply`; `on_intent` hears of
/// the pointer or the focus on one (so the form can be fetched before the click).
#[component]
pub fn FixActions(
    fixes: Vec<Fix>,
    #[prop(into)] on_apply: Callback<ProvisionRequest>,
    #[prop(optional, into)] on_intent: Option<Callback<()>>,
) -> impl IntoView {
    let intent = move || {
        if let Some(cb) = on_intent {
            cb.run(());
        }
    };
    fixes
        .into_iter()
        .map(|fix| {
            let kind = fix.kind.as_str();
            match fix.request {
                Some(request) => Either::Left(view! {
                    <button
                        type="button"
                        class="btn btn-fix"
                        data-testid="fix-action"
                        data-fix=kind
                        on:pointerenter=move |_| intent()
                        on:focus=move |_| intent()
                        on:click=move |_| on_apply.run(request.clone())
                    >
                        {fix.label}
                    </button>
                }),
                None => Either::Right(view! {
                    <a
                        class="btn btn-fix"
                        data-testid="fix-action"
                        data-fix=kind
                        href=fix.url.unwrap_or_default()
                        target="_blank"
                        rel="noopener noreferrer"
                    >
                        {fix.label}
                        <span aria-hidden="true">" ↗"</span>
                    </a>
                }),
            }
        })
        .collect_view()
}

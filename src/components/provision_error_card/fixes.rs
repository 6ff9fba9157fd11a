//! The one-click fixes of a failure or of a failing pre-flight check: a button per corrected
//! request (the form opens, or is filled, with it), a link for what no request fixes.

use leptos::either::EitherOf3;
use leptos::prelude::*;

use crate::components::page_action::{KeptForm, PageAction};
use crate::domain::{Fix, FixCost, decimal, money};

/// What a fix's request costs, against the request it corrects: `≈ 420.48 USD/month, 90.00
/// USD less`.
pub fn cost_note(cost: &FixCost) -> String {
    let monthly = money(cost.monthly, &cost.currency);
    let change = if cost.difference.abs() < 0.005 {
        "the same".to_owned()
    } else if cost.difference < 0.0 {
        format!("{} less", money(-cost.difference, &cost.currency))
    } else {
        format!("{} more", money(cost.difference, &cost.currency))
    };
    format!("≈ {monthly}/month, {change}")
}

/// The fixes as actions. A button applies its fix through `on_apply`; `on_intent` hears of
/// the pointer or the focus on one (so the form can be fetched before the click). The fixes of a
/// failed job (`of_job`, on a card the server renders) work from the first paint; those of a
/// pre-flight row are buttons of the create form itself.
#[component]
pub fn FixActions(
    fixes: Vec<Fix>,
    #[prop(into)] on_apply: Callback<Fix>,
    #[prop(optional, into)] on_intent: Option<Callback<()>>,
    /// The failed job whose fixes these are.
    #[prop(optional, into)]
    of_job: Option<String>,
) -> impl IntoView {
    let intent = move || {
        if let Some(cb) = on_intent {
            cb.run(());
        }
    };
    fixes
        .into_iter()
        .enumerate()
        .map(|(index, fix)| {
            let kind = fix.kind.as_str();
            let cost = fix.cost.as_ref().map(cost_note);
            let difference = fix.cost.as_ref().map(|c| decimal(c.difference, 2));
            if fix.request.is_none() {
                return EitherOf3::A(view! {
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
                });
            }
            let label = fix.label.clone();
            let apply = Callback::new(move |()| on_apply.run(fix.clone()));
            let button = move |submit: bool| {
                view! {
                    <button
                        type=if submit { "submit" } else { "button" }
                        class="btn btn-fix"
                        data-testid="fix-action"
                        data-fix=kind
                        data-cost-difference=difference
                        on:pointerenter=move |_| intent()
                        on:focus=move |_| intent()
                        on:click=move |_| {
                            if !submit {
                                apply.run(());
                            }
                        }
                    >
                        {label}
                        {cost.map(|c| view! { <span class="fix-cost">{format!(" · {c}")}</span> })}
                    </button>
                }
            };
            match of_job.clone() {
                Some(job_id) => EitherOf3::B(view! {
                    <KeptForm
                        action=PageAction::Fix { job_id, index }
                        on_press=apply
                        pending_label="Opening the form…"
                    >
                        {button(true)}
                    </KeptForm>
                }),
                None => EitherOf3::C(button(false)),
            }
        })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fix_says_what_it_costs_and_the_difference() {
        let cost = |monthly, difference| FixCost {
            currency: "EUR".into(),
            monthly,
            difference,
        };
        assert_eq!(
            cost_note(&cost(420.0, -90.0)),
            "≈ 420.00 EUR/month, 90.00 EUR less"
        );
        assert_eq!(
            cost_note(&cost(510.5, 90.25)),
            "≈ 510.50 EUR/month, 90.25 EUR more"
        );
        assert_eq!(cost_note(&cost(10.0, 0.0)), "≈ 10.00 EUR/month, the same");
    }
}

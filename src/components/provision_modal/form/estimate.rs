//! What the cluster will cost, as the form shows it: per pool and in total, by the hour and by
//! the month, read with each pre-flight (so it follows the size, count and region as the checks
//! do); and the server function behind `GET /api/aks/price-estimate`.

use leptos::prelude::*;

use super::FormState;
use crate::domain::{HOURS_PER_MONTH, decimal, money};

/// The cost section of the form.
#[component]
pub(super) fn CostEstimate(state: FormState) -> impl IntoView {
    let estimate = Memo::new(move |_| state.prices.get());
    let monthly = move || {
        estimate.with(|e| match e {
            Some(Ok(e)) => decimal(e.monthly, 2),
            _ => String::new(),
        })
    };
    let body = move || {
        let e = match estimate.get() {
            Some(Ok(e)) => e,
            Some(Err(why)) => return view! { <p class="checks-note">{why}</p> }.into_any(),
            None => {
                return view! { <p class="checks-note">"Reading the prices…"</p> }.into_any();
            }
        };
        let currency = e.currency.clone();
        let pools = e
            .pools
            .iter()
            .map(|p| {
                view! {
                    <tr>
                        <th scope="row">{format!("{} pool", p.name)}</th>
                        <td>{format!("{} × {}", p.vm_size, p.count)}</td>
                        <td class="num">{format!("{} {currency}", decimal(p.hourly, 4))}</td>
                        <td class="num">{money(p.monthly, &currency)}</td>
                    </tr>
                }
            })
            .collect_view();
        let source = if e.source == "simulated" {
            "simulated prices (the embedded simulator's fictional list)"
        } else {
            "Azure retail prices"
        };
        let stale = e.stale.then(|| {
            view! {
                <p class="cost-stale" role="note">
                    {format!(
                        "The price list did not answer: these prices are {} hours old.",
                        e.age_seconds / 3600,
                    )}
                </p>
            }
        });
        view! {
            <table class="cost-table">
                <thead>
                    <tr>
                        <th scope="col">"Part"</th>
                        <th scope="col">"Size"</th>
                        <th scope="col" class="num">"Per hour"</th>
                        <th scope="col" class="num">"Per month"</th>
                    </tr>
                </thead>
                <tbody>
                    {pools}
                    <tr>
                        <th scope="row">"Control plane"</th>
                        <td>{format!("{} tier", e.tier)}</td>
                        <td class="num">{format!("{} {}", decimal(e.control_plane_hourly, 4), e.currency)}</td>
                        <td class="num">{money(e.control_plane_hourly * HOURS_PER_MONTH, &e.currency)}</td>
                    </tr>
                </tbody>
                <tfoot>
                    <tr>
                        <th scope="row" colspan="2">"Total"</th>
                        <td class="num">{format!("{} {}", decimal(e.hourly, 4), e.currency)}</td>
                        <td class="num cost-total">{money(e.monthly, &e.currency)}</td>
                    </tr>
                </tfoot>
            </table>
            {stale}
            <p class="checks-note">
                "Pay-as-you-go Linux, 730 hours a month; " {source} ", as of "
                <time datetime=e.prices_as_of.clone()>{e.prices_as_of.replace('T', " ")}</time>
                ". " {e.excludes.clone()}
            </p>
        }
        .into_any()
    };
    view! {
        <section
            class="cost"
            aria-labelledby="pm-cost-title"
            data-testid="cost-estimate"
            data-monthly=monthly
        >
            <h3 id="pm-cost-title" class="checks-title">
                "Cost estimate"
            </h3>
            {body}
        </section>
    }
}

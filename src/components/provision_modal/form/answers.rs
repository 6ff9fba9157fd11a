//! What the create form has read from the server — the region's VM sizes and Kubernetes
//! versions, pre-flight, prices — by the question it answers. The answers the form opens on come
//! from the page (`opening.rs`: asked for with the form's code); the form asks for the others as
//! it is edited, and an answer asked for a moment ago is used again (going back to a value).

use leptos::prelude::*;

use crate::api::provision::{estimate_cost, get_available_skus, preflight};
use crate::api_error::ApiError;
use crate::components::clock::now_ms;
use crate::components::provision_modal::opening::{
    FRESH_MS, OpeningAnswers, OpeningAsked, checked_name, checks_input, price_key,
};
use crate::domain::{AvailableSkus, PreflightReport, PriceEstimate, ProvisionRequest};

/// Answers kept per kind: the defaults, the count that fits, and a value or two gone back to.
const KEPT: usize = 4;

/// Where the VM sizes are read for: region and subscription.
pub type Place = (String, String);

/// One question and its answer (`None` while it is on its way).
#[derive(Clone)]
struct Asked<K, V> {
    key: K,
    at: i64,
    answer: Option<V>,
}

impl<K, V> Asked<K, V> {
    fn on_its_way(key: K, at: i64) -> Self {
        Self {
            key,
            at,
            answer: None,
        }
    }
}

/// The answers of every kind, newest first.
#[derive(Default)]
struct Kept {
    skus: Vec<Asked<Place, Result<AvailableSkus, ApiError>>>,
    checks: Vec<Asked<ProvisionRequest, Result<PreflightReport, ApiError>>>,
    prices: Vec<Asked<ProvisionRequest, Result<PriceEstimate, ApiError>>>,
}

/// The form's answers from the server, by question. Cheap to copy.
#[derive(Clone, Copy)]
pub struct FormAnswers {
    answers: RwSignal<Kept>,
}

impl Default for FormAnswers {
    fn default() -> Self {
        Self::new()
    }
}

impl FormAnswers {
    pub fn new() -> Self {
        Self {
            answers: RwSignal::new(Kept::default()),
        }
    }

    /// Takes the page's opening answer for the form's start: its questions count as asked (the
    /// form does not ask them again), and their answers are there as soon as it comes. If it
    /// fails, the form asks them itself.
    pub fn follow_opening(self, opening: RwSignal<Option<OpeningAsked>>, start: &ProvisionRequest) {
        let Some(asked) = opening
            .with_untracked(|o| o.as_ref().map(|o| (o.start == *start, o.at)))
            .filter(|(same, _)| *same)
        else {
            return;
        };
        let place = (start.region.clone(), start.subscription_id.clone());
        let input = checks_input(start, &checked_name(&start.cluster_name));
        let prices = price_key(start);
        self.answers.update(|a| {
            a.skus.insert(0, Asked::on_its_way(place.clone(), asked.1));
            a.checks
                .insert(0, Asked::on_its_way(input.clone(), asked.1));
            a.prices
                .insert(0, Asked::on_its_way(prices.clone(), asked.1));
        });
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) {
                return true;
            }
            let Some(answer) = opening.with(|o| o.as_ref().and_then(|o| o.answer.clone())) else {
                return false;
            };
            let read = answer.ok().and_then(|raw| {
                serde_json::from_slice::<OpeningAnswers>(raw.get().as_bytes()).ok()
            });
            untrack(|| match read {
                Some(read) => self.take(read, asked.1, place.clone()),
                None => {
                    // Not there: the form asks for them itself.
                    self.answers.update(|a| {
                        a.skus.retain(|q| q.key != place);
                        a.checks.retain(|q| q.key != input);
                        a.prices.retain(|q| q.key != prices);
                    });
                    self.ask_skus(place.clone());
                    self.ask_checks(&input);
                    self.ask_prices(&prices);
                }
            });
            true
        });
    }

    /// Keeps the answers of an opening for `place`, asked at `at`.
    fn take(self, read: OpeningAnswers, at: i64, place: Place) {
        let sizes_read = read.skus.is_some();
        self.answers.update(|a| {
            if let Some(list) = read.skus {
                keep(&mut a.skus, place.clone(), at, Ok(list));
            }
            for (input, answer) in read.checks.into_iter().map(|a| a.into_result()) {
                keep(&mut a.checks, input, at, answer);
            }
            for (request, answer) in read.prices.into_iter().map(|a| a.into_result()) {
                keep(&mut a.prices, request, at, answer);
            }
        });
        if !sizes_read {
            // Azure's list could not be read then: asked again.
            self.answers
                .update(|a| a.skus.retain(|q| q.key != place || q.answer.is_some()));
            self.ask_skus(place);
        }
    }

    /// The VM sizes of a region (tracked): `None` while they are on their way.
    pub fn skus(self, place: &Place) -> Option<Result<AvailableSkus, ApiError>> {
        self.answers.with(|a| answer_of(&a.skus, place))
    }

    /// Pre-flight of a request (tracked): `None` while it is on its way.
    pub fn checks(self, input: &ProvisionRequest) -> Option<Result<PreflightReport, ApiError>> {
        self.answers.with(|a| answer_of(&a.checks, input))
    }

    /// What a request's pools cost (tracked): `None` while the prices are on their way.
    pub fn prices(self, request: &ProvisionRequest) -> Option<Result<PriceEstimate, ApiError>> {
        let key = price_key(request);
        self.answers.with(|a| answer_of(&a.prices, &key))
    }

    /// Asks for the VM sizes of a region, unless a fresh answer is there or on its way.
    pub fn ask_skus(self, place: Place) {
        if !self.begin(|a| &mut a.skus, place.clone()) {
            return;
        }
        leptos::task::spawn_local(async move {
            let answer = get_available_skus(place.0.clone(), Some(place.1.clone())).await;
            self.finish(|a| &mut a.skus, &place, answer);
        });
    }

    /// Asks for pre-flight of `input` (the request as checked: see [`checks_input`]).
    pub fn ask_checks(self, input: &ProvisionRequest) {
        self.ask_checks_then(input, |_| {});
    }

    /// Asks for pre-flight of `input`, and runs `then` with its answer (not when it was asked
    /// already).
    fn ask_checks_then(
        self,
        input: &ProvisionRequest,
        then: impl FnOnce(&Result<PreflightReport, ApiError>) + 'static,
    ) {
        if !self.begin(|a| &mut a.checks, input.clone()) {
            return;
        }
        let input = input.clone();
        leptos::task::spawn_local(async move {
            let answer = preflight(input.clone()).await;
            then(&answer);
            self.finish(|a| &mut a.checks, &input, answer);
        });
    }

    /// Asks for the prices of a request's pools.
    pub fn ask_prices(self, request: &ProvisionRequest) {
        let key = price_key(request);
        if !self.begin(|a| &mut a.prices, key.clone()) {
            return;
        }
        leptos::task::spawn_local(async move {
            let r = key.clone();
            let answer = estimate_cost(
                r.region,
                r.node_sku,
                r.node_count,
                r.system_vm_size,
                r.system_node_count,
                None,
            )
            .await;
            self.finish(|a| &mut a.prices, &key, answer);
        });
    }

    /// What pre-flight said is no longer true (a create changed the quota).
    pub fn forget_checks(self) {
        self.answers.update(|a| a.checks.clear());
    }

    /// Records a question; `false` when a fresh answer to it is there or on its way.
    fn begin<K: PartialEq, V>(
        self,
        list: impl Fn(&mut Kept) -> &mut Vec<Asked<K, V>>,
        key: K,
    ) -> bool {
        let now = now_ms();
        let known = self
            .answers
            .try_update_untracked(|a| {
                let list = list(a);
                list.retain(|q| now - q.at <= FRESH_MS);
                list.iter().any(|q| q.key == key)
            })
            .unwrap_or(true);
        if known {
            return false;
        }
        self.answers.try_update(|a| {
            let list = list(a);
            list.insert(0, Asked::on_its_way(key, now));
            list.truncate(KEPT);
        });
        true
    }

    /// Keeps an answer (a question dropped meanwhile is not asked again by it).
    fn finish<K: PartialEq, V>(
        self,
        list: impl Fn(&mut Kept) -> &mut Vec<Asked<K, V>>,
        key: &K,
        answer: V,
    ) {
        self.answers.try_update(|a| {
            if let Some(q) = list(a).iter_mut().find(|q| &q.key == key) {
                q.answer = Some(answer);
            }
        });
    }
}

/// Puts an answer to `key` in `list` (in place of a question on its way).
fn keep<K: PartialEq, V>(list: &mut Vec<Asked<K, V>>, key: K, at: i64, answer: V) {
    list.retain(|q| q.key != key);
    list.insert(
        0,
        Asked {
            key,
            at,
            answer: Some(answer),
        },
    );
    list.truncate(KEPT);
}

fn answer_of<K: PartialEq, V: Clone>(list: &[Asked<K, V>], key: &K) -> Option<V> {
    list.iter()
        .find(|q| &q.key == key)
        .and_then(|q| q.answer.clone())
}

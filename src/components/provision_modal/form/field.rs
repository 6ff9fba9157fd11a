//! One field of the create form, and how the form's texts become a [`ProvisionRequest`].
//!
//! The form holds each field's text under the field's name in [`ProvisionRequest`] (its serde
//! name, the same the API and `validate.rs` use): a field is one `<FormField name=… />` line, and
//! the request is read from the texts by serde. Adding a field to the form is: the field in
//! `ProvisionRequest`, its rule in `validate.rs`, and one line of view (the test
//! `every_field_of_the_request_is_in_the_form` fails until it is there).

use std::collections::BTreeMap;

use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use serde_json::{Map, Value};

use super::FormState;
use crate::components::erase::erased_on_server;
use crate::provisioning::model::ProvisionRequest;

/// The id of a field's input, e.g. `pm-cluster_name`.
pub fn field_id(name: &str) -> String {
    format!("pm-{name}")
}

/// The request the form's texts make: each text read as the type the request's field has (a
/// count that is not a number reads as 0, which every range refuses).
pub fn request_of(texts: &BTreeMap<String, String>) -> ProvisionRequest {
    let Ok(Value::Object(template)) = serde_json::to_value(ProvisionRequest::default()) else {
        return ProvisionRequest::default();
    };
    let fields: Map<String, Value> = template
        .into_iter()
        .map(|(name, default)| {
            let text = texts.get(&name).map(|t| t.trim()).unwrap_or_default();
            let value = match default {
                Value::Number(_) => Value::from(text.parse::<u64>().unwrap_or(0)),
                Value::Null if text.is_empty() => Value::Null,
                _ => Value::from(text),
            };
            (name, value)
        })
        .collect();
    serde_json::from_value(Value::Object(fields)).unwrap_or_default()
}

/// The texts of a request's fields; a count of 0 (unknown) is an empty text.
pub fn texts_of(request: &ProvisionRequest) -> BTreeMap<String, String> {
    let Ok(Value::Object(fields)) = serde_json::to_value(request) else {
        return BTreeMap::new();
    };
    fields
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(s) => s,
                Value::Number(n) if n.as_u64() == Some(0) => String::new(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (name, text)
        })
        .collect()
}

/// What kind of input a field is.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum FieldKind {
    #[default]
    Text,
    /// Text shown in a monospace font (ids).
    Mono,
    /// A whole number within `min..=max`.
    Count { min: u32, max: u32 },
    /// One of [`FormField`]'s `choices`.
    Select,
}

/// A choice of a select: its value and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// One labelled field of the form: its input, its hint, and the message of the rule it breaks.
/// Its text is the form's under `name`; it is found in screen order when the focus must go to
/// the first field with an error.
#[component]
pub fn FormField(
    /// The field's name in `ProvisionRequest`.
    name: &'static str,
    label: &'static str,
    #[prop(optional)] kind: FieldKind,
    /// The choices of a select.
    #[prop(optional, into)]
    choices: Option<Signal<Vec<Choice>>>,
    /// A line under the field, e.g. how many nodes fit the quota.
    #[prop(optional, into)]
    hint: Option<Signal<Option<String>>>,
    /// The hint is a warning (e.g. the chosen size is blocked).
    #[prop(optional)]
    warn: bool,
) -> impl IntoView {
    let form = expect_context::<FormState>();
    let id = field_id(name);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let value = form.text(name);
    let error = form.error_of(name);
    let invalid = move || error.with(Option::is_some);
    let hint = move || hint.and_then(|h| h.get());

    let on_input = move |ev: leptos::ev::Event| form.edit(name, event_target_value(&ev));
    let on_blur = move |_| form.left(name);
    let described_by = format!("{hint_id} {error_id}");
    let input = match kind {
        FieldKind::Select => {
            let node = NodeRef::<html::Select>::new();
            form.register(name, move || {
                if let Some(el) = node.get_untracked() {
                    let _ = el.focus();
                }
            });
            let choices = choices.unwrap_or_else(|| Signal::stored(vec![]));
            // A select is chosen and left in one go.
            let on_change = move |ev: leptos::ev::Event| {
                form.edit(name, event_target_value(&ev));
                form.left(name);
            };
            Either::Left(view! {
                <select
                    id=id.clone()
                    node_ref=node
                    aria-invalid=move || if invalid() { "true" } else { "false" }
                    aria-describedby=described_by
                    prop:value=move || value.get()
                    on:change=on_change
                >
                    <For each=move || choices.get() key=|c| c.clone() let:choice>
                        <option
                            value=choice.value.clone()
                            prop:selected=move || value.with(|v| *v == choice.value)
                        >
                            {choice.label.clone()}
                        </option>
                    </For>
                </select>
            })
        }
        kind => {
            let node = NodeRef::<html::Input>::new();
            form.register(name, move || {
                if let Some(el) = node.get_untracked() {
                    let _ = el.focus();
                }
            });
            let (input_type, mode, min, max) = match kind {
                FieldKind::Count { min, max } => (
                    "number",
                    "numeric",
                    Some(min.to_string()),
                    Some(max.to_string()),
                ),
                _ => ("text", "text", None, None),
            };
            Either::Right(view! {
                <input
                    id=id.clone()
                    node_ref=node
                    type=input_type
                    inputmode=mode
                    min=min
                    max=max
                    class:mono=kind == FieldKind::Mono
                    autocomplete="off"
                    spellcheck="false"
                    aria-invalid=move || if invalid() { "true" } else { "false" }
                    aria-describedby=described_by
                    prop:value=move || value.get()
                    on:input=on_input
                    on:blur=on_blur
                />
            })
        }
    };
    erased_on_server(view! {
        <div class="field" class:field-invalid=invalid>
            <label class="field-label" for=id>
                {label}
            </label>
            {input}
            <p class="field-hint" class:field-hint-warn=warn id=hint_id>
                {hint}
            </p>
            <p class="field-error" id=error_id>
                {move || error.get()}
            </p>
        </div>
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::fixtures::request;

    #[test]
    fn a_requests_fields_read_back_from_their_texts() {
        let r = request("aks-one");
        let texts = texts_of(&r);
        assert_eq!(texts["node_count"], "2");
        assert_eq!(texts["cluster_name"], "aks-one");
        assert_eq!(request_of(&texts), r);
    }

    #[test]
    fn a_count_that_is_not_a_number_reads_as_zero_and_text_is_trimmed() {
        let mut texts = texts_of(&request("aks-one"));
        texts.insert("node_count".into(), "three".into());
        texts.insert("cluster_name".into(), "  aks-two ".into());
        let r = request_of(&texts);
        assert_eq!(r.node_count, 0);
        assert_eq!(r.cluster_name, "aks-two");
        assert!(
            crate::provisioning::validate::validate_provision_request(&r)
                .contains_key("node_count"),
            "a count of 0 breaks the count's rule"
        );
    }

    #[test]
    fn an_unknown_count_is_an_empty_field() {
        let r = ProvisionRequest {
            node_count: 0,
            ..request("aks-one")
        };
        assert_eq!(texts_of(&r)["node_count"], "");
    }
}

//! One field of the create form: its input, its hint, and the message of the rule it breaks.
//! A field is one field of the request ([`RequestField`]); adding one to the form is the field in
//! `ProvisionRequest` and `RequestField`, its rule in `validate.rs`, and one line of view (the
//! test `every_field_of_the_request_is_in_the_form` fails until it is there).

use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;

use super::FormState;
use crate::components::erase::erased_on_server;
use crate::domain::RequestField;

/// The id of a field's input, e.g. `pm-cluster_name`.
pub fn field_id(field: RequestField) -> String {
    format!("pm-{}", field.name())
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
/// Its value is the request's `field`; it is found in screen order when the focus must go to the
/// first field with an error.
#[component]
pub fn FormField(
    field: RequestField,
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
    let id = field_id(field);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let value = form.text(field);
    let error = form.error_of(field);
    let invalid = move || error.with(Option::is_some);
    let hint = move || hint.and_then(|h| h.get());

    let on_input = move |ev: leptos::ev::Event| form.edit(field, event_target_value(&ev));
    let on_blur = move |_| form.left(field);
    let described_by = format!("{hint_id} {error_id}");
    let input = match kind {
        FieldKind::Select => {
            let node = NodeRef::<html::Select>::new();
            form.register(field, move || {
                if let Some(el) = node.get_untracked() {
                    let _ = el.focus();
                }
            });
            let choices = choices.unwrap_or_else(|| Signal::stored(vec![]));
            // A select is chosen and left in one go.
            let on_change = move |ev: leptos::ev::Event| {
                form.edit(field, event_target_value(&ev));
                form.left(field);
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
            form.register(field, move || {
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

//! Parts of the page drawn as markup: a function writes the part's HTML with [`Html`], the
//! server puts it in the first HTML and the browser, when the part changes, in the container's
//! `innerHTML`. The buttons inside say what they do in `data-action` (and which item in
//! `data-index`), and one click handler on the container acts on them ([`Clicked`]).
//!
//! Why: a reactive view is compiled into the browser bundle once per element with its build,
//! hydrate and update code; a markup function only with its string writing. The error card,
//! the card's header, notices and in-flight banners (with Stop and the progress facts), and
//! every screen of the modal (the form with its fields and pre-flight rows, the creating
//! screen, the end of a create around the error card) are written this way; the modal's
//! screens are drawn whole when the modal moves to them and kept current in place by effects
//! that find their parts by id ([`Place::Id`]) (docs/bundle.md). Leptos' own `to_html` cannot
//! do it: without its `ssr` feature it refuses to render elements.

use leptos::ev::MouseEvent;
use leptos::prelude::request_animation_frame;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{Element, HtmlElement};

/// HTML written into a string: text and attribute values are always escaped, tags and
/// attribute names are the caller's constants.
///
/// ```text
/// h.start("p").attr("class", "hint").end().text(hint).close("p");
/// ```
#[derive(Default)]
pub struct Html(String);

impl Html {
    pub fn new() -> Self {
        Self::default()
    }

    /// `<tag` (attributes follow, then [`Html::end`]).
    pub fn start(&mut self, tag: &str) -> &mut Self {
        self.0.push('<');
        self.0.push_str(tag);
        self
    }

    /// ` name="value"`.
    pub fn attr(&mut self, name: &str, value: &str) -> &mut Self {
        self.0.push(' ');
        self.0.push_str(name);
        self.0.push_str("=\"");
        escape_into(&mut self.0, value);
        self.0.push('"');
        self
    }

    /// The attribute when `on`, else nothing (`value` "" for a boolean attribute).
    pub fn attr_if(&mut self, on: bool, name: &str, value: &str) -> &mut Self {
        if on {
            self.attr(name, value);
        }
        self
    }

    /// ` target="_blank" rel="noopener noreferrer"`: a link that opens in a new tab (Azure's
    /// pages, the portal).
    pub fn new_tab(&mut self) -> &mut Self {
        self.attr("target", "_blank")
            .attr("rel", "noopener noreferrer")
    }

    /// `>`: the start tag is complete.
    pub fn end(&mut self) -> &mut Self {
        self.0.push('>');
        self
    }

    /// Markup another [`Html`] wrote (never text from elsewhere: it goes in as it is).
    pub fn raw(&mut self, markup: &str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.0, text);
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    /// `<tag attributes…>text</tag>`.
    pub fn element(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) -> &mut Self {
        self.start(tag);
        for (name, value) in attrs {
            self.attr(name, value);
        }
        self.end().text(text).close(tag)
    }

    pub fn finish(self) -> String {
        self.0
    }
}

/// Text as HTML text or attribute value: `&`, `<`, `>`, `"` and `'` escaped.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Puts `html` into `root`, keeping the focus where it was: a focused button with a
/// `data-action` inside an element with `key` (e.g. `data-task-id`) gets it back in the new
/// markup. For parts redrawn while someone may be on one of their buttons.
pub fn redraw_keeping_focus(root: &Element, html: &str, key: &str) {
    let again = leptos::prelude::document()
        .active_element()
        .filter(|el| root.contains(Some(el)))
        .and_then(|el| {
            let action = el.get_attribute("data-action")?;
            let owner = el.closest(&format!("[{key}]")).ok()??.get_attribute(key)?;
            let plain = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            (plain(&action) && plain(&owner))
                .then(|| format!("[{key}=\"{owner}\"] [data-action=\"{action}\"]"))
        });
    root.set_inner_html(html);
    if let Some(selector) = again {
        focus_first(root, &selector);
    }
}

/// A container whose content is markup: [`keep_drawn`] keeps it current.
pub type Slot = leptos::prelude::NodeRef<leptos::html::Div>;

/// Where markup kept by [`keep_drawn`] goes: a container of a view, or the element with an id
/// in markup drawn elsewhere (nothing is drawn while it is not on the page).
#[derive(Clone, Copy)]
pub enum Place {
    Slot(Slot),
    Id(&'static str),
}

impl Place {
    fn element(self) -> Option<Element> {
        use leptos::prelude::Get;
        match self {
            Place::Slot(slot) => slot.get().map(Into::into),
            Place::Id(id) => leptos::prelude::document().get_element_by_id(id),
        }
    }
}

/// Keeps the content of the element at `place` the markup `draw` writes, redrawn when a signal
/// `draw` reads changes (and not when it writes the same again). For parts with no button to
/// keep the focus on. `draw` is boxed: every such part of the page shares one effect's code.
pub fn keep_drawn(place: Place, draw: Box<dyn Fn() -> String>) {
    use leptos::prelude::Effect;
    Effect::new(move |shown: Option<Option<String>>| {
        let html = draw();
        let el = place.element()?;
        if shown.flatten().as_deref() != Some(html.as_str()) {
            el.set_inner_html(&html);
        }
        Some(html)
    });
}

/// Mounts the view `view` builds into `parent`, under `owner` (so it sees that owner's
/// contexts). The handle, dropped, unmounts it and disposes its reactive owner: for views the
/// browser builds when they are needed (the modal, the error card of a create that ended).
pub fn mount_under<V>(
    owner: &leptos::prelude::Owner,
    parent: &Element,
    view: impl FnOnce() -> V + 'static,
) -> Box<dyn std::any::Any>
where
    V: leptos::tachys::view::Render + 'static,
{
    let handle =
        leptos::prelude::untrack(|| owner.with(|| leptos::mount::mount_to_renderer(parent, view)));
    Box::new(handle)
}

/// `text` in one element, or nothing when there is no text: a notice that comes and goes.
pub fn optional_element(tag: &str, attrs: &[(&str, &str)], text: Option<&str>) -> String {
    let mut h = Html::new();
    if let Some(text) = text {
        h.element(tag, attrs, text);
    }
    h.finish()
}

/// Moves the focus to the first element under `root` that matches `selector`, if there is one.
fn focus_first(root: &Element, selector: &str) {
    if let Some(el) = root
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

/// Calls `each` with every element under `root` that has `attribute`, and the attribute's value
/// read as a number (a time in milliseconds: what a part keeps current in place).
#[cfg(feature = "hydrate")]
pub fn each_stamped(root: &Element, attribute: &str, mut each: impl FnMut(&Element, i64)) {
    let Ok(list) = root.query_selector_all(&format!("[{attribute}]")) else {
        return;
    };
    for i in 0..list.length() {
        if let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok())
            && let Some(at) = el.get_attribute(attribute).and_then(|a| a.parse().ok())
        {
            each(&el, at);
        }
    }
}

/// Sets an element's text, unless it already says that.
pub fn set_text(el: &Element, text: &str) {
    if el.text_content().as_deref() != Some(text) {
        el.set_text_content(Some(text));
    }
}

/// A click on a button with a `data-action`, inside the element that listens.
pub struct Clicked {
    /// The button's `data-action`.
    pub action: String,
    button: Element,
    container: Element,
}

impl Clicked {
    /// The action clicked, if the click landed on (or inside) a button that has one.
    pub fn of(ev: &MouseEvent) -> Option<Self> {
        let target = ev.target()?.dyn_into::<Element>().ok()?;
        let container = ev.current_target()?.dyn_into::<Element>().ok()?;
        let button = target.closest("[data-action]").ok()??;
        if !container.contains(Some(&button)) {
            return None;
        }
        Some(Self {
            action: button.get_attribute("data-action")?,
            button,
            container,
        })
    }

    /// The button's `data-index`: which of a list of items it acts on.
    pub fn index(&self) -> Option<usize> {
        self.button
            .get_attribute("data-index")
            .and_then(|i| i.parse().ok())
    }

    /// The value of `attribute` on the button or the nearest element around it that has it.
    pub fn around(&self, attribute: &str) -> Option<String> {
        self.button
            .closest(&format!("[{attribute}]"))
            .ok()??
            .get_attribute(attribute)
    }

    /// Moves the focus to the first element in the container that matches `selector`, once the
    /// container has been redrawn (its markup is replaced by a render effect, which runs before
    /// the next frame).
    pub fn focus_after_redraw(&self, selector: &'static str) {
        let container = self.container.clone();
        request_animation_frame(move || focus_first(&container, selector));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attribute_values_are_escaped() {
        let mut h = Html::new();
        h.start("a")
            .attr("href", "x\" onclick=\"alert('1')")
            .attr_if(false, "hidden", "")
            .attr_if(true, "data-on", "")
            .end()
            .text("<script>&</script>")
            .close("a");
        assert_eq!(
            h.finish(),
            r#"<a href="x&quot; onclick=&quot;alert(&#39;1&#39;)" data-on="">&lt;script&gt;&amp;&lt;/script&gt;</a>"#
        );
    }

    #[test]
    fn an_optional_element_is_nothing_without_text() {
        assert_eq!(optional_element("p", &[("class", "x")], None), "");
        assert_eq!(
            optional_element("p", &[("class", "x")], Some("a < b")),
            r#"<p class="x">a &lt; b</p>"#
        );
    }

    #[test]
    fn an_element_is_its_tag_attributes_and_text() {
        let mut h = Html::new();
        h.element("p", &[("class", "hint"), ("id", "pm-x-hint")], "a < b");
        assert_eq!(h.finish(), r#"<p class="hint" id="pm-x-hint">a &lt; b</p>"#);
    }
}

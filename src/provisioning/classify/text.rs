//! Reading facts out of Azure's message text: numbers after a label, quoted values, the region,
//! and a clean one-line message without the `Code: … Message: …` tails Azure repeats.

/// The first whole number after `label` (case-insensitive), e.g. `Current Limit: 10` → 10.
pub fn number_after(text: &str, label: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find(&label.to_ascii_lowercase())? + label.len();
    let digits: String = text[start..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// The text between the first `open` after `after` (case-insensitive) and the next `close`.
pub fn quoted_after<'a>(text: &'a str, after: &str, open: &str, close: &str) -> Option<&'a str> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find(&after.to_ascii_lowercase())? + after.len();
    let rest = &text[start..];
    let from = rest.find(open)? + open.len();
    let rest = &rest[from..];
    let to = rest.find(close)?;
    Some(&rest[..to]).filter(|s| !s.is_empty())
}

/// The word (letters, digits, `_`, `-`, `.`) right after `label` (case-insensitive).
pub fn word_after<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find(&label.to_ascii_lowercase())? + label.len();
    let rest = text[start..].trim_start_matches([' ', ':', '\'', '"']);
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches('.')).filter(|w| !w.is_empty())
}

/// The region in `location eastus`, `location 'eastus'`, `Location: eastus`, `for region westus2`
/// (`location` as a word: not the end of "allocation").
pub fn region_in(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    for label in ["location", "for region", "in region"] {
        let mut from = 0;
        while let Some(found) = lower[from..].find(label) {
            let at = from + found;
            from = at + label.len();
            let starts_word = lower[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphabetic());
            if !starts_word {
                continue;
            }
            let region: String = text[from..]
                .trim_start_matches([' ', ':', '\'', '"'])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let region = region.to_ascii_lowercase();
            // "location for" / "location of" are words, not regions.
            if region.len() >= 4 && !["for", "of", "the"].contains(&region.as_str()) {
                return Some(region);
            }
        }
    }
    None
}

/// Removes the `Code: X Message: Y` tails Azure repeats when it wraps one error in another, and
/// unwraps `Code="X" Message="Y"` to `Y`.
pub fn clean_message(message: &str) -> String {
    let mut text = message.trim();
    // `… Code="X" Message="Y" …`: Y is what happened.
    if let Some(inner) = quoted_after(text, "Message=\"", "", "\"") {
        text = inner;
    }
    // "Code: X Message: Y" on its own: Y is the message.
    if let Some(rest) = text.strip_prefix("Code:")
        && let Some(i) = rest.find("Message:")
    {
        text = rest[i + "Message:".len()..].trim();
    }
    // Anything from a repeated tail on says nothing new.
    for marker in [" Code:", " Details:", " Message:", " Code="] {
        if let Some(i) = text.find(marker) {
            text = &text[..i];
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first sentence, at most 200 characters.
pub fn first_sentence(text: &str) -> String {
    let end = text
        .char_indices()
        .find(|(i, c)| *c == '.' && text[i + 1..].starts_with(' '))
        .map(|(i, _)| i + 1)
        .unwrap_or(text.len());
    let s = text[..end].trim();
    if s.chars().count() > 200 {
        let cut: String = s.chars().take(197).collect();
        format!("{cut}…")
    } else {
        s.to_owned()
    }
}

/// The `az role assignment create` that grants `role` to the identity named in an authorization
/// failure (`… with object id 'OID' … scope 'SCOPE' …`), when the message names both.
pub fn role_assignment_command(
    object_id: Option<&str>,
    role: &str,
    scope: Option<&str>,
) -> Option<String> {
    let object_id = object_id.filter(|id| is_guid_like(id))?;
    let scope = scope.filter(|s| s.starts_with('/'))?;
    Some(format!(
        "az role assignment create --assignee-object-id {object_id} --role \"{role}\" --scope {scope}"
    ))
}

fn is_guid_like(id: &str) -> bool {
    id.len() >= 32 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_regions_are_read_after_their_labels() {
        let text = "Insufficient regional vcpu quota left for location westus2. left regional vcpu \
                    quota 4, requested quota 6.";
        assert_eq!(number_after(text, "left regional vcpu quota"), Some(4));
        assert_eq!(number_after(text, "requested quota"), Some(6));
        assert_eq!(region_in(text).as_deref(), Some("westus2"));
        assert_eq!(
            region_in("requested 8, remaining 2 for family standardDSv3Family for region eastus.")
                .as_deref(),
            Some("eastus")
        );
        assert_eq!(
            region_in("Allocation failed. We do not have capacity."),
            None
        );
    }

    #[test]
    fn wrapped_messages_are_cleaned_to_what_happened() {
        assert_eq!(
            clean_message(
                "Reconcile failed. OrginalError: Code=\"ZonalAllocationFailed\" Message=\"Allocation failed. We do not have sufficient capacity.\""
            ),
            "Allocation failed. We do not have sufficient capacity."
        );
        assert_eq!(
            clean_message("Code: X Message: Something broke. Code: X Message: Something broke."),
            "Something broke."
        );
    }

    #[test]
    fn the_role_assignment_command_needs_an_object_id_and_a_scope() {
        assert_eq!(
            role_assignment_command(
                Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
                "Contributor",
                Some("/subscriptions/1/resourceGroups/rg")
            )
            .as_deref(),
            Some(
                "az role assignment create --assignee-object-id aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee --role \"Contributor\" --scope /subscriptions/1/resourceGroups/rg"
            )
        );
        assert_eq!(
            role_assignment_command(Some("x"), "Contributor", Some("/s")),
            None
        );
        assert_eq!(
            role_assignment_command(
                Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
                "Contributor",
                None
            ),
            None
        );
    }
}

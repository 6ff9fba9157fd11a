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

/// The exit status of a node's setup script (CSE) as Azure reports it: `exit status=50`,
/// `"ExitCode": "50"`, `Exit Code: 5`, `vmssCSE exit status=50`.
pub fn exit_status(text: &str) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    [
        "exit status=",
        "\"exitcode\": \"",
        "\\\"exitcode\\\": \\\"",
        "exit code: ",
    ]
    .iter()
    .filter_map(|label| {
        let at = lower.find(label)? + label.len();
        let digits: String = lower[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
    .next()
}

/// Every IPv4 CIDR (`10.0.0.0/16`) in the text, in order, without repeats.
pub fn cidrs_in(text: &str) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    for token in text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '/')) {
        let token = token.trim_end_matches('.');
        let Some((ip, len)) = token.split_once('/') else {
            continue;
        };
        let octets = ip.split('.').filter(|o| o.parse::<u8>().is_ok()).count();
        if octets == 4
            && ip.split('.').count() == 4
            && len.parse::<u8>().is_ok_and(|l| l <= 32)
            && !found.contains(&token)
        {
            found.push(token);
        }
    }
    found
}

/// Addresses of a subnet Azure lets resources use: all of the prefix but the five it keeps.
pub fn usable_addresses(cidr: &str) -> Option<u64> {
    let len: u32 = cidr.split_once('/')?.1.parse().ok()?;
    (len <= 29).then(|| (1u64 << (32 - len)) - 5)
}

/// The last segment after `/{kind}/` of a resource ID in the text (`…/subnets/aks-subnet` →
/// `aks-subnet`).
pub fn resource_name<'a>(text: &'a str, kind: &str) -> Option<&'a str> {
    let lower = text.to_ascii_lowercase();
    let marker = format!("/{}/", kind.to_ascii_lowercase());
    let start = lower.find(&marker)? + marker.len();
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches('.')).filter(|n| !n.is_empty())
}

/// The first Entra error code (`AADSTS7000222`) in the text.
pub fn aadsts_code(text: &str) -> Option<&str> {
    let at = text.find("AADSTS")?;
    let rest = &text[at..];
    let end = 6 + rest[6..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len() - 6);
    Some(&rest[..end]).filter(|c| c.len() > 6)
}

/// Every Kubernetes version (`1.29.15`, `1.30`) in the text, in order, without repeats: words
/// of two or three dot-separated numbers starting with `1.`.
pub fn versions_in(text: &str) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
        let word = word.trim_matches('.');
        let parts: Vec<&str> = word.split('.').collect();
        let numeric = parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if numeric && (2..=3).contains(&parts.len()) && parts[0] == "1" && !found.contains(&word) {
            found.push(word);
        }
    }
    found
}

/// A GUID-like word right after `label` (`clientID: 1111…`, `app '1111…'`).
pub fn guid_after<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find(&label.to_ascii_lowercase())? + label.len();
    let rest = text[start..].trim_start_matches([' ', ':', '\'', '"']);
    let end = rest
        .find(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|id| is_guid_like(id))
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
    fn exit_statuses_cidrs_versions_and_names_are_read_where_azure_writes_them() {
        assert_eq!(
            exit_status("command terminated with exit status=50\\n[stdout]"),
            Some(50)
        );
        assert_eq!(
            exit_status(r#"{ "ExitCode": "41", "Output": "" }"#),
            Some(41)
        );
        assert_eq!(exit_status("CSE Error: X. Exit Code: 5. Details"), Some(5));
        assert_eq!(exit_status("no status"), None);
        assert_eq!(
            cidrs_in(
                "The specified service CIDR 10.0.0.0/16 is conflicted with an existing subnet CIDR 10.0.1.0/24."
            ),
            ["10.0.0.0/16", "10.0.1.0/24"]
        );
        assert_eq!(usable_addresses("10.240.0.0/28"), Some(11));
        assert_eq!(usable_addresses("10.0.0.0/16"), Some(65_531));
        assert_eq!(
            resource_name(
                "Resource /subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-a/subnets/Subnet-AKS referenced by",
                "subnets"
            ),
            Some("Subnet-AKS")
        );
        assert_eq!(
            aadsts_code("x AADSTS7000222: The provided"),
            Some("AADSTS7000222")
        );
        assert_eq!(
            versions_in(
                "Upgrading Kubernetes version 1.24.9 to 1.26.6 is not allowed. Available upgrades: [1.29.15 1.29.14]. Subnet 10.0.0.0/16"
            ),
            ["1.24.9", "1.26.6", "1.29.15", "1.29.14"]
        );
        assert_eq!(
            guid_after(
                "Service principal clientID: 11111111-2222-3333-4444-555555555555 not found",
                "clientID"
            ),
            Some("11111111-2222-3333-4444-555555555555")
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

//! Which redirect targets a sign-in may send the browser to: a path of this site, nothing else.
//!
//! Browsers are lenient with `Location`: they drop tabs and newlines, read `\` as `/`, and a
//! path starting `//` is another host. So a target is accepted only when it is a plain path of
//! printable ASCII starting with exactly one `/`, and one more percent-decoding (in case
//! something on the way decodes it again) still gives such a path, free of control characters
//! and backslashes.

/// `next` if it is a path of this site, else `None`.
pub fn local_redirect_target(next: &str) -> Option<&str> {
    let decoded_again = percent_decode(next)?;
    (is_plain_local_path(next) && stays_local(&decoded_again)).then_some(next)
}

/// Printable ASCII without space or backslash, starting with exactly one `/`: nothing a
/// browser would drop or reinterpret, and valid in a `Location` header as it is.
fn is_plain_local_path(path: &str) -> bool {
    starts_with_one_slash(path) && path.chars().all(|c| c.is_ascii_graphic() && c != '\\')
}

/// Decoded once more, still a path of this site.
fn stays_local(decoded: &str) -> bool {
    starts_with_one_slash(decoded) && !decoded.chars().any(|c| c.is_control() || c == '\\')
}

fn starts_with_one_slash(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\'))
}

/// Decodes `%XX` escapes once; `None` when the result is not UTF-8. A `%` not followed by two hex
/// digits stays as it is.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_this_site_are_kept() {
        for path in ["/", "/clusters?x=1&y=%20z", "/a/b#frag", "/100%"] {
            assert_eq!(local_redirect_target(path), Some(path), "{path}");
        }
    }

    #[test]
    fn anything_a_browser_could_read_as_another_site_is_refused() {
        for target in [
            "",
            "evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/café",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "/x%0Ay",
            "/%FF",
        ] {
            assert_eq!(local_redirect_target(target), None, "{target:?}");
        }
    }

    #[test]
    fn percent_decoding_is_one_level() {
        assert_eq!(percent_decode("/%252F").as_deref(), Some("/%2F"));
        assert_eq!(percent_decode("/%2f%2F").as_deref(), Some("///"));
        assert_eq!(percent_decode("/%zz%4").as_deref(), Some("/%zz%4"));
        assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
    }
}

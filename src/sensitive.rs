//! What counts as a secret, so that it is never printed and never sent where it does not
//! belong: the values of credential-bearing headers, and the password of a URL.

/// What stands for a secret in `Debug` output and messages.
pub(crate) const REDACTED: &str = "<redacted>";

/// Header names that always carry credentials.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Parts of a header name that say it carries a secret (`X-Api-Key`, `X-Auth-Token`, ...).
const SECRET_WORDS: [&str; 8] = [
    "auth",
    "token",
    "key",
    "secret",
    "password",
    "session",
    "cookie",
    "credential",
];

/// Whether the value of header `name` is a secret: a credential header, a name that says so,
/// or one the application marked (`marked`, compared without regard to case).
pub(crate) fn is_sensitive_header(name: &str, marked: &[String]) -> bool {
    let name = name.trim().to_ascii_lowercase();
    CREDENTIAL_HEADERS.contains(&name.as_str())
        || SECRET_WORDS.iter().any(|word| name.contains(word))
        || marked.iter().any(|m| m.trim().eq_ignore_ascii_case(&name))
}

/// `text` (a URL, or a bare `user:password@host:port`) with any user and password replaced,
/// whether or not it parses: for messages about a URL that may carry credentials.
pub(crate) fn redact_url(text: &str) -> String {
    let (start, authority_end) = match text.find("://") {
        Some(i) => {
            let start = i + 3;
            let end = text[start..]
                .find(['/', '?', '#'])
                .map_or(text.len(), |j| start + j);
            (start, end)
        }
        // No scheme separator (a bare authority, or a mistyped URL such as `ws//…`): anything
        // before the query may be user-info.
        None => (0, text.find(['?', '#']).unwrap_or(text.len())),
    };
    match text[start..authority_end].rfind('@') {
        Some(at) => format!("{}{REDACTED}{}", &text[..start], &text[start + at..]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_headers_and_names_that_say_secret_are_sensitive() {
        for name in [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "X-Api-Key",
            "X-Auth-Token",
            "X-Session-Id",
        ] {
            assert!(is_sensitive_header(name, &[]), "{name}");
        }
        for name in ["Origin", "User-Agent", "X-Trace", "Accept-Language"] {
            assert!(!is_sensitive_header(name, &[]), "{name}");
        }
        assert!(is_sensitive_header("X-Tenant", &["x-TENANT".to_owned()]));
    }

    #[test]
    fn url_credentials_are_replaced_whether_or_not_the_url_parses() {
        assert_eq!(
            redact_url("http://al:s3cret@proxy:3128/x@y"),
            "http://<redacted>@proxy:3128/x@y"
        );
        assert_eq!(redact_url("al:s3cret@proxy:bad"), "<redacted>@proxy:bad");
        assert_eq!(redact_url("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(redact_url("ws://h/p?a=b@c"), "ws://h/p?a=b@c");
    }
}

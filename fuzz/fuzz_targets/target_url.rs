//! Where to connect: `ws://`/`wss://` URLs with user-info, the positional form
//! (`websocket_url`), and proxy URLs.
//!
//! Input: `[selector, port high, port low, text...]`; the text is a URL, or host `\0` path.
//! Checks: no panic; a parsed target's shown URL carries no user or password and parses back
//! to the same place; no error or shown URL repeats a password.

#![no_main]

use libfuzzer_sys::fuzz_target;
use named_websocket::fuzzing::{proxy_url, target_from_parts, target_from_url};
use named_websocket::websocket_url;

fuzz_target!(|data: &[u8]| {
    let [selector, high, low, text @ ..] = data else {
        return;
    };
    let text = String::from_utf8_lossy(text);
    let port = u16::from_be_bytes([*high, *low]);
    // In the positional form only the host may carry user-info: the path is the caller's.
    let password = match selector % 3 {
        1 => password_in(text.split('\0').next().unwrap_or_default()),
        _ => password_in(&text),
    };
    let printed = shown(*selector, port, &text);
    let Some(password) = password else {
        return;
    };
    if !printed.contains(&password) {
        return;
    }
    // The library's own words may spell it ("s, not" is in "address, not a URL"): then it is a
    // leak only if it shows more often than with another password of the same shape.
    let other: String = password
        .chars()
        .map(|c| if c.is_alphanumeric() { 'x' } else { c })
        .collect();
    let spelled_anyway = match other == password {
        true => 0,
        false => shown(*selector, port, &text.replacen(&password, &other, 1))
            .matches(&password)
            .count(),
    };
    assert!(
        printed.matches(&password).count() <= spelled_anyway,
        "the password {password:?} shows in {printed:?}"
    );
});

/// What the library shows for the input: the URL it would connect to, or the error's text.
/// Also checks what a parsed target says about itself.
fn shown(selector: u8, port: u16, text: &str) -> String {
    let shown = match selector % 3 {
        0 => {
            let result = target_from_url(text);
            if let Ok(target) = &result {
                let again = target_from_url(&target.url).expect("a shown URL parses again");
                assert!(!again.has_credentials, "{:?} shows credentials", target.url);
                assert_eq!(
                    (&again.host, again.port, again.tls),
                    (&target.host, target.port, target.tls)
                );
            }
            result.map(|target| target.url)
        }
        1 => {
            let (host, path) = text.split_once('\0').unwrap_or((text, ""));
            let tls = selector & 4 != 0;
            let result = target_from_parts(host, port, path, tls);
            let url = websocket_url(host, port, path, tls).map_err(|e| e.to_string());
            assert_eq!(url, result.clone().map(|target| target.url));
            if let Ok(target) = &result {
                assert!(!target.has_credentials);
                assert_eq!(target.tls, tls);
                if port != 0 {
                    assert_eq!(target.port, port);
                }
            }
            result.map(|target| target.url)
        }
        _ => proxy_url(text).map(|(host, port)| format!("{host}:{port}")),
    };
    shown.unwrap_or_else(|error| error)
}

/// The password of a `scheme://user:password@host` text, when it is long enough that finding
/// it elsewhere in the text by chance is unlikely.
fn password_in(text: &str) -> Option<String> {
    let after_scheme = text.split_once("://").map_or(text, |(_, rest)| rest);
    // A URL parser ends the authority at a backslash too, in ws:// and wss:// URLs.
    let authority = after_scheme.split(['/', '\\', '?', '#']).next()?;
    let (userinfo, host) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    // Errors quote the text escaped (`{:?}`), and an escape can spell the password out of
    // other characters: a NUL before "I0I" prints as `\0I0I`. Such a password tells nothing.
    let rest = text.replacen(password, "", 1);
    (password.len() >= 4
        && !host.contains(password)
        && !rest.contains(password)
        && !format!("{rest:?}").contains(password))
    .then(|| password.to_owned())
}

//! Where to connect: the server's address, from a URL or from WLanguage's host, port and path.
//!
//! Everything here is pure, so a bad argument is reported before any network traffic.

use tungstenite::http::HeaderValue;
use url::{Host, Url};

use crate::error::{Error, Result};
use crate::sensitive::redact_url;

/// Where to connect: the parsed `ws://` or `wss://` URL and its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The URL without its user and password: this is what is shown and logged.
    pub(crate) url: Url,
    /// The host as DNS or the TLS layer wants it: no brackets around IPv6 addresses.
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: bool,
    /// `Basic …` credentials from the URL's user and password (a sensitive header value: its
    /// `Debug` does not show it).
    pub(crate) credentials: Option<HeaderValue>,
}

impl Target {
    /// Builds the target of the positional form `(host, port, path)`.
    ///
    /// Port 0 means the scheme's default; an empty path means "/"; a missing leading "/" is
    /// added; a query string is kept. IPv6 hosts may come with or without brackets.
    pub(crate) fn from_parts(host: &str, port: u16, path: &str, tls: bool) -> Result<Target> {
        let host = host.trim();
        if host.is_empty() {
            return Err(Error::invalid("host is empty"));
        }
        if host.contains("://") || host.contains(['/', '\\', '?', '#', '@']) {
            let shown = redact_url(host);
            return Err(Error::invalid(format!(
                "host {shown:?} must be a host name or IP address, not a URL \
                 (use websocket_client_connect_url for URLs)"
            )));
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let host_part = if bare.contains(':') {
            format!("[{bare}]")
        } else {
            bare.to_owned()
        };
        let scheme = if tls { "wss" } else { "ws" };
        let port = if port == 0 { default_port(tls) } else { port };
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        Target::from_url(&format!("{scheme}://{host_part}:{port}{path}"))
    }

    /// Parses a `ws://` or `wss://` URL.
    pub(crate) fn from_url(text: &str) -> Result<Target> {
        // The text is not repeated as given: it may hold a password.
        let text = text.trim();
        let url = Url::parse(text)
            .map_err(|e| Error::invalid(format!("invalid URL {:?}: {e}", redact_url(text))))?;
        // `wss:host/…` or `wss:x://…` parse, as browsers read them, into a URL whose path
        // holds what was meant as the authority (user-info included): a typing slip, refused.
        let written_scheme = text.split(':').next().unwrap_or_default();
        if matches!(url.scheme(), "ws" | "wss") && !text[written_scheme.len()..].starts_with("://")
        {
            return Err(Error::invalid(format!(
                "URL {:?} must start with {}://",
                redact_url(text),
                url.scheme()
            )));
        }
        Target::from_parsed(url)
    }

    pub(crate) fn from_parsed(mut url: Url) -> Result<Target> {
        // First, so that no message below can show them.
        let credentials = take_credentials(&mut url);
        let tls = match url.scheme() {
            "ws" => false,
            "wss" => true,
            other => {
                return Err(Error::invalid(format!(
                    "URL scheme must be ws or wss, not {other:?}"
                )))
            }
        };
        if url.fragment().is_some() {
            return Err(Error::invalid(format!(
                "a WebSocket URL cannot have a #fragment: {}",
                redact_url(url.as_str())
            )));
        }
        let Some(host) = url_host(&url) else {
            return Err(Error::invalid(format!(
                "URL {} has no host",
                redact_url(url.as_str())
            )));
        };
        let port = url.port().unwrap_or_else(|| default_port(tls));
        Ok(Target {
            url,
            host,
            port,
            tls,
            credentials,
        })
    }
}

/// Removes the user and password from `url`, and returns them as a `Basic` authorization value.
fn take_credentials(url: &mut Url) -> Option<HeaderValue> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    };
    let user = decode(url.username());
    let password = decode(url.password().unwrap_or_default());
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let token = data_encoding::BASE64.encode(format!("{user}:{password}").as_bytes());
    let mut value = HeaderValue::from_str(&format!("Basic {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// The host of a URL as DNS, TLS and proxies want it: IPv6 addresses without brackets; `None`
/// when the URL has no host.
pub(crate) fn url_host(url: &Url) -> Option<String> {
    match url.host()? {
        Host::Domain(domain) if !domain.is_empty() => Some(domain.to_owned()),
        Host::Domain(_) => None,
        Host::Ipv4(ip) => Some(ip.to_string()),
        Host::Ipv6(ip) => Some(ip.to_string()),
    }
}

/// `host:port` as people write it, with an IPv6 address in brackets: `[::1]:8080`.
pub(crate) fn authority(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn default_port(tls: bool) -> u16 {
    if tls {
        443
    } else {
        80
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_parts_build_a_url() {
        let t = Target::from_parts("example.com", 0, "", false).unwrap();
        assert_eq!(t.url.as_str(), "ws://example.com/");
        assert_eq!((t.port, t.tls), (80, false));

        let t = Target::from_parts("example.com", 0, "chat?room=1", true).unwrap();
        assert_eq!(t.url.as_str(), "wss://example.com/chat?room=1");
        assert_eq!(t.port, 443);

        let t = Target::from_parts("127.0.0.1", 9001, "/x", false).unwrap();
        assert_eq!(t.url.as_str(), "ws://127.0.0.1:9001/x");
    }

    #[test]
    fn a_user_and_password_leave_the_url_for_basic_credentials() {
        let t = Target::from_url("ws://al%40ice:s3cret@example.com/x").unwrap();
        assert_eq!(t.url.as_str(), "ws://example.com/x");
        let expected = data_encoding::BASE64.encode(b"al@ice:s3cret");
        let credentials = t.credentials.clone().unwrap();
        assert_eq!(credentials.to_str().unwrap(), format!("Basic {expected}"));
        assert!(credentials.is_sensitive());
        assert!(!format!("{t:?}").contains(&expected));
        assert!(!format!("{t:?}").contains("s3cret"));
        assert!(Target::from_url("ws://example.com/")
            .unwrap()
            .credentials
            .is_none());
    }

    #[test]
    fn ipv6_with_or_without_brackets() {
        for host in ["::1", "[::1]"] {
            let t = Target::from_parts(host, 8080, "/", false).unwrap();
            assert_eq!(t.url.as_str(), "ws://[::1]:8080/");
            assert_eq!(t.host, "::1");
        }
    }

    #[test]
    fn bad_hosts_and_urls_are_invalid_arguments() {
        for host in ["", "  ", "ws://example.com", "a/b"] {
            assert!(matches!(
                Target::from_parts(host, 80, "/", false),
                Err(Error::InvalidArgument(_))
            ));
        }
        for url in ["http://x/", "ws://", "ws://x/#frag", "not a url"] {
            assert!(
                matches!(Target::from_url(url), Err(Error::InvalidArgument(_))),
                "{url}"
            );
        }
    }
}

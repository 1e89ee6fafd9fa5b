//! Argument checks: socket names, the server's address, subprotocol lists.
//!
//! Everything here is pure, so a bad argument is reported before any network traffic.

use url::{Host, Url};

use crate::error::{Error, Result};

/// Where to connect: the parsed `ws://` or `wss://` URL and its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) url: Url,
    /// The host as DNS or the TLS layer wants it: no brackets around IPv6 addresses.
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: bool,
}

/// Checks a socket name: not empty, no control characters.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("socket name is empty"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "socket name {name:?} contains a control character"
        )));
    }
    Ok(())
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
        if host.contains("://") || host.contains(['/', '?', '#', '@']) {
            return Err(Error::invalid(format!(
                "host {host:?} must be a host name or IP address, not a URL \
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
        let url = Url::parse(text.trim())
            .map_err(|e| Error::invalid(format!("invalid URL {text:?}: {e}")))?;
        Target::from_parsed(url)
    }

    pub(crate) fn from_parsed(url: Url) -> Result<Target> {
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
                "a WebSocket URL cannot have a #fragment: {url}"
            )));
        }
        let host = match url.host() {
            Some(Host::Domain(domain)) if !domain.is_empty() => domain.to_owned(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(Error::invalid(format!("URL {url} has no host"))),
        };
        let port = url.port().unwrap_or_else(|| default_port(tls));
        Ok(Target {
            url,
            host,
            port,
            tls,
        })
    }
}

fn default_port(tls: bool) -> u16 {
    if tls {
        443
    } else {
        80
    }
}

/// Splits a WLanguage-style protocol list ("mqtt, soap") and checks each name is an HTTP token.
pub(crate) fn parse_protocols(list: &str) -> Result<Vec<String>> {
    let mut protocols = Vec::new();
    if list.trim().is_empty() {
        return Ok(protocols);
    }
    for name in list.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(Error::invalid(format!(
                "protocol list {list:?} has an empty entry"
            )));
        }
        if !name.bytes().all(is_token_byte) {
            return Err(Error::invalid(format!(
                "protocol {name:?} is not a valid HTTP token"
            )));
        }
        if protocols.iter().any(|known| known == name) {
            return Err(Error::invalid(format!("protocol {name:?} is listed twice")));
        }
        protocols.push(name.to_owned());
    }
    Ok(protocols)
}

/// RFC 7230 `tchar`.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_printable_and_non_empty() {
        assert!(check_name("chat").is_ok());
        assert!(check_name("Chat 2 é").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a\nb").is_err());
    }

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

    #[test]
    fn protocol_lists_are_trimmed_and_checked() {
        assert_eq!(parse_protocols("").unwrap(), Vec::<String>::new());
        assert_eq!(parse_protocols(" mqtt , soap").unwrap(), ["mqtt", "soap"]);
        assert!(parse_protocols("a b").is_err());
        assert!(parse_protocols("a,,b").is_err());
        assert!(parse_protocols("chat,chat").is_err());
        assert!(parse_protocols("x\u{e9}").is_err());
    }
}

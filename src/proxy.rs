//! HTTP CONNECT proxies: which one applies, and opening a tunnel through it.

use std::io::{Read, Write};

use url::Url;

use crate::classify::{self, printable};
use crate::error::{detail, Error, Result};
use crate::sensitive::redact_url;
use crate::target::url_host;

/// An HTTP proxy that tunnels with CONNECT.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Proxy {
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Basic …` credentials for `Proxy-Authorization`.
    authorization: Option<String>,
}

// Never print the credentials.
impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("authorization", &self.authorization.as_ref().map(|_| "…"))
            .finish()
    }
}

impl Proxy {
    /// Parses `http://[user[:password]@]host[:port]`; the port defaults to 80.
    pub(crate) fn parse(text: &str) -> Result<Proxy> {
        // The URL is not repeated as it was given: it may hold a password.
        let shown = redact_url(text.trim());
        let invalid = |why: &str| Error::invalid(format!("invalid proxy URL {shown:?}: {why}"));
        // A bare "host:port", as http_proxy often holds, means http://host:port.
        let url = if text.contains("://") {
            Url::parse(text.trim())
        } else {
            Url::parse(&format!("http://{}", text.trim()))
        }
        .map_err(|e| invalid(&e.to_string()))?;
        if url.scheme() != "http" {
            return Err(invalid("only http:// proxies (HTTP CONNECT) are supported"));
        }
        let Some(host) = url_host(&url) else {
            return Err(invalid("no host"));
        };
        let authorization = if url.username().is_empty() {
            None
        } else {
            let user = percent_decode(url.username());
            let password = percent_decode(url.password().unwrap_or_default());
            let token = data_encoding::BASE64.encode(format!("{user}:{password}").as_bytes());
            Some(format!("Basic {token}"))
        };
        Ok(Proxy {
            host,
            port: url.port().unwrap_or(80),
            authorization,
        })
    }

    /// The proxy the environment names for this target, unless `no_proxy` excludes the host.
    pub(crate) fn from_env(tls: bool, host: &str) -> Result<Option<Proxy>> {
        Proxy::from_vars(tls, host, |name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the environment read through `var`.
    ///
    /// In a CGI program (`REQUEST_METHOD` set), `HTTP_PROXY` may come from the request's
    /// `Proxy:` header, so anyone could point the program at their proxy ("httpoxy"): it is
    /// ignored there, as curl, Go and Python do; the lower-case name cannot come from a request.
    fn from_vars(
        tls: bool,
        host: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Proxy>> {
        let cgi = var("REQUEST_METHOD").is_some();
        let names: &[&str] = match (tls, cgi) {
            (true, _) => &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
            (false, false) => &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
            (false, true) => &["http_proxy", "all_proxy", "ALL_PROXY"],
        };
        let Some(value) = names
            .iter()
            .filter_map(|name| var(name))
            .find(|value| !value.trim().is_empty())
        else {
            return Ok(None);
        };
        let no_proxy = var("no_proxy")
            .or_else(|| var("NO_PROXY"))
            .unwrap_or_default();
        if excluded(&no_proxy, host) {
            return Ok(None);
        }
        Proxy::parse(&value).map(Some)
    }

    /// Asks the proxy for a tunnel to `host:port` over `tcp`, already connected to the proxy.
    /// The caller arms the socket's timeouts.
    pub(crate) fn tunnel(
        &self,
        tcp: &mut (impl Read + Write),
        host: &str,
        port: u16,
    ) -> Result<()> {
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(authorization) = &self.authorization {
            request.push_str(&format!("Proxy-Authorization: {authorization}\r\n"));
        }
        request.push_str("\r\n");
        tcp.write_all(request.as_bytes())
            .map_err(|e| self.io_error(e))?;
        let head = read_head(tcp).map_err(|e| self.io_error(e))?;
        // Text from the proxy, fit to print.
        let status_line = printable(head.lines().next().unwrap_or_default());
        let mut words = status_line.split_whitespace();
        let version = words.next().unwrap_or_default();
        let status = words.next().unwrap_or_default();
        if !version.starts_with("HTTP/1.") {
            return Err(Error::Proxy(detail(format!(
                "proxy {}:{} did not answer in HTTP/1.x: {status_line}",
                self.host, self.port
            ))));
        }
        match status {
            "200" => Ok(()),
            "407" => Err(Error::Proxy(detail(format!(
                "proxy {}:{} wants authentication (407): give user:password in the proxy URL",
                self.host, self.port
            )))),
            _ => Err(Error::Proxy(detail(format!(
                "proxy {}:{} refused the tunnel to {authority}: {status_line}",
                self.host, self.port
            )))),
        }
    }

    fn io_error(&self, error: std::io::Error) -> Error {
        classify::proxy_io(error, &format!("{}:{}", self.host, self.port))
    }
}

/// Reads an HTTP response head byte by byte, so that nothing after it is consumed: the
/// tunnel's first bytes belong to the TLS or WebSocket handshake.
fn read_head(tcp: &mut impl Read) -> std::io::Result<String> {
    const LIMIT: usize = 16 * 1024;
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= LIMIT {
            return Err(std::io::Error::other("the proxy's answer is too long"));
        }
        match tcp.read(&mut byte)? {
            0 => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the proxy closed the connection",
                ))
            }
            _ => head.push(byte[0]),
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// True when `no_proxy` ("*", or a comma list of hosts and domain suffixes) covers `host`.
fn excluded(no_proxy: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    no_proxy
        .split(',')
        .map(|entry| entry.trim().to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            let entry = entry.trim_start_matches("*.").trim_start_matches('.');
            entry == "*" || host == entry || host.ends_with(&format!(".{entry}"))
        })
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_parse_with_and_without_credentials() {
        let proxy = Proxy::parse("http://proxy.local:3128").unwrap();
        assert_eq!((proxy.host.as_str(), proxy.port), ("proxy.local", 3128));
        assert_eq!(proxy.authorization, None);
        let proxy = Proxy::parse("proxy.local").unwrap();
        assert_eq!(proxy.port, 80);
        let proxy = Proxy::parse("http://al%40ice:s%3Acret@127.0.0.1:8080").unwrap();
        let expected = data_encoding::BASE64.encode(b"al@ice:s:cret");
        assert_eq!(proxy.authorization, Some(format!("Basic {expected}")));
        assert!(
            !format!("{proxy:?}").contains(&expected),
            "credentials stay secret"
        );
        for bad in ["https://p:1", "socks5://p:1", "http://", "http://p:99999"] {
            assert!(Proxy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_about_a_proxy_url_never_show_its_password() {
        for bad in [
            "http://al:s3cret@proxy:99999",
            "ftp://al:s3cret@proxy:1",
            "al:s3cret@",
        ] {
            let error = Proxy::parse(bad).unwrap_err().to_string();
            assert!(!error.contains("s3cret"), "{error}");
            assert!(error.contains("<redacted>"), "{error}");
        }
    }

    #[test]
    fn a_cgi_program_ignores_http_proxy_from_the_request() {
        let vars = |cgi: bool, name: &'static str| {
            move |key: &str| match key {
                "REQUEST_METHOD" if cgi => Some("GET".to_owned()),
                key if key == name => Some("http://127.0.0.1:3128".to_owned()),
                _ => None,
            }
        };
        let found = |cgi, name| Proxy::from_vars(false, "example.com", vars(cgi, name)).unwrap();
        assert!(found(false, "HTTP_PROXY").is_some());
        assert!(found(true, "HTTP_PROXY").is_none(), "httpoxy");
        assert!(found(true, "http_proxy").is_some());
        let tls = Proxy::from_vars(true, "example.com", vars(true, "HTTPS_PROXY")).unwrap();
        assert!(tls.is_some(), "a request cannot set HTTPS_PROXY");
    }

    #[test]
    fn no_proxy_matches_hosts_and_domain_suffixes() {
        assert!(excluded("*", "anything"));
        assert!(excluded("localhost, .example.com", "api.example.com"));
        assert!(excluded("example.com", "example.com"));
        assert!(excluded("example.com", "www.EXAMPLE.com"));
        assert!(!excluded("example.com", "notexample.com"));
        assert!(excluded("::1", "[::1]"));
        assert!(!excluded("", "example.com"));
    }
}

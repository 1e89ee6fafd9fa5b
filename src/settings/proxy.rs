//! HTTP CONNECT proxies: the proxy URL and which proxy the environment names. The tunnel through
//! it is opened by the transport (`transport::tunnel`).

use std::net::IpAddr;

use url::Url;

use crate::error::{Error, Result};
use crate::sensitive::redact_url;
use crate::settings::target::url_host;

/// An HTTP proxy that tunnels with CONNECT.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Proxy {
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Basic …` credentials for `Proxy-Authorization`.
    pub(crate) authorization: Option<String>,
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
        let names = Names {
            case_insensitive: cfg!(windows),
        };
        Proxy::from_vars(tls, host, names, |name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) with the environment read through `var`.
    ///
    /// In a CGI program (`REQUEST_METHOD` set), `HTTP_PROXY` may come from the request's
    /// `Proxy:` header, so anyone could point the program at their proxy ("httpoxy"): it is
    /// ignored there, as curl, Go and Python do; the lower-case name cannot come from a request,
    /// except where names are case-insensitive (Windows), so there neither is read.
    fn from_vars(
        tls: bool,
        host: &str,
        names: Names,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Proxy>> {
        let cgi = var("REQUEST_METHOD").is_some();
        let names: &[&str] = match (tls, cgi) {
            (true, _) => &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
            (false, false) => &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
            (false, true) if names.case_insensitive => &["all_proxy", "ALL_PROXY"],
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
}

/// How the environment's names compare.
#[derive(Debug, Clone, Copy)]
struct Names {
    /// `http_proxy` and `HTTP_PROXY` are one variable (Windows).
    case_insensitive: bool,
}

/// True when `no_proxy` ("*", or a comma list of hosts, domain suffixes and IP ranges in
/// CIDR form, as curl takes them) covers `host`.
fn excluded(no_proxy: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let address = host.parse::<IpAddr>().ok();
    no_proxy
        .split(',')
        .map(|entry| entry.trim().to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            let entry = entry.trim_start_matches("*.").trim_start_matches('.');
            let entry = entry.trim_start_matches('[').trim_end_matches(']');
            entry == "*"
                || host == entry
                || host.ends_with(&format!(".{entry}"))
                || address.is_some_and(|address| in_range(address, entry))
        })
}

/// True when `range` is a CIDR range (`127.0.0.0/8`, `fd00::/8`) that holds `address`.
fn in_range(address: IpAddr, range: &str) -> bool {
    let Some((network, bits)) = range.split_once('/') else {
        return false;
    };
    let network = network.trim_end_matches(']').trim_start_matches('[');
    let (Ok(network), Ok(bits)) = (network.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    let (address, network, width) = match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(a.to_bits()), u128::from(n.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (a.to_bits(), n.to_bits(), 128),
        _ => return false,
    };
    if bits > width {
        return false;
    }
    let host_bits = width - bits;
    let mask = if host_bits >= 128 {
        0
    } else {
        u128::MAX << host_bits
    };
    address & mask == network & mask
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
        let posix = Names {
            case_insensitive: false,
        };
        let found =
            |cgi, name| Proxy::from_vars(false, "example.com", posix, vars(cgi, name)).unwrap();
        assert!(found(false, "HTTP_PROXY").is_some());
        assert!(found(true, "HTTP_PROXY").is_none(), "httpoxy");
        assert!(found(true, "http_proxy").is_some());
        let tls = Proxy::from_vars(true, "example.com", posix, vars(true, "HTTPS_PROXY"));
        assert!(tls.unwrap().is_some(), "a request cannot set HTTPS_PROXY");
    }

    #[test]
    fn where_names_ignore_case_a_cgi_program_reads_no_http_proxy_at_all() {
        // Windows: the request's HTTP_PROXY answers to "http_proxy" too.
        let request_set = |key: &str| {
            if key.eq_ignore_ascii_case("REQUEST_METHOD") {
                Some("GET".to_owned())
            } else if key.eq_ignore_ascii_case("HTTP_PROXY") {
                Some("http://attacker.example:3128".to_owned())
            } else {
                None
            }
        };
        let windows = Names {
            case_insensitive: true,
        };
        let found = Proxy::from_vars(false, "example.com", windows, request_set).unwrap();
        assert!(found.is_none(), "httpoxy through the lower-case name");
        let not_cgi =
            |key: &str| request_set(key).filter(|_| !key.eq_ignore_ascii_case("REQUEST_METHOD"));
        let found = Proxy::from_vars(false, "example.com", windows, not_cgi).unwrap();
        assert!(found.is_some(), "outside CGI, HTTP_PROXY is the proxy");
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

    #[test]
    fn no_proxy_takes_cidr_ranges_of_both_families() {
        assert!(excluded("127.0.0.0/8", "127.0.0.1"));
        assert!(excluded("10.0.0.0/8, 192.168.0.0/16", "192.168.4.2"));
        assert!(!excluded("10.0.0.0/8", "11.0.0.1"));
        assert!(excluded("0.0.0.0/0", "203.0.113.9"));
        assert!(excluded("::1/128", "[::1]"));
        assert!(excluded("[fd00::]/8", "[fd12::1]"));
        assert!(!excluded("fd00::/8", "[fe80::1]"));
        assert!(!excluded("127.0.0.0/8", "[::1]"), "families do not mix");
        assert!(!excluded("127.0.0.0/33", "127.0.0.1"), "no such prefix");
        assert!(
            !excluded("127.0.0.0/8", "localhost"),
            "names are not resolved"
        );
    }
}

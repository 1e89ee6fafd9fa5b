//! Opening a connection under one deadline: DNS, TCP, TLS, then the HTTP upgrade.
//!
//! We do not use `tungstenite::connect`: it has no connect timeout, and its TLS path panics when
//! the stream has a read timeout. Each phase here runs on a blocking socket whose timeouts are
//! re-armed with what is left of the deadline, so a slow server costs at most the deadline.

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime};

use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::HandshakeError;
use tungstenite::http::{header, HeaderValue};
use tungstenite::WebSocket;
use url::Url;

use crate::deadline::deadline_after;
use crate::deflate::{self, negotiation::Agreed, reframe::Reframer};
use crate::error::{Error, HandshakeFailure, Result, Timeout};
use crate::settings::options::{Checked, ConnectOptions};
use crate::settings::proxy::Proxy;
use crate::settings::target::{authority, Target};
use crate::tls_version::TlsVersion;
use crate::transport::access;
use crate::transport::cancel::ConnectCancel;
use crate::transport::classify;
use crate::transport::dns;
use crate::transport::retry_after;
use crate::transport::shared_tcp::SharedTcp;
use crate::transport::stream::Stream;
use crate::transport::tls;

/// A connection whose upgrade succeeded, before it is wrapped into a socket.
pub(crate) struct Established {
    pub(crate) ws: WebSocket<Stream>,
    pub(crate) url: Url,
    pub(crate) protocol: Option<String>,
    pub(crate) response_headers: Vec<(String, String)>,
    pub(crate) peer_addr: Option<SocketAddr>,
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) tls_version: Option<TlsVersion>,
    /// What permessage-deflate agreed, when it was offered and accepted.
    pub(crate) deflate: Option<Agreed>,
}

/// Connects to `target`, following redirects, all within `options.connect_timeout`, which
/// starts once the access policy allowed the first URL. With `cancel`, cutting it ends the
/// connect at once (see [`ConnectCancel`]).
pub(crate) fn connect(
    target: Target,
    options: &ConnectOptions,
    checked: &Checked,
    label: &str,
    cancel: Option<&ConnectCancel>,
) -> Result<Established> {
    let reason = options.access_reason.as_deref();
    access::check(target.url.as_str(), reason)?;
    let deadline = deadline_after(options.connect_timeout);
    let mut target = target;
    let mut checked = checked.clone();
    // A user and password in the URL are sent as Basic authentication, as Node's ws does,
    // unless the caller gave an Authorization header of its own.
    if let Some(credentials) = target.credentials.take() {
        let given = checked
            .headers
            .iter()
            .any(|(name, _)| *name == header::AUTHORIZATION);
        if !given {
            checked.headers.push((header::AUTHORIZATION, credentials));
        }
    }
    let mut redirects_left = options.max_redirects;
    loop {
        log::debug!("{label}: connecting to {}", target.url);
        match connect_once(&target, options, &checked, deadline, label, cancel)? {
            Attempt::Open(established) => {
                log::debug!(
                    "{label}: connected to {} (protocol {:?})",
                    established.url,
                    established.protocol
                );
                return Ok(*established);
            }
            Attempt::Redirect(status, location) => {
                let next = redirect_target(&target, status, &location, redirects_left)?;
                let cross_origin = next.url.origin() != target.url.origin();
                if cross_origin && !options.cross_origin_redirects {
                    return Err(classify::refused_because(
                        status,
                        format!(
                            "redirect to another origin ({}) refused; \
                             see ConnectOptions::follow_cross_origin_redirects",
                            next.url
                        ),
                    ));
                }
                if cross_origin {
                    // Credentials are for the first origin only.
                    checked.headers.retain(|(_, value)| !value.is_sensitive());
                }
                access::check(next.url.as_str(), reason)?;
                log::debug!(
                    "{label}: HTTP {status}: redirected from {} to {}",
                    target.url,
                    next.url
                );
                redirects_left -= 1;
                target = next;
            }
        }
    }
}

enum Attempt {
    Open(Box<Established>),
    Redirect(u16, String),
}

fn connect_once(
    target: &Target,
    options: &ConnectOptions,
    checked: &Checked,
    deadline: Instant,
    label: &str,
    cancel: Option<&ConnectCancel>,
) -> Result<Attempt> {
    let cut = || cancel.map_or(Ok(()), ConnectCancel::check);
    let watch = |tcp: &SharedTcp| cancel.map_or(Ok(()), |cancel| cancel.watch(tcp.handle()));
    cut()?;
    let proxy = match &checked.proxy {
        Some(proxy) => Some(proxy.clone()),
        None if options.proxy_from_env => Proxy::from_env(target.tls, &target.host)?,
        None => None,
    };
    let tcp = match proxy {
        Some(proxy) => {
            log::debug!(
                "{label}: tunnelling through proxy {}:{}",
                proxy.host,
                proxy.port
            );
            let addresses =
                dns::resolve(&proxy.host, proxy.port, deadline).map_err(classify::proxy_host)?;
            let peer = Peer::Proxy(&proxy.host, proxy.port);
            cut()?;
            let tcp = connect_tcp(&addresses, peer, deadline, label)?;
            let mut tcp = SharedTcp::with_deadline(tcp, deadline);
            watch(&tcp)?;
            proxy.tunnel(&mut tcp, &target.host, target.port)?;
            tcp
        }
        None => {
            let addresses = dns::resolve(&target.host, target.port, deadline)?;
            let peer = Peer::Server(&target.host, target.port);
            cut()?;
            let tcp = connect_tcp(&addresses, peer, deadline, label)?;
            let tcp = SharedTcp::with_deadline(tcp, deadline);
            watch(&tcp)?;
            tcp
        }
    };
    let peer_addr = tcp.tcp().peer_addr().ok();
    let local_addr = tcp.tcp().local_addr().ok();
    let (stream, tls_version) = if target.tls {
        let (tls, version) =
            tls::handshake(tcp, (&target.host, target.port), &options.tls, deadline)?;
        (Stream::tls(tls), version)
    } else {
        (Stream::plain(tcp), None)
    };
    let attempt = upgrade(stream, target, options, checked, deadline)?;
    Ok(match attempt {
        Attempt::Open(mut established) => {
            established.peer_addr = peer_addr;
            established.local_addr = local_addr;
            established.tls_version = tls_version;
            Attempt::Open(established)
        }
        redirect => redirect,
    })
}

/// What is left of the deadline, or a timeout of `phase` when nothing is.
fn time_left(deadline: Instant, phase: Timeout) -> Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(Error::Timeout(phase))
    } else {
        Ok(left)
    }
}

/// What a TCP connection goes to: the server, or the proxy in front of it.
#[derive(Clone, Copy)]
enum Peer<'a> {
    Server(&'a str, u16),
    Proxy(&'a str, u16),
}

/// Tries every address in turn; reports the last cause when none accepts.
fn connect_tcp(
    addresses: &[SocketAddr],
    peer: Peer<'_>,
    deadline: Instant,
    label: &str,
) -> Result<TcpStream> {
    let mut refused = 0;
    let mut last_error = None;
    for address in addresses {
        let left = time_left(deadline, Timeout::Connect)?;
        match TcpStream::connect_timeout(address, left) {
            Ok(tcp) => {
                tcp.set_nodelay(true).map_err(Error::Io)?;
                return Ok(tcp);
            }
            Err(e) => {
                log::debug!("{label}: TCP connect to {address} failed: {e}");
                if e.kind() == std::io::ErrorKind::ConnectionRefused {
                    refused += 1;
                }
                last_error = Some(e);
            }
        }
    }
    let (Peer::Server(host, port) | Peer::Proxy(host, port)) = peer;
    match last_error {
        _ if refused == addresses.len() => {
            let target = authority(host, port);
            let tried = list(addresses);
            let at = if tried == target {
                target
            } else {
                format!("{target} ({tried})")
            };
            let text = match peer {
                Peer::Server(..) => {
                    format!("{at}: nothing listens there (is the server running, on that port?)")
                }
                Peer::Proxy(..) => format!(
                    "the proxy {at}: nothing listens there (is the proxy running, on that port?)"
                ),
            };
            Err(Error::ConnectRefused(text.into()))
        }
        Some(e) => Err(classify::io(e, Timeout::Connect)),
        None => Err(classify::no_address(host)),
    }
}

fn list(addresses: &[SocketAddr]) -> String {
    let texts: Vec<String> = addresses.iter().map(ToString::to_string).collect();
    texts.join(", ")
}

fn upgrade(
    mut stream: Stream,
    target: &Target,
    options: &ConnectOptions,
    checked: &Checked,
    deadline: Instant,
) -> Result<Attempt> {
    let mut request = target
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| Error::invalid(format!("cannot build the upgrade request: {e}")))?;
    let headers = request.headers_mut();
    for (name, value) in &checked.headers {
        headers.append(name.clone(), value.clone());
    }
    if !checked.protocols.is_empty() {
        let value = HeaderValue::from_str(&checked.protocols.join(", "))
            .map_err(|e| Error::invalid(format!("invalid protocol list: {e}")))?;
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, value);
    }
    if let Some(compression) = &options.compression {
        headers.insert(
            header::SEC_WEBSOCKET_EXTENSIONS,
            deflate::offer(compression),
        );
        // Installed for the upgrade only (after any proxy and TLS): it hands the engine the
        // answer's head and holds back the frames that follow it in the same read.
        let limits = options.limits();
        stream.reframe = Some(Box::new(Reframer::for_handshake(
            limits.max_message_size,
            limits.max_frame_size,
        )));
    }
    let mut attempt =
        tungstenite::client::client_with_config(request, stream, Some(options.websocket_config()));
    let (ws, response) = loop {
        match attempt {
            Ok(done) => break done,
            Err(HandshakeError::Interrupted(mid)) => {
                time_left(deadline, Timeout::Handshake)?;
                attempt = mid.handshake();
            }
            Err(HandshakeError::Failure(tungstenite::Error::Http(response))) => {
                let status = response.status().as_u16();
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|value| value.to_str().ok());
                if let (true, Some(location)) = (is_redirect(status), location) {
                    return Ok(Attempt::Redirect(status, location.to_owned()));
                }
                let retry_after = response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| retry_after::parse(value, SystemTime::now()));
                let body = response.body().as_deref();
                return Err(classify::refused(status, body, retry_after));
            }
            Err(HandshakeError::Failure(e)) => {
                return Err(classify::handshake(e, &checked.protocols))
            }
        }
    };
    let mut ws = ws;
    let deflate = deflate::agree(options.compression.as_ref(), response.headers())?;
    if options.compression.is_some() {
        let stream = ws.get_mut();
        let spent = stream.reframe.as_mut().map(|reframer| {
            reframer.configure(deflate.as_ref());
            reframer.is_spent()
        });
        if spent == Some(true) {
            // Declined, and nothing held back: no transform, no buffer.
            stream.reframe = None;
        }
    }
    // From here on the socket is driven without blocking; readers and writers wait for
    // readiness with poll(2) instead of socket timeouts.
    ws.get_mut().go_nonblocking().map_err(Error::Io)?;
    let protocol = response
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let response_headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    Ok(Attempt::Open(Box::new(Established {
        ws,
        url: target.url.clone(),
        protocol,
        response_headers,
        peer_addr: None,
        local_addr: None,
        tls_version: None,
        deflate,
    })))
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

fn redirect_target(
    from: &Target,
    status: u16,
    location: &str,
    redirects_left: u32,
) -> Result<Target> {
    if redirects_left == 0 {
        return Err(classify::refused_because(
            status,
            "too many redirects (see ConnectOptions::max_redirects)".to_owned(),
        ));
    }
    let mut url = from.url.join(location).map_err(|e| {
        let location = classify::printable(location);
        Error::Handshake(Box::new(HandshakeFailure::new(
            Some(status),
            format!("invalid redirect location {location:?}: {e}"),
        )))
    })?;
    // Servers often answer with http(s) URLs; the WebSocket schemes map one to one.
    let scheme = match url.scheme() {
        "http" => Some("ws"),
        "https" => Some("wss"),
        _ => None,
    };
    if let Some(scheme) = scheme {
        let _ = url.set_scheme(scheme);
    }
    let next = Target::from_parsed(url)?;
    if from.tls && !next.tls {
        return Err(classify::refused_because(
            status,
            format!("refusing to follow a redirect from wss to {}", next.url),
        ));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_resolve_relative_locations_and_never_downgrade() {
        let from = Target::from_url("wss://a.example/x").unwrap();
        let next = redirect_target(&from, 302, "/y", 1).unwrap();
        assert_eq!(next.url.as_str(), "wss://a.example/y");
        let next = redirect_target(&from, 301, "https://b.example/z", 1).unwrap();
        assert_eq!(next.url.as_str(), "wss://b.example/z");
        assert!(redirect_target(&from, 302, "ws://a.example/", 1).is_err());
        assert!(redirect_target(&from, 302, "/y", 0).is_err());
    }
}

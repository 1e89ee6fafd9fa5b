//! The tunnel through an HTTP CONNECT proxy: the request, and the proxy's answer read up to
//! its end and no further.

use std::io::{Read, Write};

use crate::error::{detail, detail_status, Error, Result};
use crate::settings::proxy::Proxy;
use crate::settings::target::authority;
use crate::transport::classify::{self, printable};

impl Proxy {
    /// Asks the proxy for a tunnel to `host:port` over `tcp`, already connected to the proxy.
    /// The caller arms the socket's timeouts.
    pub(crate) fn tunnel(
        &self,
        tcp: &mut (impl Read + Write),
        host: &str,
        port: u16,
    ) -> Result<()> {
        let proxy = authority(&self.host, self.port);
        let destination = authority(host, port);
        let mut request = format!("CONNECT {destination} HTTP/1.1\r\nHost: {destination}\r\n");
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
                "proxy {proxy} did not answer in HTTP/1.x: {status_line}"
            ))));
        }
        let Ok(code) = status.parse::<u16>() else {
            return Err(Error::Proxy(detail(format!(
                "proxy {proxy} did not answer with an HTTP status: {status_line}"
            ))));
        };
        let refusal = match code {
            200..=299 => return Ok(()),
            407 if self.authorization.is_some() => format!(
                "proxy {proxy} refused the credentials given in the proxy URL (407): check \
                 the user name and password"
            ),
            407 => format!(
                "proxy {proxy} wants credentials (407): give user:password in the proxy URL \
                 (http://user:password@host:port)"
            ),
            403 => format!(
                "proxy {proxy} forbids a tunnel to {destination} ({status_line}): its rules \
                 do not allow this host or port (squid, by default, tunnels to port 443 only)"
            ),
            502..=504 => format!(
                "proxy {proxy} could not reach {destination} ({status_line}): is the server \
                 up, and reachable from the proxy?"
            ),
            _ => format!("proxy {proxy} refused the tunnel to {destination}: {status_line}"),
        };
        Err(Error::Proxy(detail_status(refusal, code)))
    }

    fn io_error(&self, error: std::io::Error) -> Error {
        classify::proxy_io(error, &authority(&self.host, self.port))
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

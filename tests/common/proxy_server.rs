//! A real HTTP CONNECT proxy on loopback, for the proxy option's tests.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;

use super::{raw_server, read_request_head, Server};

/// What the proxy saw on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyLog {
    /// The CONNECT request head, as received.
    pub request: String,
    /// The `host:port` the client asked for.
    pub target: String,
    /// Whether a tunnel was opened (false when authentication failed).
    pub tunnelled: bool,
}

/// Serves `connections` CONNECT requests. With `credentials` ("user:password"), a request
/// without the matching `Proxy-Authorization: Basic …` gets `407` and no tunnel.
pub fn connect_proxy(connections: usize, credentials: Option<&'static str>) -> Server<ProxyLog> {
    raw_server(connections, move |mut client| {
        let request = read_request_head(&mut client);
        let target = request
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let mut log = ProxyLog {
            request: request.clone(),
            target: target.clone(),
            tunnelled: false,
        };
        if let Some(credentials) = credentials {
            let expected = format!(
                "proxy-authorization: basic {}",
                data_encoding::BASE64.encode(credentials.as_bytes())
            )
            .to_ascii_lowercase();
            if !request.to_ascii_lowercase().contains(&expected) {
                let _ = client.write_all(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                      Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
                );
                return log;
            }
        }
        let Ok(upstream) = TcpStream::connect(&target) else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
            return log;
        };
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .unwrap();
        log.tunnelled = true;
        pipe(client, upstream);
        log
    })
}

/// Copies bytes both ways until both sides have finished.
fn pipe(client: TcpStream, upstream: TcpStream) {
    let (client_in, upstream_out) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    let forward = thread::spawn(move || copy_then_shutdown(client_in, upstream_out));
    copy_then_shutdown(upstream, client);
    forward.join().unwrap();
}

fn copy_then_shutdown(mut from: TcpStream, mut to: TcpStream) {
    let _ = io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
    let mut rest = Vec::new();
    let _ = from.read_to_end(&mut rest);
}

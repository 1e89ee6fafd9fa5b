//! TLS servers with special demands that every platform serves: an old maximum TLS version, a
//! certificate for another host.

use tungstenite::WebSocket;

use super::{
    accept_any, raw_server, self_signed, ws_handshake, Server, ServerAcceptor, ServerTls,
    TlsFixture, CLIENT_KEY, SERVER_KEY,
};

/// A self-signed certificate and key for the client side of mutual TLS, made at test time.
#[derive(Debug, Clone)]
pub struct ClientCertificate {
    /// PEM certificate.
    pub cert_pem: String,
    /// DER certificate.
    pub cert_der: Vec<u8>,
    /// PEM PKCS#8 private key.
    pub key_pem: String,
}

/// Generates a client certificate (CN "test client").
pub fn client_certificate() -> ClientCertificate {
    let made = self_signed(&["test-client"], CLIENT_KEY);
    ClientCertificate {
        cert_pem: made.cert_pem,
        cert_der: made.cert_der,
        key_pem: made.key_pem,
    }
}

/// A certificate for "other.example" only, so that connecting to localhost with it trusted
/// fails on the host name alone.
pub fn other_host_fixture() -> TlsFixture {
    self_signed(&["other.example"], SERVER_KEY)
}

/// A `wss` server that speaks at most TLS 1.2.
pub fn tls12_ws_server<T, F>(
    fixture: &TlsFixture,
    connections: usize,
    handler: F,
) -> Server<Option<T>>
where
    F: Fn(WebSocket<ServerTls>) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let acceptor = ServerAcceptor::new(fixture, true);
    raw_server(connections, move |stream| {
        let tls = acceptor.accept(stream)?;
        let (_head, ws) = ws_handshake(tls, &accept_any())?;
        Some(handler(ws))
    })
}

//! TLS servers that native-tls cannot make (one that asks for client certificates, one that
//! speaks TLS 1.3 only: its OpenSSL acceptor turns TLS 1.3 off), and PKCS#12 archives. These
//! use OpenSSL, which only the platforms where native-tls uses it have.

use std::net::TcpStream;

use openssl::ssl::{SslAcceptor, SslMethod, SslVerifyMode};
use openssl::x509::X509;
use tungstenite::WebSocket;

use super::{accept_any, raw_server, ws_handshake, ClientCertificate, Server, TlsFixture};

impl ClientCertificate {
    /// The same identity as a PKCS#12 archive protected by `password`.
    pub fn pkcs12(&self, password: &str) -> Vec<u8> {
        let key = openssl::pkey::PKey::private_key_from_pem(self.key_pem.as_bytes()).unwrap();
        let cert = X509::from_pem(self.cert_pem.as_bytes()).unwrap();
        openssl::pkcs12::Pkcs12::builder()
            .name("test client")
            .pkey(&key)
            .cert(&cert)
            .build2(password)
            .unwrap()
            .to_der()
            .unwrap()
    }
}

/// A `wss` server that demands a client certificate signed by (or equal to) `client_ca`.
/// A connection whose TLS handshake failed yields `None`.
pub fn mutual_tls_ws_server<T, F>(
    fixture: &TlsFixture,
    client_ca: &ClientCertificate,
    connections: usize,
    handler: F,
) -> Server<Option<T>>
where
    F: Fn(WebSocket<openssl::ssl::SslStream<TcpStream>>) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let mut builder = acceptor_with(
        SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).unwrap(),
        fixture,
    );
    builder
        .cert_store_mut()
        .add_cert(X509::from_der(&client_ca.cert_der).unwrap())
        .unwrap();
    builder.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    openssl_ws_server(builder.build(), connections, handler)
}

/// A `wss` server that speaks TLS 1.3 only.
pub fn tls13_ws_server<T, F>(
    fixture: &TlsFixture,
    connections: usize,
    handler: F,
) -> Server<Option<T>>
where
    F: Fn(WebSocket<openssl::ssl::SslStream<TcpStream>>) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let acceptor = acceptor_with(
        SslAcceptor::mozilla_modern_v5(SslMethod::tls()).unwrap(),
        fixture,
    );
    openssl_ws_server(acceptor.build(), connections, handler)
}

/// Serves `connections` WebSocket handshakes over `acceptor`; a failed TLS or WebSocket
/// handshake yields `None`.
fn openssl_ws_server<T, F>(
    acceptor: SslAcceptor,
    connections: usize,
    handler: F,
) -> Server<Option<T>>
where
    F: Fn(WebSocket<openssl::ssl::SslStream<TcpStream>>) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    raw_server(connections, move |stream| {
        let tls = acceptor.accept(stream).ok()?;
        let (_head, ws) = ws_handshake(tls, &accept_any())?;
        Some(handler(ws))
    })
}

/// `builder` presenting `fixture`'s certificate and key.
fn acceptor_with(
    mut builder: openssl::ssl::SslAcceptorBuilder,
    fixture: &TlsFixture,
) -> openssl::ssl::SslAcceptorBuilder {
    let key = openssl::pkey::PKey::private_key_from_pem(fixture.key_pem.as_bytes()).unwrap();
    builder.set_private_key(&key).unwrap();
    builder
        .set_certificate(&X509::from_pem(fixture.cert_pem.as_bytes()).unwrap())
        .unwrap();
    builder
}

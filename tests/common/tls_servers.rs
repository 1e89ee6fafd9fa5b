//! TLS servers with special demands: a client certificate, an old maximum TLS version.

use std::net::TcpStream;

use native_tls::{Identity, Protocol, TlsAcceptor};
use openssl::ssl::{SslAcceptor, SslMethod, SslVerifyMode};
use openssl::x509::X509;
use tungstenite::WebSocket;

use super::{accept_any, raw_server, ws_handshake, Server, TlsFixture};

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
    let certified = rcgen::generate_simple_self_signed(vec!["test-client".to_owned()])
        .expect("generate client certificate");
    ClientCertificate {
        cert_pem: certified.cert.pem(),
        cert_der: certified.cert.der().to_vec(),
        key_pem: certified.signing_key.serialize_pem(),
    }
}

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

/// A certificate for "other.example" only, so that connecting to localhost with it trusted
/// fails on the host name alone.
pub fn other_host_fixture() -> TlsFixture {
    let certified = rcgen::generate_simple_self_signed(vec!["other.example".to_owned()])
        .expect("generate test certificate");
    TlsFixture {
        cert_pem: certified.cert.pem(),
        cert_der: certified.cert.der().to_vec(),
        key_pem: certified.signing_key.serialize_pem(),
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

/// A `wss` server that speaks at most TLS 1.2.
pub fn tls12_ws_server<T, F>(
    fixture: &TlsFixture,
    connections: usize,
    handler: F,
) -> Server<Option<T>>
where
    F: Fn(WebSocket<native_tls::TlsStream<TcpStream>>) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let identity = Identity::from_pkcs8(fixture.cert_pem.as_bytes(), fixture.key_pem.as_bytes())
        .expect("load test identity");
    let acceptor = TlsAcceptor::builder(identity)
        .max_protocol_version(Some(Protocol::Tlsv12))
        .build()
        .expect("build TLS 1.2 acceptor");
    raw_server(connections, move |stream| {
        let tls = acceptor.accept(stream).ok()?;
        let (_head, ws) = ws_handshake(tls, &accept_any())?;
        Some(handler(ws))
    })
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

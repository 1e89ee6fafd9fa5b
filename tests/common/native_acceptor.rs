//! The test TLS servers' side of TLS where native-tls uses OpenSSL: native-tls's own acceptor.

use std::net::TcpStream;

use native_tls::{Identity, Protocol, TlsAcceptor};

use super::TlsFixture;

/// What a test TLS server reads and writes.
pub type ServerTls = native_tls::TlsStream<TcpStream>;

/// Makes a server's TLS sessions over `fixture`'s certificate.
pub struct ServerAcceptor(TlsAcceptor);

impl ServerAcceptor {
    /// Presents `fixture`; speaks at most TLS 1.2 if `tls12_at_most`.
    pub fn new(fixture: &TlsFixture, tls12_at_most: bool) -> ServerAcceptor {
        let identity =
            Identity::from_pkcs8(fixture.cert_pem.as_bytes(), fixture.key_pem.as_bytes())
                .expect("load test identity");
        let mut builder = TlsAcceptor::builder(identity);
        if tls12_at_most {
            builder.max_protocol_version(Some(Protocol::Tlsv12));
        }
        ServerAcceptor(builder.build().expect("build TLS acceptor"))
    }

    /// The server's side of a TLS handshake on `tcp`; `None` if it failed.
    pub fn accept(&self, tcp: TcpStream) -> Option<ServerTls> {
        self.0.accept(tcp).ok()
    }
}

//! The test TLS servers' side of TLS where native-tls does not use OpenSSL: rustls. Wine's
//! SChannel, which runs the Windows tests, has no server side (AcceptSecurityContext fails
//! with SEC_E_UNSUPPORTED_FUNCTION) and cannot import a PKCS#8 key; macOS's acceptor cannot
//! speak TLS 1.3. The client under test is still the platform's own (native-tls).

use std::net::TcpStream;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::version::{TLS12, TLS13};
use rustls::{ServerConfig, ServerConnection, StreamOwned, SupportedProtocolVersion};
use tungstenite::WebSocket;

use super::{accept_any, raw_server, ws_handshake, Server, TlsFixture};

/// What a test TLS server reads and writes.
pub type ServerTls = StreamOwned<ServerConnection, TcpStream>;

/// Makes a server's TLS sessions over `fixture`'s certificate.
pub struct ServerAcceptor(Arc<ServerConfig>);

impl ServerAcceptor {
    /// Presents `fixture`; speaks at most TLS 1.2 if `tls12_at_most`.
    pub fn new(fixture: &TlsFixture, tls12_at_most: bool) -> ServerAcceptor {
        let versions: &[&SupportedProtocolVersion] = if tls12_at_most {
            &[&TLS12]
        } else {
            &[&TLS13, &TLS12]
        };
        ServerAcceptor::with_versions(fixture, versions)
    }

    fn with_versions(
        fixture: &TlsFixture,
        versions: &[&'static SupportedProtocolVersion],
    ) -> ServerAcceptor {
        let key = PrivateKeyDer::from_pem_slice(fixture.key_pem.as_bytes()).expect("test key");
        // ring, the one provider enabled, is the default.
        let config = ServerConfig::builder_with_protocol_versions(versions)
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(fixture.cert_der.clone())], key)
            .expect("test identity");
        ServerAcceptor(Arc::new(config))
    }

    /// The server's side of a TLS handshake on `tcp`; `None` if it failed.
    pub fn accept(&self, tcp: TcpStream) -> Option<ServerTls> {
        let mut tls = StreamOwned::new(ServerConnection::new(Arc::clone(&self.0)).ok()?, tcp);
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock).ok()?;
        }
        Some(tls)
    }
}

/// A `wss` server that speaks TLS 1.3 only.
pub fn tls13_ws_server<T, F>(
    fixture: &TlsFixture,
    connections: usize,
    handler: F,
) -> Server<Option<T>>
where
    F: Fn(WebSocket<ServerTls>) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let acceptor = ServerAcceptor::with_versions(fixture, &[&TLS13]);
    raw_server(connections, move |stream| {
        let tls = acceptor.accept(stream)?;
        let (_head, ws) = ws_handshake(tls, &accept_any())?;
        Some(handler(ws))
    })
}

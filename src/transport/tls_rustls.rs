//! TLS through rustls (the `rustls` feature): the client configuration built from the
//! settings, the certificate verifier behind the `danger_*` options, the handshake, and the
//! stream.
//!
//! The stream is ours rather than `rustls::StreamOwned`: its `read` first flushes records
//! owed to the peer and fails with `WouldBlock` while the peer reads nothing, even with data
//! waiting to be read, which would spin a reader that waits for readability. Here a read only
//! reads, and only a write (or flush) waits for the peer to take what is owed.

use std::fmt;
use std::io::{self, Read, Write};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};

use crate::error::{Error, Result, Timeout};
use crate::settings::tls::TlsSettings;
use crate::settings::tls_rustls::crypto_provider;
use crate::tls_version::TlsVersion;
use crate::transport::classify;
use crate::transport::tls_failure::TlsProblem;

/// A TLS client connection over `S`.
#[derive(Debug)]
pub(crate) struct TlsStream<S> {
    connection: ClientConnection,
    socket: S,
}

impl<S> TlsStream<S> {
    pub(crate) fn get_ref(&self) -> &S {
        &self.socket
    }

    pub(crate) fn get_mut(&mut self) -> &mut S {
        &mut self.socket
    }
}

impl<S: Read + Write> TlsStream<S> {
    /// Sends the records rustls has ready (handshake, alerts, encrypted data) until none is
    /// left; `WouldBlock` when the socket takes no more.
    fn send_owed(&mut self) -> io::Result<()> {
        while self.connection.wants_write() {
            if self.connection.write_tls(&mut self.socket)? == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
        }
        Ok(())
    }
}

impl<S: Read + Write> Read for TlsStream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.connection.reader().read(buf) {
                Ok(n) => return Ok(n),
                // Nothing decrypted yet: read from the socket below.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The TCP connection ended without TLS's close_notify: an end of stream, as
                // on plain TCP (WebSocket frames carry their own lengths and closes).
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(e),
            }
            self.connection.read_tls(&mut self.socket)?;
            let processed = self.connection.process_new_packets();
            // An alert or an answer to a key update goes out if the socket takes it now;
            // otherwise with the next write.
            let _ = self.send_owed();
            if let Err(e) = processed {
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
    }
}

impl<S: Read + Write> Write for TlsStream<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // What earlier writes left in rustls's buffer goes first: while the peer takes none
        // of it, the writer waits (WouldBlock) instead of piling more up.
        self.send_owed()?;
        let n = self.connection.writer().write(buf)?;
        match self.send_owed() {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            // The bytes are taken; the next write or flush meets the same error.
            Err(_) if n > 0 => {}
            Err(e) => return Err(e),
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_owed()?;
        self.socket.flush()
    }
}

/// The handshake with `host:port` over `socket`, going on after socket timeouts while
/// `deadline` allows; `seen` tells, on failure, what the server's first bytes showed.
pub(crate) fn handshake<S: Read + Write>(
    socket: S,
    (host, port): (&str, u16),
    settings: &TlsSettings,
    deadline: Instant,
    seen: impl FnOnce() -> Option<TlsProblem>,
) -> Result<TlsStream<S>> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| Error::invalid(format!("{host:?} is not a name TLS accepts: {e}")))?;
    let connection =
        ClientConnection::new(Arc::new(config(settings)?), name).map_err(classify::tls_setup)?;
    let mut stream = TlsStream { connection, socket };
    while stream.connection.is_handshaking() || stream.connection.wants_write() {
        let step = if stream.connection.is_handshaking() {
            stream
                .connection
                .complete_io(&mut stream.socket)
                .map(|_| ())
        } else {
            stream.send_owed()
        };
        match step {
            Ok(()) => {}
            // A socket timeout: go on while the deadline allows.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if Instant::now() >= deadline {
                    return Err(Error::Timeout(Timeout::Tls));
                }
            }
            Err(e) => return Err(classify::tls_handshake(e, seen(), (host, port))),
        }
    }
    Ok(stream)
}

/// The client configuration for one connect call.
fn config(settings: &TlsSettings) -> Result<ClientConfig> {
    let provider = crypto_provider();
    // rustls speaks TLS 1.2 and 1.3 only: an older minimum changes nothing.
    let versions: &[&'static rustls::SupportedProtocolVersion] = match settings.min_version {
        Some(TlsVersion::Tls13) => &[&rustls::version::TLS13],
        _ => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(classify::tls_setup)?;

    let roots = trusted_roots(settings)?;
    let webpki = if roots.is_empty() {
        None
    } else {
        let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(classify::tls_setup)?;
        Some(verifier)
    };
    settings.warn_if_dangerous();
    let builder = match webpki {
        Some(webpki) if !settings.accept_invalid_certs && !settings.accept_invalid_hostnames => {
            builder.with_webpki_verifier(webpki)
        }
        None if !settings.accept_invalid_certs => {
            return Err(Error::Tls(crate::error::detail(
                "no trusted root certificates: the system's certificate store is empty or \
                 unreadable; add the server's CA with add_root_certificate, or build with \
                 the webpki-roots feature",
            )))
        }
        webpki => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Lenient {
                webpki,
                algorithms: provider.signature_verification_algorithms,
                accept_invalid_certs: settings.accept_invalid_certs,
                accept_invalid_hostnames: settings.accept_invalid_hostnames,
            })),
    };
    match &settings.identity {
        Some(identity) => builder
            .with_client_auth_cert(identity.inner.chain.clone(), identity.inner.key.clone_key())
            .map_err(classify::tls_setup),
        None => Ok(builder.with_no_client_auth()),
    }
}

/// The system's roots (and Mozilla's, with the `webpki-roots` feature), plus those the
/// settings add.
fn trusted_roots(settings: &TlsSettings) -> Result<Arc<RootCertStore>> {
    let system = system_roots();
    if settings.root_certificates.is_empty() {
        return Ok(system);
    }
    let mut roots = RootCertStore::clone(&system);
    for certificate in &settings.root_certificates {
        roots
            .add(certificate.inner.clone())
            .map_err(classify::tls_setup)?;
    }
    Ok(Arc::new(roots))
}

/// The roots every connection trusts, read once per process: the system's certificate store,
/// and Mozilla's roots with the `webpki-roots` feature.
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                log::debug!("reading the system's root certificates: {error}");
            }
            let (added, ignored) = roots.add_parsable_certificates(found.certs);
            log::debug!("{added} root certificates from the system ({ignored} unreadable)");
            #[cfg(feature = "webpki-roots")]
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            Arc::new(roots)
        })
        .clone()
}

/// The verifier of the `danger_*` options: without `accept_invalid_certs`, the usual
/// verification, with a certificate for another name accepted; with it, any certificate.
/// Either way, the server must prove it holds the certificate's key.
struct Lenient {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
    accept_invalid_certs: bool,
    accept_invalid_hostnames: bool,
}

impl fmt::Debug for Lenient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lenient")
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("accept_invalid_hostnames", &self.accept_invalid_hostnames)
            .finish_non_exhaustive()
    }
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = self.webpki.as_ref().filter(|_| !self.accept_invalid_certs) else {
            return Ok(ServerCertVerified::assertion());
        };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            // The chain was verified before the name.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if self.accept_invalid_hostnames => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

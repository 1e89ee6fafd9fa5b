//! TLS through native-tls (the `native-tls` feature): the connector built from the settings,
//! and its handshake.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Instant;

use crate::error::{Error, Result, Timeout};
use crate::settings::tls::TlsSettings;
use crate::tls_version::TlsVersion;
use crate::transport::classify;
use crate::transport::connector_cache::{self, ConnectorKey};
use crate::transport::tls_failure::TlsProblem;

pub(crate) use native_tls::TlsStream;

impl TlsVersion {
    /// The same version, as native-tls names it.
    fn protocol(self) -> native_tls::Protocol {
        match self {
            TlsVersion::Tls10 => native_tls::Protocol::Tlsv10,
            TlsVersion::Tls11 => native_tls::Protocol::Tlsv11,
            TlsVersion::Tls12 => native_tls::Protocol::Tlsv12,
            TlsVersion::Tls13 => native_tls::Protocol::Tlsv13,
        }
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
    let connector = connector(settings)?;
    let mut attempt = connector.connect(host, socket);
    loop {
        match attempt {
            Ok(stream) => return Ok(stream),
            // SChannel reports the armed socket timeout as a failure (WSAETIMEDOUT), where
            // OpenSSL says "would block": past the deadline, either is the TLS timeout.
            Err(native_tls::HandshakeError::Failure(_)) if Instant::now() >= deadline => {
                return Err(Error::Timeout(Timeout::Tls))
            }
            Err(native_tls::HandshakeError::Failure(e)) => {
                return Err(classify::tls_handshake(e, seen(), (host, port)))
            }
            // A socket timeout surfaces as WouldBlock: go on while the deadline allows.
            Err(native_tls::HandshakeError::WouldBlock(mid)) => {
                if Instant::now() >= deadline {
                    return Err(Error::Timeout(Timeout::Tls));
                }
                attempt = mid.handshake();
            }
        }
    }
}

/// The TLS connector for these settings: built once (building one loads the system's
/// certificate store, tens of milliseconds) and shared by every connect with equal settings,
/// from any thread.
pub(crate) fn connector(settings: &TlsSettings) -> Result<Arc<native_tls::TlsConnector>> {
    settings.warn_if_dangerous();
    connector_cache::get_or_build(ConnectorKey::of(settings), || build(settings))
}

fn build(settings: &TlsSettings) -> Result<native_tls::TlsConnector> {
    let mut builder = native_tls::TlsConnector::builder();
    for certificate in &settings.root_certificates {
        builder.add_root_certificate(certificate.inner.clone());
    }
    if let Some(identity) = &settings.identity {
        builder.identity(identity.inner.clone());
    }
    if let Some(version) = settings.min_version {
        builder.min_protocol_version(Some(version.protocol()));
    }
    builder.danger_accept_invalid_hostnames(settings.accept_invalid_hostnames);
    builder.danger_accept_invalid_certs(settings.accept_invalid_certs);
    builder.build().map_err(classify::tls_setup)
}

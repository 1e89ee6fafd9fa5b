//! TLS settings: trusted certificates, client identities, the oldest version accepted. The
//! connector is built from them by the transport (`transport::tls`).
//!
//! The public types hold what the TLS backend in use reads (`tls_native` or `tls_rustls`);
//! neither backend's types show in the API.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::Result;
#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
use crate::settings::tls_native as backend;
#[cfg(feature = "rustls")]
use crate::settings::tls_rustls as backend;
use crate::tls_version::TlsVersion;

/// An X.509 certificate to trust as a root, in addition to the system's roots.
///
/// Use it for servers whose certificate is self-signed or issued by a private authority, rather
/// than turning verification off.
///
/// # Examples
/// ```no_run
/// use named_websocket::{Certificate, ConnectOptions};
/// let pem = std::fs::read("my-ca.pem")?;
/// let options = ConnectOptions::new().add_root_certificate(Certificate::from_pem(&pem)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Certificate {
    pub(crate) inner: backend::Certificate,
    /// The bytes it was read from, and whether as PEM: what tells two certificates apart for
    /// the connector cache (certificates are public). Only the native-tls backend has one.
    #[cfg_attr(
        not(all(feature = "native-tls", not(feature = "rustls"))),
        allow(dead_code)
    )]
    pub(crate) source: (bool, Arc<[u8]>),
}

impl Certificate {
    /// Reads one certificate in PEM form (`-----BEGIN CERTIFICATE-----`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the bytes are not a PEM
    /// certificate.
    pub fn from_pem(pem: &[u8]) -> Result<Certificate> {
        backend::certificate_from_pem(pem).map(|inner| Certificate {
            inner,
            source: (true, pem.into()),
        })
    }

    /// Reads one certificate in DER (binary) form.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the bytes are not a DER
    /// certificate.
    pub fn from_der(der: &[u8]) -> Result<Certificate> {
        backend::certificate_from_der(der).map(|inner| Certificate {
            inner,
            source: (false, der.into()),
        })
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate").finish_non_exhaustive()
    }
}

/// A client certificate and its private key, presented when the server asks for one (mutual
/// TLS).
///
/// # Examples
/// ```no_run
/// use named_websocket::{ConnectOptions, Identity};
/// let cert = std::fs::read("client.crt")?;
/// let key = std::fs::read("client.key")?; // PKCS#8: -----BEGIN PRIVATE KEY-----
/// let options = ConnectOptions::new().identity(Identity::from_pem(&cert, &key)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Identity {
    pub(crate) inner: backend::Identity,
    /// Tells identities apart for the connector cache without keeping the private key's bytes:
    /// one number per identity read, shared by its clones. Only the native-tls backend has one.
    #[cfg_attr(
        not(all(feature = "native-tls", not(feature = "rustls"))),
        allow(dead_code)
    )]
    pub(crate) id: u64,
}

/// The number of the next identity read.
static NEXT_IDENTITY: AtomicU64 = AtomicU64::new(0);

impl Identity {
    fn new(inner: backend::Identity) -> Identity {
        Identity {
            inner,
            id: NEXT_IDENTITY.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl Identity {
    /// Reads a PKCS#12 archive (`.p12`, `.pfx`) holding the certificate chain and the key.
    ///
    /// With the `rustls` feature, PKCS#12 is not supported: this returns
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) saying so, and
    /// [`Identity::from_pem`] takes the same certificate and key in PEM form
    /// (`openssl pkcs12 -in client.p12 -nodes` prints them).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the archive cannot be
    /// read with this password, or with the `rustls` feature.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Identity> {
        backend::identity_from_pkcs12(der, password).map(Identity::new)
    }

    /// Reads a PEM certificate (or chain, leaf first) and its PEM PKCS#8 private key
    /// (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// On Windows, SChannel takes only RSA keys in this form: for an ECDSA key, use
    /// [`from_pkcs12`](Self::from_pkcs12) (a `.pfx`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when either is malformed, the
    /// key is not PKCS#8 (or, on Windows, not RSA), or, with OpenSSL (Linux) or rustls, the key
    /// does not belong to the certificate. SChannel (Windows) and Security Framework (macOS)
    /// find a key that does not belong only at the handshake, which then fails with
    /// [`Error::Tls`](crate::Error::Tls) or [`Error::Handshake`](crate::Error::Handshake).
    pub fn from_pem(certificate: &[u8], key: &[u8]) -> Result<Identity> {
        backend::identity_from_pem(certificate, key).map(Identity::new)
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity").finish_non_exhaustive()
    }
}

/// The TLS part of the connect options, as the setters of
/// [`ConnectOptions`](crate::ConnectOptions) fill it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsSettings {
    pub(crate) root_certificates: Vec<Certificate>,
    pub(crate) identity: Option<Identity>,
    pub(crate) min_version: Option<TlsVersion>,
    pub(crate) accept_invalid_certs: bool,
    pub(crate) accept_invalid_hostnames: bool,
}

impl TlsSettings {
    /// Logs a warning for each check turned off, on every connect that uses these settings
    /// (not only when a connector is built for them).
    pub(crate) fn warn_if_dangerous(&self) {
        if self.accept_invalid_hostnames {
            log::warn!(
                "TLS host name verification is OFF (danger_accept_invalid_hostnames): \
                 a certificate for another site is accepted"
            );
        }
        if self.accept_invalid_certs {
            log::warn!(
                "TLS certificate verification is OFF (danger_accept_invalid_certs): \
                 this connection can be intercepted"
            );
        }
    }
}

//! TLS settings: trusted certificates, client identities, the oldest version accepted, and the
//! connector built from them.

use std::fmt;

use crate::classify;
use crate::error::{Error, Result};

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
    inner: native_tls::Certificate,
}

impl Certificate {
    /// Reads one certificate in PEM form (`-----BEGIN CERTIFICATE-----`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the bytes are not a PEM certificate.
    pub fn from_pem(pem: &[u8]) -> Result<Certificate> {
        native_tls::Certificate::from_pem(pem)
            .map(|inner| Certificate { inner })
            .map_err(|e| Error::invalid(format!("not a PEM certificate: {e}")))
    }

    /// Reads one certificate in DER (binary) form.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the bytes are not a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Certificate> {
        native_tls::Certificate::from_der(der)
            .map(|inner| Certificate { inner })
            .map_err(|e| Error::invalid(format!("not a DER certificate: {e}")))
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
    inner: native_tls::Identity,
}

impl Identity {
    /// Reads a PKCS#12 archive (`.p12`, `.pfx`) holding the certificate chain and the key.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the archive cannot be read with this password.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Identity> {
        native_tls::Identity::from_pkcs12(der, password)
            .map(|inner| Identity { inner })
            .map_err(|e| Error::invalid(format!("not a readable PKCS#12 identity: {e}")))
    }

    /// Reads a PEM certificate (or chain, leaf first) and its PEM PKCS#8 private key
    /// (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when either is malformed, the key is not PKCS#8, or the key
    /// does not belong to the certificate.
    pub fn from_pem(certificate: &[u8], key: &[u8]) -> Result<Identity> {
        let inner = native_tls::Identity::from_pkcs8(certificate, key)
            .map_err(|e| Error::invalid(format!("not a PEM certificate and PKCS#8 key: {e}")))?;
        // Setting the identity up for TLS checks that the key belongs to the certificate: a
        // mismatch is reported here, not at the first connect.
        native_tls::TlsConnector::builder()
            .identity(inner.clone())
            .build()
            .map_err(|e| {
                Error::invalid(format!(
                    "the private key does not belong to the certificate: {e}"
                ))
            })?;
        Ok(Identity { inner })
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity").finish_non_exhaustive()
    }
}

/// A TLS protocol version, for [`ConnectOptions::min_tls_version`](crate::ConnectOptions::min_tls_version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    fn protocol(self) -> native_tls::Protocol {
        match self {
            TlsVersion::Tls12 => native_tls::Protocol::Tlsv12,
            TlsVersion::Tls13 => native_tls::Protocol::Tlsv13,
        }
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
    /// Builds the TLS connector for one connect call.
    pub(crate) fn connector(&self) -> Result<native_tls::TlsConnector> {
        let mut builder = native_tls::TlsConnector::builder();
        for certificate in &self.root_certificates {
            builder.add_root_certificate(certificate.inner.clone());
        }
        if let Some(identity) = &self.identity {
            builder.identity(identity.inner.clone());
        }
        if let Some(version) = self.min_version {
            builder.min_protocol_version(Some(version.protocol()));
        }
        if self.accept_invalid_hostnames {
            log::warn!(
                "TLS host name verification is OFF (danger_accept_invalid_hostnames): \
                 a certificate for another site is accepted"
            );
            builder.danger_accept_invalid_hostnames(true);
        }
        if self.accept_invalid_certs {
            log::warn!(
                "TLS certificate verification is OFF (danger_accept_invalid_certs): \
                 this connection can be intercepted"
            );
            builder.danger_accept_invalid_certs(true);
        }
        builder.build().map_err(classify::tls_setup)
    }
}

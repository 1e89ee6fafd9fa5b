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

/// A TLS protocol version: the oldest one accepted, for
/// [`ConnectOptions::min_tls_version`](crate::ConnectOptions::min_tls_version), and the one in
/// use, in [`ConnectionInfo::tls_version`](crate::ConnectionInfo::tls_version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.0 (obsolete; reported, never needed as a minimum).
    Tls10,
    /// TLS 1.1 (obsolete; reported, never needed as a minimum).
    Tls11,
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    fn protocol(self) -> native_tls::Protocol {
        match self {
            TlsVersion::Tls10 => native_tls::Protocol::Tlsv10,
            TlsVersion::Tls11 => native_tls::Protocol::Tlsv11,
            TlsVersion::Tls12 => native_tls::Protocol::Tlsv12,
            TlsVersion::Tls13 => native_tls::Protocol::Tlsv13,
        }
    }
}

/// The TLS version a server chose, read from its hello (the first record it sends): the
/// `supported_versions` extension for TLS 1.3, the hello's version field otherwise. `None`
/// when the bytes are not a server hello.
pub(crate) fn server_hello_version(bytes: &[u8]) -> Option<TlsVersion> {
    let version = |major: u8, minor: u8| match (major, minor) {
        (3, 1) => Some(TlsVersion::Tls10),
        (3, 2) => Some(TlsVersion::Tls11),
        (3, 3) => Some(TlsVersion::Tls12),
        (3, 4) => Some(TlsVersion::Tls13),
        _ => None,
    };
    // Record: type 22 (handshake), version, length; then handshake type 2 (server hello) and
    // a 3-byte length.
    let record = bytes.get(5..)?;
    if bytes[0] != 22 || *record.first()? != 2 {
        return None;
    }
    let hello = record.get(4..)?;
    let legacy = version(*hello.first()?, *hello.get(1)?);
    // Version (2), random (32), session id (1 + n), cipher suite (2), compression (1).
    let session_id = usize::from(*hello.get(34)?);
    let mut at = 35 + session_id + 3;
    let Some(extensions_length) = hello.get(at..at + 2) else {
        return legacy;
    };
    let end = (at
        + 2
        + usize::from(u16::from_be_bytes([
            extensions_length[0],
            extensions_length[1],
        ])))
    .min(hello.len());
    at += 2;
    while at + 4 <= end {
        let kind = u16::from_be_bytes([hello[at], hello[at + 1]]);
        let length = usize::from(u16::from_be_bytes([hello[at + 2], hello[at + 3]]));
        let data = hello.get(at + 4..at + 4 + length)?;
        if kind == 43 && length == 2 {
            // supported_versions, as a server sends it: the one version it chose.
            return version(data[0], data[1]);
        }
        at += 4 + length;
    }
    legacy
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A server hello record with `legacy` as its version and, if given, a
    /// supported_versions extension choosing `chosen`.
    fn hello(legacy: [u8; 2], chosen: Option<[u8; 2]>) -> Vec<u8> {
        let mut body = legacy.to_vec();
        body.extend_from_slice(&[7; 32]); // random
        body.push(0); // no session id
        body.extend_from_slice(&[0x13, 0x01, 0]); // cipher suite, compression
        let mut extensions = vec![0, 23, 0, 0]; // an empty extension first
        if let Some(version) = chosen {
            extensions.extend_from_slice(&[0, 43, 0, 2, version[0], version[1]]);
        }
        body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
        body.extend_from_slice(&extensions);
        let mut handshake = vec![2, 0, 0, body.len() as u8];
        handshake.extend_from_slice(&body);
        let mut record = vec![22, 3, 3, 0, handshake.len() as u8];
        record.extend_from_slice(&handshake);
        record
    }

    #[test]
    fn the_version_comes_from_the_server_hello() {
        assert_eq!(
            server_hello_version(&hello([3, 3], Some([3, 4]))),
            Some(TlsVersion::Tls13)
        );
        assert_eq!(
            server_hello_version(&hello([3, 3], None)),
            Some(TlsVersion::Tls12)
        );
        assert_eq!(server_hello_version(b"HTTP/1.1 400 Bad Request"), None);
        assert_eq!(server_hello_version(&[]), None);
        let cut = hello([3, 3], Some([3, 4]));
        assert_eq!(server_hello_version(&cut[..20]), None);
    }
}

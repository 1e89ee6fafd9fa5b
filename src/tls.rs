//! TLS settings: trusted certificates and the connector built from the options.

use std::fmt;

use crate::error::{Error, Result};
use crate::options::ConnectOptions;

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

/// Builds the TLS connector for one connect call.
pub(crate) fn connector(options: &ConnectOptions) -> Result<native_tls::TlsConnector> {
    let mut builder = native_tls::TlsConnector::builder();
    for certificate in &options.root_certificates {
        builder.add_root_certificate(certificate.inner.clone());
    }
    if options.danger_accept_invalid_certs {
        log::warn!(
            "TLS certificate verification is OFF (danger_accept_invalid_certs): \
             this connection can be intercepted"
        );
        builder.danger_accept_invalid_certs(true);
    }
    builder
        .build()
        .map_err(|e| Error::Tls(format!("could not set up TLS: {e}").into()))
}

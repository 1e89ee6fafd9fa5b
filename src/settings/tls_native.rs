//! Certificates and identities as native-tls reads them (the `native-tls` feature).

use crate::error::{Error, Result};

pub(crate) type Certificate = native_tls::Certificate;
pub(crate) type Identity = native_tls::Identity;

pub(crate) fn certificate_from_pem(pem: &[u8]) -> Result<Certificate> {
    native_tls::Certificate::from_pem(pem)
        .map_err(|e| Error::invalid(format!("not a PEM certificate: {e}")))
}

pub(crate) fn certificate_from_der(der: &[u8]) -> Result<Certificate> {
    native_tls::Certificate::from_der(der)
        .map_err(|e| Error::invalid(format!("not a DER certificate: {e}")))
}

pub(crate) fn identity_from_pkcs12(der: &[u8], password: &str) -> Result<Identity> {
    native_tls::Identity::from_pkcs12(der, password)
        .map_err(|e| Error::invalid(format!("not a readable PKCS#12 identity: {e}")))
}

pub(crate) fn identity_from_pem(certificate: &[u8], key: &[u8]) -> Result<Identity> {
    let identity = native_tls::Identity::from_pkcs8(certificate, key)
        .map_err(|e| Error::invalid(format!("not a PEM certificate and PKCS#8 key: {e}")))?;
    // Setting the identity up for TLS checks that the key belongs to the certificate: a
    // mismatch is reported here, not at the first connect.
    native_tls::TlsConnector::builder()
        .identity(identity.clone())
        .build()
        .map_err(|e| {
            Error::invalid(format!(
                "the private key does not belong to the certificate: {e}"
            ))
        })?;
    Ok(identity)
}

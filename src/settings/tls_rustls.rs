//! Certificates and identities as rustls reads them (the `rustls` feature), and the
//! cryptography rustls uses (ring).

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;
use rustls::{InconsistentKeys, RootCertStore};

use crate::error::{Error, Result};

pub(crate) type Certificate = CertificateDer<'static>;

/// A certificate chain, leaf first, and its private key. No `Debug`: nothing prints a key.
#[derive(Clone)]
pub(crate) struct Identity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    /// Shared: the key itself is not `Clone`, and a copy of a secret is one more to wipe.
    pub(crate) key: Arc<PrivateKeyDer<'static>>,
}

/// The cryptography of every rustls connection: ring's, made once.
///
/// rustls 0.23.48 deprecates its ring provider for lacking post-quantum key exchange, in
/// favour of aws-lc-rs; aws-lc-rs builds a large C library (and more for musl and
/// cross-compiles), which is what the `rustls` feature is chosen to avoid.
#[allow(deprecated, reason = "ring: see above")]
pub(crate) fn crypto_provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

pub(crate) fn certificate_from_pem(pem: &[u8]) -> Result<Certificate> {
    let der = CertificateDer::from_pem_slice(pem)
        .map_err(|e| Error::invalid(format!("not a PEM certificate: {e}")))?;
    usable_as_root(der, "PEM")
}

pub(crate) fn certificate_from_der(der: &[u8]) -> Result<Certificate> {
    usable_as_root(CertificateDer::from(der.to_vec()), "DER")
}

/// Reads the certificate as a root would be read at connect time, so that a malformed one is
/// refused here rather than at the first connect.
fn usable_as_root(der: Certificate, form: &str) -> Result<Certificate> {
    RootCertStore::empty()
        .add(der.clone())
        .map_err(|_| Error::invalid(format!("not a {form} certificate: it is not valid X.509")))?;
    Ok(der)
}

pub(crate) fn identity_from_pkcs12(_der: &[u8], _password: &str) -> Result<Identity> {
    Err(Error::invalid(
        "PKCS#12 identities are not supported with the rustls TLS backend: give the \
         certificate and its key in PEM form (Identity::from_pem), or build with the \
         native-tls feature",
    ))
}

pub(crate) fn identity_from_pem(certificate: &[u8], key: &[u8]) -> Result<Identity> {
    let malformed = |e: &dyn std::fmt::Display| {
        Error::invalid(format!("not a PEM certificate and PKCS#8 key: {e}"))
    };
    let chain = CertificateDer::pem_slice_iter(certificate)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| malformed(&e))?;
    if chain.is_empty() {
        return Err(malformed(&"no certificate in the PEM text"));
    }
    let key =
        PrivateKeyDer::from(PrivatePkcs8KeyDer::from_pem_slice(key).map_err(|e| malformed(&e))?);
    // Loading the key for signing checks that it belongs to the certificate: a mismatch is
    // reported here, not at the first connect.
    match CertifiedKey::from_der(chain.clone(), key.clone_key(), &crypto_provider()) {
        Ok(_) => {}
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            return Err(Error::invalid(
                "the private key does not belong to the certificate",
            ))
        }
        Err(e) => return Err(malformed(&e)),
    }
    Ok(Identity {
        chain,
        key: Arc::new(key),
    })
}

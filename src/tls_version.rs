//! The TLS protocol versions, as a setting (the oldest accepted) and as a report (the one in
//! use).

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

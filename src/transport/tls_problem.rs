//! The TLS failures the library names in its own words, whichever backend reported them.

use crate::tls_version::TlsVersion;

/// A TLS failure, named after what the user can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
// Security Framework's errors are not read yet (docs/platforms.md): on Apple platforms with
// native-tls, only the portable observations are made.
#[cfg_attr(target_vendor = "apple", allow(dead_code))]
pub(crate) enum TlsProblem {
    /// The server did not answer in TLS (a `ws://` server behind a `wss://` URL).
    NotTls,
    /// The server speaks only versions older than `minimum`.
    VersionTooOld { minimum: TlsVersion },
    /// The certificate chain does not lead to a trusted authority (self-signed, private CA).
    Untrusted,
    /// The certificate does not name the host connected to.
    WrongHost,
    /// The certificate expired, or is not valid yet.
    Expired,
    /// The server wants a client certificate and got none it accepts. Only OpenSSL's errors
    /// say so: SChannel and Security Framework report the server's alert in general terms.
    #[cfg_attr(any(target_os = "windows", target_vendor = "apple"), allow(dead_code))]
    ClientCertificate,
}

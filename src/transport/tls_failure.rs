//! Why a TLS handshake failed, in words a user acts on.
//!
//! What the handshake showed on the wire is read portably: the server's first record (an
//! alert, a hello with a version below our minimum, or not TLS at all). What only the TLS
//! library knows (a certificate it would not trust) is read from its error by one function
//! per backend, under `cfg`; the rest of the crate sees only [`TlsProblem`].

use std::error::Error as StdError;
use std::fmt;

use crate::settings::target::authority;
use crate::tls_version::TlsVersion;
pub(crate) use crate::transport::tls_problem::TlsProblem;

/// What the server's first bytes show about a failed handshake: `chosen` is the version its
/// hello chose (if they hold one), `minimum` the oldest version we offered.
pub(crate) fn observed(
    first_bytes: &[u8],
    chosen: Option<TlsVersion>,
    minimum: Option<TlsVersion>,
) -> Option<TlsProblem> {
    const ALERT: u8 = 21;
    const HANDSHAKE: u8 = 22;
    const PROTOCOL_VERSION: u8 = 70;
    let record_type = *first_bytes.first()?;
    if !(20..=23).contains(&record_type) {
        return Some(TlsProblem::NotTls);
    }
    let minimum = minimum?;
    let too_old = match record_type {
        // Record header (5 bytes), then the alert's level and description.
        ALERT => first_bytes.get(6) == Some(&PROTOCOL_VERSION),
        HANDSHAKE => chosen.is_some_and(|chosen| rank(chosen) < rank(minimum)),
        _ => false,
    };
    too_old.then_some(TlsProblem::VersionTooOld { minimum })
}

/// Reads the backend's error where the wire showed nothing (OpenSSL: Linux, BSDs). Its
/// messages are matched here and nowhere else.
#[cfg(all(
    feature = "native-tls",
    not(feature = "rustls"),
    not(any(target_os = "windows", target_vendor = "apple"))
))]
pub(crate) fn from_backend(error: &native_tls::Error) -> Option<TlsProblem> {
    let text = error.to_string().to_ascii_lowercase();
    let has = |signs: &[&str]| signs.iter().any(|sign| text.contains(sign));
    if has(&["hostname mismatch", "ip address mismatch"]) {
        Some(TlsProblem::WrongHost)
    } else if has(&["certificate has expired", "certificate is not yet valid"]) {
        Some(TlsProblem::Expired)
    } else if has(&[
        "unable to get local issuer certificate",
        "self-signed certificate",
        "self signed certificate",
        "unable to get issuer certificate",
        "unable to verify the first certificate",
    ]) {
        Some(TlsProblem::Untrusted)
    } else if has(&["certificate required", "alert handshake failure"]) && has(&["alert"]) {
        Some(TlsProblem::ClientCertificate)
    } else if has(&[
        "wrong version number",
        "unexpected eof",
        "packet length too long",
        "record layer failure",
        "http request",
    ]) {
        Some(TlsProblem::NotTls)
    } else {
        None
    }
}

/// Reads the backend's error where the wire showed nothing (SChannel: Windows), from its code;
/// a hang-up before any byte is schannel's "unexpected EOF during handshake".
#[cfg(all(feature = "native-tls", not(feature = "rustls"), target_os = "windows"))]
pub(crate) fn from_backend(error: &native_tls::Error) -> Option<TlsProblem> {
    let text = error.to_string();
    if text.contains("unexpected EOF") {
        return Some(TlsProblem::NotTls);
    }
    crate::transport::schannel_codes::problem(&text)
}

/// Reads the backend's error where the wire showed nothing (Apple: not mapped yet).
#[cfg(all(
    feature = "native-tls",
    not(feature = "rustls"),
    target_vendor = "apple"
))]
pub(crate) fn from_backend(_error: &native_tls::Error) -> Option<TlsProblem> {
    None
}

/// Reads rustls's error (inside the I/O error its handshake returns) where the wire showed
/// nothing: its errors are values, the same on every platform.
#[cfg(feature = "rustls")]
pub(crate) fn from_backend(error: &std::io::Error) -> Option<TlsProblem> {
    use rustls::{AlertDescription, CertificateError};
    if error.kind() == std::io::ErrorKind::UnexpectedEof {
        // The server hung up on our hello: a plain server that read it as a bad request.
        return Some(TlsProblem::NotTls);
    }
    match error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidMessage(_) => Some(TlsProblem::NotTls),
        rustls::Error::InvalidCertificate(problem) => match problem {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                Some(TlsProblem::Untrusted)
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                Some(TlsProblem::WrongHost)
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => Some(TlsProblem::Expired),
            _ => None,
        },
        rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired | AlertDescription::HandshakeFailure,
        ) => Some(TlsProblem::ClientCertificate),
        _ => None,
    }
}

/// The sentence for `problem` when connecting to `host`.
pub(crate) fn sentence(problem: TlsProblem, host: &str, port: u16) -> String {
    match problem {
        TlsProblem::NotTls => format!(
            "the server at {} did not answer in TLS; is it a ws:// server? \
             (use a ws:// URL, or the port where it serves wss://)",
            authority(host, port)
        ),
        TlsProblem::VersionTooOld { minimum } => match older(minimum) {
            Some(at_most) => format!(
                "the server offers {} at most, and the minimum asked is {}: lower \
                 ConnectOptions::min_tls_version, or enable {} on the server",
                name(at_most),
                name(minimum),
                name(minimum)
            ),
            None => format!(
                "the server does not offer {}, the minimum asked",
                name(minimum)
            ),
        },
        TlsProblem::Untrusted => "the server's certificate is not signed by a trusted \
             authority: add its CA with ConnectOptions::add_root_certificate (self-signed: add \
             the certificate itself)"
            .to_owned(),
        TlsProblem::WrongHost => format!(
            "the server's certificate is not valid for {host:?}: connect with a name the \
             certificate lists, or have the server present a certificate for {host:?}"
        ),
        TlsProblem::Expired => "the server's certificate has expired or is not valid yet: \
             the server must renew it (or this machine's clock is wrong)"
            .to_owned(),
        TlsProblem::ClientCertificate => "the server asks for a client certificate and \
             accepted none: give one with ConnectOptions::identity"
            .to_owned(),
    }
}

/// The TLS library's error, printed once: its own `source()` chain repeats its text, so it
/// stops here.
pub(crate) struct BackendError(pub(crate) Box<dyn StdError + Send + Sync>);

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl StdError for BackendError {}

fn rank(version: TlsVersion) -> u8 {
    match version {
        TlsVersion::Tls10 => 0,
        TlsVersion::Tls11 => 1,
        TlsVersion::Tls12 => 2,
        TlsVersion::Tls13 => 3,
    }
}

fn older(version: TlsVersion) -> Option<TlsVersion> {
    match version {
        TlsVersion::Tls10 => None,
        TlsVersion::Tls11 => Some(TlsVersion::Tls10),
        TlsVersion::Tls12 => Some(TlsVersion::Tls11),
        TlsVersion::Tls13 => Some(TlsVersion::Tls12),
    }
}

fn name(version: TlsVersion) -> &'static str {
    match version {
        TlsVersion::Tls10 => "TLS 1.0",
        TlsVersion::Tls11 => "TLS 1.1",
        TlsVersion::Tls12 => "TLS 1.2",
        TlsVersion::Tls13 => "TLS 1.3",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_protocol_version_alert_means_the_server_is_older_than_the_minimum() {
        let alert = [21, 3, 3, 0, 2, 2, 70];
        assert_eq!(
            observed(&alert, None, Some(TlsVersion::Tls13)),
            Some(TlsProblem::VersionTooOld {
                minimum: TlsVersion::Tls13
            })
        );
        assert_eq!(observed(&alert, None, None), None, "no minimum asked");
        let other_alert = [21, 3, 3, 0, 2, 2, 40];
        assert_eq!(observed(&other_alert, None, Some(TlsVersion::Tls13)), None);
        let hello = [22, 3, 3, 0, 40, 2];
        assert_eq!(
            observed(&hello, Some(TlsVersion::Tls12), Some(TlsVersion::Tls13)),
            Some(TlsProblem::VersionTooOld {
                minimum: TlsVersion::Tls13
            }),
            "a hello below the minimum"
        );
        assert_eq!(
            observed(&hello, Some(TlsVersion::Tls13), Some(TlsVersion::Tls13)),
            None
        );
    }

    #[test]
    fn plain_text_is_not_tls() {
        assert_eq!(
            observed(b"HTTP/1.1 400 Bad Request\r\n", None, None),
            Some(TlsProblem::NotTls)
        );
        assert_eq!(observed(b"", None, None), None);
    }

    #[test]
    fn the_version_sentence_names_both_versions() {
        let text = sentence(
            TlsProblem::VersionTooOld {
                minimum: TlsVersion::Tls13,
            },
            "localhost",
            443,
        );
        assert!(
            text.starts_with("the server offers TLS 1.2 at most, and the minimum asked is TLS 1.3"),
            "{text}"
        );
    }
}

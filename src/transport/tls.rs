//! TLS on the wire: the handshake, with the backend the features chose (`tls_native` or
//! `tls_rustls`), and the version a server chose.

use std::time::Instant;

use crate::error::Result;
use crate::settings::tls::TlsSettings;
use crate::tls_version::TlsVersion;
use crate::transport::burst::BurstReader;
use crate::transport::shared_tcp::SharedTcp;
use crate::transport::tls_failure;
#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
use crate::transport::tls_native as backend;
#[cfg(feature = "rustls")]
use crate::transport::tls_rustls as backend;

/// A TLS connection over the shared TCP socket, read in bursts.
pub(crate) type TlsStream = backend::TlsStream<BurstReader<SharedTcp>>;

/// The TLS handshake with `host:port`, bounded by `deadline` (the socket arms what is left of
/// it before each read and write); returns the stream and the TLS version the server chose,
/// when its hello could be read for it.
pub(crate) fn handshake(
    mut tcp: SharedTcp,
    (host, port): (&str, u16),
    settings: &TlsSettings,
    deadline: Instant,
) -> Result<(TlsStream, Option<TlsVersion>)> {
    let first_bytes = tcp.keep_first_bytes();
    // What the server's first bytes show, for the error of a failed handshake.
    let seen = || {
        let first_bytes = std::mem::take(&mut *first_bytes.lock());
        let chosen = server_hello_version(&first_bytes);
        tls_failure::observed(&first_bytes, chosen, settings.min_version)
    };
    let mut stream = backend::handshake(
        BurstReader::new(tcp),
        (host, port),
        settings,
        deadline,
        seen,
    )?;
    stream.get_mut().get_mut().stop_keeping_first_bytes();
    let version = server_hello_version(&first_bytes.lock());
    Ok((stream, version))
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

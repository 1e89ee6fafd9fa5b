//! The native-tls connectors of the process, one per distinct TLS settings, shared by every
//! connect (and reconnect) that uses those settings, from any thread.
//!
//! Building a connector loads the system's certificate store, which takes tens of
//! milliseconds (docs/performance.md): more than the rest of a loopback `wss` connect. A
//! connector holds no connection state, so one can serve any number of handshakes at once.
//!
//! The cache keeps the [`CAPACITY`] settings used most recently. A connector keeps the system
//! store as it was when it was built: a certificate added to the store later is trusted from
//! the next process on (or once the settings have left the cache).

use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::Result;
use crate::settings::tls::TlsSettings;
use crate::tls_version::TlsVersion;

/// How many distinct TLS settings keep their connector. An application uses one or a few; one
/// that makes new identities all the time evicts the oldest instead of growing the cache.
pub(crate) const CAPACITY: usize = 8;

/// What tells two TLS settings apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectorKey {
    /// The bytes the added roots were read from (and whether as PEM), in order.
    pub(crate) roots: Vec<(bool, Arc<[u8]>)>,
    /// The client identity's number (one per identity read; clones share it).
    pub(crate) identity: Option<u64>,
    pub(crate) min_version: Option<TlsVersion>,
    pub(crate) accept_invalid_certs: bool,
    pub(crate) accept_invalid_hostnames: bool,
}

impl ConnectorKey {
    pub(crate) fn of(settings: &TlsSettings) -> ConnectorKey {
        ConnectorKey {
            roots: settings
                .root_certificates
                .iter()
                .map(|certificate| (certificate.source.0, Arc::clone(&certificate.source.1)))
                .collect(),
            identity: settings.identity.as_ref().map(|identity| identity.id),
            min_version: settings.min_version,
            accept_invalid_certs: settings.accept_invalid_certs,
            accept_invalid_hostnames: settings.accept_invalid_hostnames,
        }
    }
}

/// The connectors, the one used most recently last.
static CONNECTORS: Mutex<Vec<(ConnectorKey, Arc<native_tls::TlsConnector>)>> =
    Mutex::new(Vec::new());

/// The connector for `key`, built with `build` if the cache has none. The lock is not held
/// while a connector is built, so connects with other settings do not wait for it; two
/// threads that build the same one at once keep the first.
pub(crate) fn get_or_build(
    key: ConnectorKey,
    build: impl FnOnce() -> Result<native_tls::TlsConnector>,
) -> Result<Arc<native_tls::TlsConnector>> {
    if let Some(connector) = lookup(&key) {
        return Ok(connector);
    }
    let built = Arc::new(build()?);
    let mut connectors = CONNECTORS.lock();
    if let Some(at) = connectors.iter().position(|(k, _)| *k == key) {
        return Ok(Arc::clone(&connectors[at].1));
    }
    if connectors.len() >= CAPACITY {
        connectors.remove(0);
    }
    connectors.push((key, Arc::clone(&built)));
    Ok(built)
}

fn lookup(key: &ConnectorKey) -> Option<Arc<native_tls::TlsConnector>> {
    let mut connectors = CONNECTORS.lock();
    let at = connectors.iter().position(|(k, _)| k == key)?;
    let entry = connectors.remove(at);
    let connector = Arc::clone(&entry.1);
    connectors.push(entry);
    Some(connector)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tls::Certificate;

    /// The connector a connect with `settings` uses.
    fn connector_for(settings: &TlsSettings) -> Arc<native_tls::TlsConnector> {
        crate::transport::tls_native::connector(settings).unwrap()
    }

    /// The DER bytes of a new self-signed certificate.
    fn self_signed() -> Vec<u8> {
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        generated.cert.der().to_vec()
    }

    fn with_root(der: &[u8]) -> TlsSettings {
        TlsSettings {
            root_certificates: vec![Certificate::from_der(der).unwrap()],
            ..TlsSettings::default()
        }
    }

    /// The cache is the process's: these tests take turns, so that one cannot evict another's
    /// entry between two of its connects.
    static TURN: Mutex<()> = Mutex::new(());

    #[test]
    fn equal_settings_share_one_connector_across_threads() {
        let _turn = TURN.lock();
        let der = self_signed();
        let first = connector_for(&with_root(&der));
        let others: Vec<_> = (0..4)
            .map(|_| {
                let der = der.clone();
                std::thread::spawn(move || connector_for(&with_root(&der)))
            })
            .map(|thread| thread.join().unwrap())
            .collect();
        for other in &others {
            assert!(Arc::ptr_eq(&first, other), "a second connector was built");
        }
    }

    #[test]
    fn different_settings_get_their_own_connector() {
        let _turn = TURN.lock();
        let der = self_signed();
        let plain = connector_for(&with_root(&der));
        let mut lenient = with_root(&der);
        lenient.accept_invalid_hostnames = true;
        let lenient = connector_for(&lenient);
        let mut newer = with_root(&der);
        newer.min_version = Some(TlsVersion::Tls13);
        let newer = connector_for(&newer);
        let other_root = connector_for(&with_root(&self_signed()));
        assert!(!Arc::ptr_eq(&plain, &lenient));
        assert!(!Arc::ptr_eq(&plain, &newer));
        assert!(!Arc::ptr_eq(&plain, &other_root));
    }

    #[test]
    fn the_cache_is_bounded() {
        let _turn = TURN.lock();
        for _ in 0..CAPACITY + 4 {
            connector_for(&with_root(&self_signed()));
            assert!(CONNECTORS.lock().len() <= CAPACITY);
        }
    }
}

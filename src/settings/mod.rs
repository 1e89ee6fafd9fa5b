//! Settings: what the application asks for, checked before anything touches the network.
//!
//! `ConnectOptions` with its validation, the compression offer, the reconnect policy, the TLS
//! and proxy settings, and the target (a URL, or WLanguage's host, port and path). Plain data
//! and pure checks: nothing here opens a socket, starts a thread or takes a lock.
//!
//! May depend on: the shared types at the top of `src/` only.

pub(crate) mod compression;
pub(crate) mod http_token;
pub(crate) mod options;
pub(crate) mod proxy;
pub(crate) mod reconnect;
pub(crate) mod target;
pub(crate) mod tls;
#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
pub(crate) mod tls_native;
#[cfg(feature = "rustls")]
pub(crate) mod tls_rustls;

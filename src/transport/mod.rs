//! Transport: opening a connection and carrying its bytes.
//!
//! One connect under one deadline (access policy, DNS, TCP, proxy tunnel, TLS, the HTTP
//! upgrade, redirects), the byte stream under the engine (plain or TLS, read in bursts, waited
//! on with poll(2)), and the one place where errors of the operating system, TLS and the
//! engine become ours (`classify`).
//!
//! May depend on: `deflate`, `settings` and the shared types; never on the sockets above it.

pub(crate) mod access;
pub(crate) mod burst;
pub(crate) mod cancel;
pub(crate) mod classify;
pub(crate) mod connect;
#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
pub(crate) mod connector_cache;
pub(crate) mod dns;
pub(crate) mod retry_after;
#[cfg(any(windows, test))]
pub(crate) mod schannel_codes;
pub(crate) mod shared_tcp;
pub(crate) mod stream;
pub(crate) mod tls;
pub(crate) mod tls_failure;
#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
pub(crate) mod tls_native;
pub(crate) mod tls_problem;
#[cfg(feature = "rustls")]
pub(crate) mod tls_rustls;
pub(crate) mod tunnel;

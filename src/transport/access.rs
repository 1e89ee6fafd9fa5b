//! The access policy: an application-wide hook that may refuse a connection before any traffic,
//! after Resonite's `AccessReason` and the user who must approve it.

use std::sync::Arc;

use parking_lot::RwLock;

use crate::error::{Error, Result};
use crate::user_code::run_hook;

/// What the access policy is asked about: where a connection goes, and why.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    url: &'a str,
    reason: Option<&'a str>,
}

impl<'a> AccessRequest<'a> {
    /// The `ws://` or `wss://` URL about to be opened (each redirect is asked about too).
    pub fn url(&self) -> &'a str {
        self.url
    }

    /// The reason given with [`ConnectOptions::access_reason`](crate::ConnectOptions::access_reason),
    /// if any.
    pub fn reason(&self) -> Option<&'a str> {
        self.reason
    }
}

type Policy = Arc<dyn Fn(&AccessRequest<'_>) -> std::result::Result<(), String> + Send + Sync>;
static POLICY: RwLock<Option<Policy>> = RwLock::new(None);

/// Installs the process-wide access policy, asked before every connection (and every redirect)
/// with its URL and reason. `Err(why)` refuses it: the connect fails with
/// [`Error::AccessDenied`] and nothing is sent on the network. Replaces any previous policy.
///
/// The policy runs on the thread that connects: the caller's for a blocking connect; a
/// connecting thread of the library's (`named-websocket-connect`) for an asynchronous socket
/// and for every reconnect (the socket's worker, should that thread fail to start). It may
/// block, for example to ask a person: the connect timeout starts once it has allowed the
/// first URL (redirects are asked within it). Without a policy, every connection is allowed. A policy that panics refuses the
/// connection ([`Error::AccessDenied`]); the panic is caught and logged.
///
/// # Examples
/// ```
/// use named_websocket::{set_access_policy, clear_access_policy};
///
/// set_access_policy(|request| {
///     if request.url().starts_with("wss://") {
///         Ok(())
///     } else {
///         Err(format!("plain ws:// refused ({:?})", request.reason()))
///     }
/// });
/// # clear_access_policy();
/// ```
pub fn set_access_policy(
    policy: impl Fn(&AccessRequest<'_>) -> std::result::Result<(), String> + Send + Sync + 'static,
) {
    *POLICY.write() = Some(Arc::new(policy));
}

/// Removes the access policy: every connection is allowed again.
///
/// # Examples
/// ```
/// named_websocket::set_access_policy(|_| Err("offline mode".into()));
/// // ... later, back online:
/// named_websocket::clear_access_policy();
/// ```
pub fn clear_access_policy() {
    *POLICY.write() = None;
}

/// Asks the policy, if there is one, about `url`.
pub(crate) fn check(url: &str, reason: Option<&str>) -> Result<()> {
    // Cloned out of the lock: the policy may take its time, or install another policy.
    let policy = POLICY.read().clone();
    let Some(policy) = policy else {
        return Ok(());
    };
    let answer = run_hook("the access policy", || {
        policy(&AccessRequest { url, reason })
    })
    .unwrap_or_else(|| Err("the access policy panicked".to_owned()));
    answer.map_err(|why| {
        log::debug!("access to {url} refused: {why}");
        Error::AccessDenied(format!("access to {url} refused: {why}").into())
    })
}

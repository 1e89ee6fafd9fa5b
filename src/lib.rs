//! A blocking WebSocket client whose sockets are addressed by name, modeled on the WLanguage
//! (WINDEV) socket functions.
//!
//! Scripts, callback-driven desktop programs and code ported from WINDEV open a connection under
//! a name, then write, read and close it by that name from any thread:
//!
//! | WLanguage | named-websocket |
//! |---|---|
//! | `WebSocketClientConnect(name, host, port, path, protocols)` | [`websocket_client_connect`] |
//! | `WebSocketClientConnectSSL(...)` | [`websocket_client_connect_ssl`] |
//! | `WebSocketClientConnect(name, procedure, host, ...)` | [`websocket_client_connect_async`], pumped by [`dispatch_until`] and friends |
//! | `SocketWrite(name, message)` | [`socket_write`] |
//! | `SocketRead(name, wait, timeout)` | [`socket_read`], [`socket_read_timeout`], [`socket_try_read`] |
//! | `SocketClose(name)` | [`socket_close`], [`socket_close_with`] |
//! | `SocketExist(name)` | [`socket_exist`] (and [`socket_state`]) |
//! | `ErrorInfo()` | the [`Error`] every call returns |
//!
//! # Hello, world
//!
//! Against an echo server on the local machine:
//!
//! ```no_run
//! use named_websocket::{socket_close, socket_read, socket_write, websocket_client_connect};
//!
//! // ws://127.0.0.1:9001/echo, no subprotocol
//! websocket_client_connect("echo", "127.0.0.1", 9001, "/echo", "")?;
//! socket_write("echo", "Hello world!")?;
//! let answer = socket_read("echo")?;
//! assert_eq!(answer.as_text(), Some("Hello world!"));
//! socket_close("echo")?;
//! # Ok::<(), named_websocket::Error>(())
//! ```
//!
//! `cargo run --example quickstart` runs this against an echo server it starts on loopback.
//!
//! # Names, handles and URLs
//!
//! A name is any non-empty string without control characters, case-sensitive. It is taken from
//! the moment a connect call accepts its arguments until [`socket_close`] returns; a failed
//! connect frees it again. As in WLanguage, [`socket_exist`] stays true after the server closed
//! the connection, until [`socket_close`]: [`socket_state`] tells a live socket from a dead one.
//!
//! Besides the positional form, a connection can be opened from a URL
//! ([`websocket_client_connect_url`]) or with [`ConnectOptions`]
//! ([`websocket_client_connect_with`]): timeouts, subprotocols, trusted certificates, size
//! limits, redirects. Code that prefers a value to a name uses [`Socket`], which the name
//! functions are built on:
//!
//! ```no_run
//! use std::time::Duration;
//! use named_websocket::{ConnectOptions, Socket};
//!
//! let options = ConnectOptions::new().connect_timeout(Duration::from_secs(3));
//! let socket = Socket::connect_with("ws://127.0.0.1:9001/echo", &options)?;
//! socket.write(vec![1u8, 2, 3])?; // bytes go as a binary message
//! let reply = socket.read_timeout(Duration::from_secs(1))?;
//! assert_eq!(reply.as_bytes(), &[1, 2, 3]);
//! socket.close()?;
//! # Ok::<(), named_websocket::Error>(())
//! ```
//!
//! # Asynchronous mode
//!
//! WLanguage's second syntax takes a procedure that receives the socket's events on the
//! application's main thread. Here, [`websocket_client_connect_async`] (and its `_ssl`, `_url`
//! and `_with` forms) checks its arguments, takes the name and returns at once; a thread of the
//! library connects, a worker thread reads, and each [`Event`] waits in a dispatch queue until
//! the application runs the callbacks on its own thread:
//!
//! ```no_run
//! use named_websocket::{
//!     dispatch_until_all_closed, socket_close, socket_write, websocket_client_connect_async, Event,
//! };
//!
//! websocket_client_connect_async("client", |name, event| match event {
//!     Event::Open { .. } => { let _ = socket_write(name, "Message sent from the client."); }
//!     Event::Message(message) => {
//!         println!("message received from the server: {message:?}");
//!         let _ = socket_close(name);
//!     }
//!     Event::Close { code, reason, ended, .. } => {
//!         println!("socket closed: {code} {reason}");
//!         if ended {
//!             println!("no event follows"); // no reconnect: the socket has ended
//!         }
//!     }
//!     Event::Error(error) => eprintln!("socket error: {error}"),
//!     _ => {}
//! }, "127.0.0.1", 9001, "/", "")?;
//!
//! dispatch_until_all_closed()?; // runs callbacks until no asynchronous socket is left
//! # Ok::<(), named_websocket::Error>(())
//! ```
//!
//! Three ways to run the callbacks, all on the calling thread: [`dispatch_pending`] runs what
//! is queued and returns; [`dispatch_timeout`] first waits up to a timeout; [`dispatch_until`]
//! loops until a condition holds or no asynchronous socket is left. A GUI program installs
//! [`set_wake_hook`]: the library's threads call it when the queue goes from empty to not
//! empty, and the hook asks the GUI loop to call [`dispatch_pending`].
//! `cargo run --example async_echo` runs the WLanguage sample.
//!
//! For each connection, [`Event::Open`] comes first, then the messages in arrival order, and
//! exactly one [`Event::Close`] ends it, after an [`Event::Error`] when the cause was abnormal
//! (a failed connect gives `Error` then `Close` with code 1006). As in WLanguage, the name stays
//! taken until [`socket_close`]. [`socket_read`] on an asynchronous socket is
//! [`Error::WrongMode`]: its messages go to the callback.
//!
//! **Every asynchronous socket ends with exactly one final Close**, `Event::Close` with
//! `ended: true`, whatever state [`socket_close`] finds it in (connecting, open, waiting to
//! reconnect, reconnecting, closing), and nothing of that socket follows it. With a reconnect
//! policy, each lost connection ends with a `Close` with `ended: false`, then
//! [`Event::Reconnecting`]. After `socket_close` returns, the final Close is the only event
//! still delivered, to a callback or a polled queue alike; and since the name is free at
//! once, the Close's `socket` ([`SocketId`], compared with [`socket_id`]) tells the old socket
//! from a new one under the same name. The details: [`Event`] and [`socket_close`].
//!
//! If the application stops pumping, memory stays bounded: past
//! [`ConnectOptions::event_queue_limit`] events, or [`ConnectOptions::event_queue_bytes`] bytes
//! of messages, waiting for a socket, its worker stops reading, and TCP flow control slows the
//! server. No event is dropped.
//!
//! # Staying connected
//!
//! [`ConnectOptions::ping_interval`] sends keepalive pings and fails the connection with
//! [`Timeout::Pong`] when the peer stays silent past [`ConnectOptions::ping_timeout`];
//! [`ConnectOptions::idle_timeout`] fails it when nothing at all arrives for that long.
//! [`ConnectOptions::reconnect`] opens the connection again after an unexpected loss, with
//! exponential backoff and jitter ([`Reconnect`]), under the same name and callback: the
//! callback sees [`Event::Reconnecting`] then [`Event::Open`]; a blocking read waits across the
//! reconnect, [`socket_state`] says [`State::Reconnecting`], and [`socket_write`] fails at once
//! with [`Error::NotOpen`]. A blocking socket with any of these options is run by a worker
//! thread, so pings go out and the server's pings are answered while no thread reads.
//!
//! ```no_run
//! use std::time::Duration;
//! use named_websocket::{socket_read, websocket_client_connect_with, ConnectOptions, Reconnect};
//!
//! let options = ConnectOptions::new()
//!     .ping_interval(Duration::from_secs(20))
//!     .reconnect(Reconnect::new().max_delay(Duration::from_secs(10)));
//! websocket_client_connect_with("feed", "wss://example.com/feed", &options)?;
//! loop {
//!     println!("{:?}", socket_read("feed")?); // waits across reconnects
//! }
//! # Ok::<(), named_websocket::Error>(())
//! ```
//!
//! # Errors
//!
//! Every call returns a [`Result`] whose [`Error`] names the cause a caller acts on: a bad
//! argument, a name in use or unknown, a timeout and its phase ([`Timeout`]), DNS, a refused
//! connection, TLS, the server's HTTP status, a rejected subprotocol, a closed connection with
//! its close code ([`CloseInfo`]), a size limit, a protocol violation. Printed as it is, an
//! error reads as a sentence. No public function panics on any input.
//!
//! # Threads and locks
//!
//! Every function may be called from any thread. A thread blocked in [`socket_read`] does not
//! delay [`socket_write`] on the same socket from another thread, and [`socket_close`] from a
//! third thread wakes the reader with [`Error::Closed`].
//!
//! **No lock is ever held across blocking network I/O.** The registry's lock covers only the
//! lookup of a name; a socket's protocol engine is locked only around non-blocking calls, and a
//! thread that must wait for the network waits in `poll(2)` with no lock taken that a writer
//! or a closer needs. Readers of one socket take turns, since one message can only go to one
//! of them.
//!
//! **No lock is held while a callback runs**: a callback may call any function of this crate,
//! including [`socket_write`] and [`socket_close`] on its own socket, and
//! [`websocket_client_connect_async`] for another name. Callbacks never run on a worker thread.
//! One thread dispatches at a time; a `dispatch_*` call from inside a callback, or from a
//! second thread while one dispatches, is [`Error::WrongMode`].
//!
//! Threads the library starts: one worker per asynchronous socket, and per blocking socket
//! with keepalive, an idle timeout or reconnect, until its last connection ends
//! ([`socket_close`] on a blocking socket waits for its job to end, except during a connect,
//! which the close cuts short; an asynchronous socket's worker ends its job by itself, just
//! after the socket's final [`Event::Close`]). A worker thread whose socket ended then waits
//! up to 0.5 s for the next socket before it exits (at most 8 wait), so that sockets opened one
//! after another do not each start a thread. Connects run on threads of their own, kept the
//! same way: an asynchronous socket's first connect (then its worker takes the connection), and
//! every reconnect (while the worker waits), so that a worker's stack, which lives as long as
//! its socket, holds only what reading needs. 0.5 s after the last socket closed, the
//! library's threads are gone. A background thread sends queued asynchronous writes and
//! watches close deadlines while there are any, and 0.5 s more. And a short-lived thread per
//! DNS lookup of a host name, which bounds the system resolver by the connect timeout. At most
//! 16 lookups run at once in the process: a connect that finds them all busy (a resolver that
//! hangs) waits for one within its connect timeout, then fails with [`Timeout::Dns`]. Plain
//! blocking sockets start no thread.
//!
//! # Logging
//!
//! The crate logs through the [`log`](https://docs.rs/log) facade:
//!
//! | level | what |
//! |---|---|
//! | `error` | a wake hook or access policy that panicked (the panic is caught) |
//! | `warn` | dangerous settings in use, such as accepting invalid certificates |
//! | `debug` | connects, redirects, closes and why a connection ended |
//! | `trace` | every message sent and received, with its size |
//!
//! No line of this crate shows a
//! password, a token or the value of a sensitive header: URLs are logged without their user
//! and password, errors never repeat a secret. **tungstenite's own `trace` log is another
//! matter: it prints the handshake request as sent, headers and their values included.** Keep
//! the `tungstenite` target below `trace` wherever credentials must not reach the log
//! (`RUST_LOG=trace,tungstenite=debug` with `env_logger`).
//!
//! # Secrets
//!
//! Header values that carry credentials (`Authorization`, `Cookie`, `X-Api-Key`, and the names
//! marked with [`ConnectOptions::sensitive_header`]), proxy passwords, and the user and
//! password of a `ws://user:password@host/` URL are never printed by `Debug`, `Display`, an
//! error or a log line of this crate, and are not sent to another origin after a redirect. A
//! URL's user and password are sent as `Authorization: Basic`, unless an `Authorization`
//! header is given; [`Socket::url`] and [`ConnectionInfo::url`] show the URL without them.
//!
//! # TLS backends
//!
//! `wss://` goes through the platform's TLS library by default (the `native-tls` feature:
//! OpenSSL on Linux, SChannel on Windows, Security.framework on macOS). The `rustls` feature
//! uses [rustls](https://docs.rs/rustls) instead, with the system's root certificates, and
//! needs no OpenSSL (static and musl builds, cross-compiles); `webpki-roots` adds Mozilla's
//! roots, compiled in. With both features on, rustls is used. The options, the API and the
//! errors are the same, except that rustls speaks TLS 1.2 and 1.3 only and reads no PKCS#12
//! archive ([`Identity::from_pkcs12`]); the error's `source()` is the TLS library's own.
//!
//! # Minimum Rust version
//!
//! Rust 1.85. Raising it is a minor-version change.

#[cfg(not(any(feature = "native-tls", feature = "rustls")))]
compile_error!(
    "named-websocket needs a TLS backend: enable the `native-tls` feature (the default) or the \
     `rustls` feature"
);

// The layers, from the bottom up; each depends only on the ones above it in this list. The
// shared types at the top of src/ are the first layer; docs/architecture.md has the picture.
mod deadline;
mod error;
mod event;
mod info;
mod message;
mod sensitive;
mod socket_id;
mod state;
mod tls_version;
mod user_code;

mod settings;

mod deflate;

mod transport;

mod blocking;

mod worker;

mod named;

// Unstable entry points for the fuzz targets (fuzz/): not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use crate::blocking::socket::Socket;
pub use crate::error::{CloseInfo, Detail, Error, HandshakeFailure, Result, Timeout};
pub use crate::event::Event;
pub use crate::info::ConnectionInfo;
pub use crate::message::Message;
pub use crate::named::functions::{
    socket_close, socket_close_with, socket_exist, socket_handle, socket_id, socket_info,
    socket_next_event, socket_ping, socket_protocol, socket_read, socket_read_timeout,
    socket_state, socket_try_read, socket_write, websocket_client_connect,
    websocket_client_connect_async, websocket_client_connect_async_ssl,
    websocket_client_connect_async_url, websocket_client_connect_async_with,
    websocket_client_connect_polled, websocket_client_connect_ssl, websocket_client_connect_url,
    websocket_client_connect_with, websocket_url,
};
pub use crate::named::socket_events::SocketEvents;
pub use crate::settings::compression::Compression;
pub use crate::settings::options::ConnectOptions;
pub use crate::settings::reconnect::Reconnect;
pub use crate::settings::tls::{Certificate, Identity};
pub use crate::socket_id::SocketId;
pub use crate::state::State;
pub use crate::tls_version::TlsVersion;
pub use crate::transport::access::{clear_access_policy, set_access_policy, AccessRequest};
pub use crate::worker::dispatch::{
    clear_wake_hook, dispatch_pending, dispatch_timeout, dispatch_until, dispatch_until_all_closed,
    pending_events, set_wake_hook,
};

/// The README's examples, compiled by `cargo test` so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The Rust snippets of docs/porting-from-wlanguage.md, compiled by `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../docs/porting-from-wlanguage.md")]
struct PortingGuideDoctests;

/// The Rust snippets of docs/mappings.md, compiled by `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../docs/mappings.md")]
struct MappingsDoctests;

/// The Rust snippets of docs/options.md, compiled by `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../docs/options.md")]
struct OptionsDoctests;

/// docs/architecture.md, so that a Rust snippet added there is compiled too.
#[cfg(doctest)]
#[doc = include_str!("../docs/architecture.md")]
struct ArchitectureDoctests;

/// docs/conformance.md, so that a Rust snippet added there is compiled too.
#[cfg(doctest)]
#[doc = include_str!("../docs/conformance.md")]
struct ConformanceDoctests;

/// docs/performance.md, so that a Rust snippet added there is compiled too.
#[cfg(doctest)]
#[doc = include_str!("../docs/performance.md")]
struct PerformanceDoctests;

/// docs/benchmarks.md, so that a Rust snippet added there is compiled too.
#[cfg(doctest)]
#[doc = include_str!("../docs/benchmarks.md")]
struct BenchmarksDoctests;

/// The Rust snippets of docs/gui.md (the toolkit sketches are `ignore`d), compiled by
/// `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../docs/gui.md")]
struct GuiDoctests;

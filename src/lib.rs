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
//! The blocking API starts no thread of its own, except a short-lived one per DNS lookup, which
//! bounds the system resolver by the connect timeout.
//!
//! # Logging
//!
//! The crate logs through the [`log`](https://docs.rs/log) facade:
//!
//! | level | what |
//! |---|---|
//! | `warn` | dangerous settings in use, such as accepting invalid certificates |
//! | `debug` | connects, redirects, closes and why a connection ended |
//! | `trace` | every message sent and received, with its size |
//!
//! # Minimum Rust version
//!
//! Rust 1.85. Raising it is a minor-version change.

mod connect;
mod dispatch;
mod error;
mod event;
mod message;
mod named;
mod options;
mod registry;
mod socket;
mod state;
mod stream;
mod target;
mod tls;
mod worker;

pub use crate::dispatch::{
    clear_wake_hook, dispatch_pending, dispatch_timeout, dispatch_until, pending_events,
    set_wake_hook,
};
pub use crate::error::{CloseInfo, Error, HandshakeFailure, Result, Timeout};
pub use crate::event::Event;
pub use crate::message::Message;
pub use crate::named::{
    socket_close, socket_close_with, socket_exist, socket_handle, socket_protocol, socket_read,
    socket_read_timeout, socket_state, socket_try_read, socket_write, websocket_client_connect,
    websocket_client_connect_async, websocket_client_connect_async_ssl,
    websocket_client_connect_async_url, websocket_client_connect_async_with,
    websocket_client_connect_ssl, websocket_client_connect_url, websocket_client_connect_with,
};
pub use crate::options::ConnectOptions;
pub use crate::socket::Socket;
pub use crate::state::State;
pub use crate::tls::Certificate;

/// The README's examples, compiled by `cargo test` so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

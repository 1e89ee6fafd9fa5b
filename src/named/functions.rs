//! The WLanguage-style functions: every socket is addressed by its name.
//!
//! Each function looks the name up in the registry, releases the registry's lock, then works
//! on the [`Socket`] it found. So these calls are as safe across threads as `Socket` itself.

use std::time::Duration;

use crate::blocking::close::check_close;
use crate::blocking::socket::{expect_message, Socket};
use crate::blocking::wait::Wait;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::info::ConnectionInfo;
use crate::message::Message;
use crate::named::registry::check_name;
use crate::named::registry::{self, Entry};
use crate::named::socket_events::SocketEvents;
use crate::settings::options::{Checked, ConnectOptions};
use crate::settings::target::Target;
use crate::socket_id::SocketId;
use crate::state::State;
use crate::worker::handle::WorkerHandle;

/// Opens a `ws://` connection and gives it a name (WLanguage `WebSocketClientConnect`).
///
/// `host` is a DNS name, an IPv4 address, or an IPv6 address with or without brackets. `port`
/// 0 means 80. `path` "" means "/"; a missing leading "/" is added and a query string is kept.
/// `protocols` is a comma-separated list of subprotocols ("mqtt,soap"), or "" for none; when
/// given, the server must select one of them ([`socket_protocol`] tells which).
///
/// Blocks until the connection is open or has failed, at most 10 seconds for DNS, TCP and the
/// upgrade together (use [`websocket_client_connect_with`] for another timeout). The name is
/// taken as soon as the arguments are accepted, and freed again if the connect fails.
///
/// # Errors
/// - [`Error::InvalidArgument`]: empty name or host, a name with control characters, a
///   protocol that is not an HTTP token;
/// - [`Error::NameInUse`]: another socket holds the name;
/// - [`Error::Dns`], [`Error::ConnectRefused`], [`Error::Timeout`] (with the phase),
///   [`Error::Handshake`] (with the HTTP status, when the server answered with one),
///   [`Error::Subprotocol`], [`Error::Io`]: the connect failed.
///
/// # Examples
/// ```no_run
/// use named_websocket::{socket_close, socket_read, socket_write, websocket_client_connect};
///
/// websocket_client_connect("wbsocket", "myserver.example", 80, "/WW_WebsocketServer", "")?;
/// socket_write("wbsocket", "Hello world!")?;
/// let answer = socket_read("wbsocket")?;
/// println!("server answered {answer:?}");
/// socket_close("wbsocket")?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn websocket_client_connect(
    name: &str,
    host: &str,
    port: u16,
    path: &str,
    protocols: &str,
) -> Result<()> {
    connect_parts(name, host, port, path, protocols, false)
}

/// Opens a `wss://` (TLS) connection and gives it a name (WLanguage
/// `WebSocketClientConnectSSL`).
///
/// As [`websocket_client_connect`], except that port 0 means 443 and the server's certificate
/// and host name are verified against the system's roots. To trust another certificate, use
/// [`websocket_client_connect_with`] and [`ConnectOptions::add_root_certificate`].
///
/// # Errors
/// As [`websocket_client_connect`]; also [`Error::Tls`] when the TLS handshake fails (for
/// example an untrusted certificate, or a server that does not speak TLS).
///
/// # Examples
/// ```no_run
/// named_websocket::websocket_client_connect_ssl("feed", "example.com", 0, "/feed", "")?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn websocket_client_connect_ssl(
    name: &str,
    host: &str,
    port: u16,
    path: &str,
    protocols: &str,
) -> Result<()> {
    connect_parts(name, host, port, path, protocols, true)
}

/// Opens a connection to a `ws://` or `wss://` URL and gives it a name.
///
/// Blocks as [`websocket_client_connect`] does.
///
/// # Errors
/// As [`websocket_client_connect`] and [`websocket_client_connect_ssl`]; a malformed URL, or
/// one whose scheme is not ws or wss, is [`Error::InvalidArgument`].
///
/// # Examples
/// ```no_run
/// named_websocket::websocket_client_connect_url("echo", "ws://127.0.0.1:9001/echo")?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn websocket_client_connect_url(name: &str, url: &str) -> Result<()> {
    websocket_client_connect_with(name, url, &ConnectOptions::default())
}

/// The URL that the positional forms connect to: WLanguage's host, port, path and SSL choice
/// as a `ws://` or `wss://` URL, for the options forms ([`websocket_client_connect_with`],
/// [`websocket_client_connect_async_with`]).
///
/// The same rules as [`websocket_client_connect`]: port 0 means the scheme's default (80 or
/// 443), an empty path means "/", a missing leading "/" is added, a query string is kept, an
/// IPv6 host may come with or without brackets. Pure: no network.
///
/// # Errors
/// [`Error::InvalidArgument`] for an empty host, a host that is a URL or holds `/`, `?`, `#`
/// or `@`, or parts that do not make a valid URL.
///
/// # Examples
/// ```no_run
/// use std::time::Duration;
/// use named_websocket::{websocket_client_connect_with, websocket_url, ConnectOptions};
///
/// // WebSocketClientConnectSSL("feed", "::1", 8443, "prices?depth=5", "v2") with a 3 s wait:
/// let url = websocket_url("::1", 8443, "prices?depth=5", true)?;
/// assert_eq!(url, "wss://[::1]:8443/prices?depth=5");
/// let options = ConnectOptions::new()
///     .protocols("v2")
///     .connect_timeout(Duration::from_secs(3));
/// websocket_client_connect_with("feed", &url, &options)?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn websocket_url(host: &str, port: u16, path: &str, ssl: bool) -> Result<String> {
    Target::from_parts(host, port, path, ssl).map(|target| target.url.into())
}

/// Opens a connection to a `ws://` or `wss://` URL with the given options, and gives it a name.
///
/// Blocks until the connection is open or has failed, at most the options' connect timeout.
///
/// # Errors
/// As [`websocket_client_connect_url`]; an option out of range is [`Error::InvalidArgument`].
///
/// # Examples
/// ```no_run
/// use std::time::Duration;
/// use named_websocket::{websocket_client_connect_with, ConnectOptions};
///
/// let options = ConnectOptions::new().connect_timeout(Duration::from_secs(2)).protocols("mqtt");
/// websocket_client_connect_with("broker", "wss://broker.example/mqtt", &options)?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn websocket_client_connect_with(
    name: &str,
    url: &str,
    options: &ConnectOptions,
) -> Result<()> {
    check_name(name)?;
    let target = Target::from_url(url)?;
    connect_named(name, target, options)
}

/// The positional forms' target and options: `(host, port, path, protocols)`, as WLanguage
/// gives them.
fn positional(
    name: &str,
    (host, port, path, protocols): (&str, u16, &str, &str),
    tls: bool,
) -> Result<(Target, ConnectOptions)> {
    check_name(name)?;
    let target = Target::from_parts(host, port, path, tls)?;
    Ok((target, ConnectOptions::default().protocols(protocols)))
}

fn connect_parts(
    name: &str,
    host: &str,
    port: u16,
    path: &str,
    protocols: &str,
    tls: bool,
) -> Result<()> {
    let (target, options) = positional(name, (host, port, path, protocols), tls)?;
    connect_named(name, target, &options)
}

fn connect_named(name: &str, target: Target, options: &ConnectOptions) -> Result<()> {
    open_named(name, target, options, |target, checked, id| {
        let socket = Socket::open(target.clone(), options, &checked, name, None)?;
        if !options.needs_worker() {
            return Ok((Entry::Blocking(socket), ()));
        }
        // Keepalive and reconnect need a thread that reads while the application does not.
        match WorkerHandle::start_blocking((name, id), socket.clone(), target, options, checked) {
            Ok(handle) => Ok((Entry::Worker(handle), ())),
            Err(error) => {
                let _ = socket.close();
                Err(error)
            }
        }
    })
}

/// Takes `name`, makes its socket with `open` (with no registry lock held: the reservation
/// only marks the name as taken), and puts the socket under the name. A `socket_close` that
/// cancelled the reservation meanwhile gets the new socket closed, and the connect fails.
fn open_named<T>(
    name: &str,
    target: Target,
    options: &ConnectOptions,
    open: impl FnOnce(Target, Checked, SocketId) -> Result<(Entry, T)>,
) -> Result<T> {
    let checked = options.validate()?;
    let reservation = registry::reserve(name, target.url.as_str())?;
    let (entry, made) = open(target, checked, reservation.id())?;
    reservation.fill(entry).map_err(|entry| {
        let _ = close_entry(entry, 1000, "");
        Error::closed(1000, "socket_close was called while connecting")
    })?;
    Ok(made)
}

/// Opens a `ws://` connection in the background and gives it a name (WLanguage
/// `WebSocketClientConnect` with a procedure): its events go to `callback`.
///
/// Checks the arguments, takes the name and returns at once; a thread of the library connects,
/// then a worker thread for this socket runs the connection. The callback receives the socket's name and each
/// [`Event`]: [`Event::Open`] when connected, [`Event::Message`] for each message,
/// [`Event::Close`] at the end, preceded by [`Event::Error`] when something went wrong (a
/// failed connect gives `Error` then `Close` with code 1006). As in WLanguage, the name stays
/// taken after the connection ended, until [`socket_close`].
///
/// Callbacks never run on the worker: they run on the thread that calls
/// [`dispatch_pending`](crate::dispatch_pending), [`dispatch_timeout`](crate::dispatch_timeout)
/// or [`dispatch_until`](crate::dispatch_until), with no lock held, so they may call any
/// function of this crate, including [`socket_write`] and [`socket_close`] on their own socket.
/// Arguments are as for [`websocket_client_connect`].
///
/// # Errors
/// [`Error::InvalidArgument`] and [`Error::NameInUse`] as for [`websocket_client_connect`];
/// [`Error::Io`] when the thread that connects cannot be started. Connect failures arrive as
/// events.
///
/// # Examples
/// ```no_run
/// use named_websocket::{
///     dispatch_until_all_closed, socket_close, socket_write, websocket_client_connect_async, Event,
/// };
///
/// websocket_client_connect_async("client", |name, event| match event {
///     Event::Open { .. } => { let _ = socket_write(name, "Message sent from the client."); }
///     Event::Message(message) => {
///         println!("server says {message:?}");
///         let _ = socket_close(name);
///     }
///     Event::Close { code, reason, .. } => println!("closed: {code} {reason}"),
///     Event::Error(error) => eprintln!("socket error: {error}"),
///     _ => {}
/// }, "127.0.0.1", 9001, "/MyWebSocketServer", "")?;
/// dispatch_until_all_closed()?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn websocket_client_connect_async<F>(
    name: &str,
    callback: F,
    host: &str,
    port: u16,
    path: &str,
    protocols: &str,
) -> Result<()>
where
    F: FnMut(&str, Event) + Send + 'static,
{
    let (target, options) = positional(name, (host, port, path, protocols), false)?;
    connect_named_async(name, Box::new(callback), target, &options)
}

/// Opens a `wss://` connection in the background and gives it a name (WLanguage
/// `WebSocketClientConnectSSL` with a procedure).
///
/// As [`websocket_client_connect_async`], with TLS: port 0 means 443, and the certificate is
/// verified against the system's roots. Returns at once.
///
/// # Errors
/// As [`websocket_client_connect_async`]; TLS failures arrive as [`Event::Error`].
///
/// # Examples
/// ```no_run
/// named_websocket::websocket_client_connect_async_ssl(
///     "feed", |_name, event| println!("{event:?}"), "example.com", 0, "/feed", "")?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn websocket_client_connect_async_ssl<F>(
    name: &str,
    callback: F,
    host: &str,
    port: u16,
    path: &str,
    protocols: &str,
) -> Result<()>
where
    F: FnMut(&str, Event) + Send + 'static,
{
    let (target, options) = positional(name, (host, port, path, protocols), true)?;
    connect_named_async(name, Box::new(callback), target, &options)
}

/// Opens a connection to a `ws://` or `wss://` URL in the background and gives it a name.
///
/// As [`websocket_client_connect_async`]. Returns at once.
///
/// # Errors
/// As [`websocket_client_connect_async`]; a malformed URL is [`Error::InvalidArgument`].
///
/// # Examples
/// ```no_run
/// named_websocket::websocket_client_connect_async_url(
///     "echo", |_name, event| println!("{event:?}"), "ws://127.0.0.1:9001/")?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn websocket_client_connect_async_url<F>(name: &str, callback: F, url: &str) -> Result<()>
where
    F: FnMut(&str, Event) + Send + 'static,
{
    websocket_client_connect_async_with(name, callback, url, &ConnectOptions::default())
}

/// Opens a connection to a URL with options, in the background, and gives it a name.
///
/// As [`websocket_client_connect_async`]. Returns at once.
///
/// # Errors
/// As [`websocket_client_connect_async_url`]; an option out of range is
/// [`Error::InvalidArgument`].
///
/// # Examples
/// ```no_run
/// use named_websocket::{websocket_client_connect_async_with, ConnectOptions};
/// let options = ConnectOptions::new().event_queue_limit(64);
/// websocket_client_connect_async_with(
///     "ticker", |_name, event| println!("{event:?}"), "wss://example.com/ticker", &options)?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn websocket_client_connect_async_with<F>(
    name: &str,
    callback: F,
    url: &str,
    options: &ConnectOptions,
) -> Result<()>
where
    F: FnMut(&str, Event) + Send + 'static,
{
    check_name(name)?;
    let target = Target::from_url(url)?;
    connect_named_async(name, Box::new(callback), target, options)
}

/// Opens a connection in the background and gives it a name, without a callback: its events
/// wait in a queue of its own, which the application takes with the returned
/// [`SocketEvents`] (or with [`socket_next_event`] by name).
///
/// The style of an immediate-mode GUI (egui) or any loop that owns its state: each frame
/// takes what arrived and updates state it owns, with no callback, no `Send`, no `'static`,
/// no `Arc<Mutex<…>>`. Events are those of [`websocket_client_connect_async`], in the same
/// order (`Open`, each `Message`, `Close`, `Error`, `Reconnecting`). The
/// [wake hook](crate::set_wake_hook) is called, from the library's thread that posted the
/// event (the socket's worker, or the thread of its first connect), when its queue goes from
/// empty to not empty. Back-pressure is the same as for callbacks
/// ([`ConnectOptions::event_queue_limit`], [`ConnectOptions::event_queue_bytes`]). Its events
/// do not go through the dispatch queue: `dispatch_*` calls neither run nor wait for them.
///
/// Returns at once (checks the arguments and takes the name; a worker connects). Nothing an
/// application's thread does on this socket waits on the network: [`socket_write`] queues
/// what the peer does not take at once, [`socket_close`] sends the Close and returns.
///
/// # Errors
/// As [`websocket_client_connect_async_with`].
///
/// # Examples
/// ```no_run
/// use named_websocket::{websocket_client_connect_polled, ConnectOptions, Event};
///
/// let events = websocket_client_connect_polled("feed", "wss://example.com/feed", &ConnectOptions::new())?;
/// let mut log: Vec<String> = Vec::new(); // state the UI thread owns
/// // Each frame:
/// while let Some(event) = events.next() {
///     match event {
///         Event::Message(message) => log.push(format!("{message:?}")),
///         Event::Close { code, reason, .. } => log.push(format!("closed {code} {reason}")),
///         _ => {}
///     }
/// }
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn websocket_client_connect_polled(
    name: &str,
    url: &str,
    options: &ConnectOptions,
) -> Result<SocketEvents> {
    check_name(name)?;
    let target = Target::from_url(url)?;
    open_named(name, target, options, |target, checked, id| {
        let socket = WorkerHandle::start_polled((name, id), target, options, checked)?;
        let events = SocketEvents::new(name, socket.clone());
        Ok((Entry::Worker(socket), events))
    })
}

/// The next event of a socket opened with [`websocket_client_connect_polled`], or `None` when
/// none is waiting. Never blocks.
///
/// # Errors
/// [`Error::NotFound`] for an unknown name; [`Error::WrongMode`] for a socket whose events go
/// to a callback, or a blocking socket (whose messages are read with [`socket_read`]);
/// [`Error::NotOpen`] while a blocking connect holds the name.
///
/// # Examples
/// ```no_run
/// while let Some(event) = named_websocket::socket_next_event("feed")? {
///     println!("{event:?}");
/// }
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_next_event(name: &str) -> Result<Option<Event>> {
    match opened(name)? {
        Opened::Worker(socket) => socket.next_event(),
        Opened::Blocking(_) => Err(Error::WrongMode(
            format!("socket {name:?} is a blocking socket: read its messages with socket_read")
                .into(),
        )),
    }
}

fn connect_named_async(
    name: &str,
    callback: crate::worker::callback::Callback,
    target: Target,
    options: &ConnectOptions,
) -> Result<()> {
    open_named(name, target, options, |target, checked, id| {
        let socket = WorkerHandle::start_async((name, id), callback, target, options, checked)?;
        Ok((Entry::Worker(socket), ()))
    })
}

/// The entry under `name`.
fn entry(name: &str) -> Result<Entry> {
    registry::lookup(name).map(|(_, entry)| entry)
}

/// A socket past its blocking connect: what most functions work on.
enum Opened {
    Blocking(Socket),
    Worker(WorkerHandle),
}

/// The socket under `name`; [`Error::NotOpen`] while a blocking connect still holds the name.
fn opened(name: &str) -> Result<Opened> {
    match entry(name)? {
        Entry::Blocking(socket) => Ok(Opened::Blocking(socket)),
        Entry::Worker(socket) => Ok(Opened::Worker(socket)),
        Entry::Connecting(_) => Err(Error::NotOpen(State::Connecting)),
    }
}

/// A read of the named socket: directly, or from a worker's inbox. `None` only for
/// [`Wait::No`].
fn read_named(name: &str, wait: Wait) -> Result<Option<Message>> {
    match opened(name)? {
        Opened::Blocking(socket) => socket.read_wait(wait),
        Opened::Worker(socket) => socket.read(wait),
    }
}

fn close_entry(entry: Entry, code: u16, reason: &str) -> Result<()> {
    match entry {
        // The blocking connect sees its reservation gone and closes what it opens.
        Entry::Connecting(_) => Ok(()),
        Entry::Blocking(socket) => socket.close_with(code, reason),
        Entry::Worker(socket) => socket.close(code, reason),
    }
}

/// Sends a message on the named socket (WLanguage `SocketWrite`): a `&str` or `String` as a
/// text message, bytes (`Vec<u8>`, `&[u8]`) as a binary message.
///
/// Blocks until the whole frame has been handed to the operating system: at most the write
/// timeout (30 seconds by default) without progress when the peer stops reading. Never waits
/// for a read that another thread is blocked in on the same socket.
///
/// # Errors
/// [`Error::NotFound`] for an unknown name, [`Error::NotOpen`] while it connects, and the
/// errors of [`Socket::write`]: [`Error::Closed`] (with the close code) once the connection is
/// closed, [`Error::Timeout`] when the peer stopped reading.
///
/// # Examples
/// ```no_run
/// named_websocket::socket_write("chat", "hello")?;
/// named_websocket::socket_write("chat", vec![0xCA, 0xFE])?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_write(name: &str, message: impl Into<Message>) -> Result<()> {
    match opened(name)? {
        Opened::Blocking(socket) => socket.write(message),
        Opened::Worker(socket) => socket.write(message.into()),
    }
}

/// Returns the next message of the named socket, waiting as long as it takes (WLanguage
/// `SocketRead` with a wait and no timeout).
///
/// Blocks until a message arrives, the connection ends, or [`socket_close`] is called from
/// another thread. Messages come in order; every message the server sent before closing is
/// returned before the close is reported.
///
/// # Errors
/// [`Error::NotFound`] for an unknown name; [`Error::Closed`] with the server's close code and
/// reason once the connection is closed; see [`Socket::read`].
///
/// # Examples
/// ```no_run
/// let message = named_websocket::socket_read("chat")?;
/// if let Some(text) = message.as_text() {
///     println!("{text}");
/// }
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_read(name: &str) -> Result<Message> {
    read_named(name, Wait::Forever).and_then(expect_message)
}

/// Returns the next message of the named socket, waiting at most `timeout`.
///
/// # Errors
/// [`Error::Timeout`] when nothing arrived in time (the socket stays usable); otherwise as
/// [`socket_read`].
///
/// # Examples
/// ```no_run
/// use std::time::Duration;
/// match named_websocket::socket_read_timeout("chat", Duration::from_secs(1)) {
///     Ok(message) => println!("{message:?}"),
///     Err(e) if e.is_timeout() => println!("nothing within a second"),
///     Err(e) => return Err(e),
/// }
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_read_timeout(name: &str, timeout: Duration) -> Result<Message> {
    read_named(name, Wait::after(timeout)).and_then(expect_message)
}

/// Returns a message of the named socket that has already arrived, or `None`, without waiting.
///
/// # Errors
/// As [`socket_read`].
///
/// # Examples
/// ```no_run
/// while let Some(message) = named_websocket::socket_try_read("chat")? {
///     println!("{message:?}");
/// }
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_try_read(name: &str) -> Result<Option<Message>> {
    read_named(name, Wait::No)
}

/// Closes the named socket with code 1000 and frees its name (WLanguage `SocketClose`).
///
/// Sends a Close frame, waits for the server's answer up to the close timeout (5 seconds by
/// default), then shuts the TCP connection. Messages that arrive after the call are dropped:
/// read what you expect before closing. A thread blocked in [`socket_read`] on this socket
/// wakes up with [`Error::Closed`]. The name is free when this returns. Closing a name whose
/// blocking connect is still running in another thread frees the name at once; that connect
/// then fails with [`Error::Closed`].
///
/// **An asynchronous socket** (callback or polled) does not wait: our Close goes out and this
/// returns; the socket's worker finishes the handshake. Whatever state the socket is in, it
/// then ends with exactly one final [`Event::Close`] (`ended: true`), and that is the only
/// event it still delivers, in both styles: events that waited to be taken are dropped.
/// - Open or closing: the close handshake's outcome (our code when the server answered, 1006
///   when it did not within the close timeout).
/// - Connecting or reconnecting: the connect is cut at once (DNS or a TCP connect already
///   under way runs to its end, within the connect timeout), and the Close says our code,
///   with "closed while connecting" unless [`socket_close_with`] gave a reason; no Error.
/// - Waiting to reconnect: the same, with "closed while waiting to reconnect".
///
/// Called from another thread while the dispatching thread runs this socket's callbacks, at
/// most one of them may still run after this returns: the one running, or just starting, at
/// that moment; after it, only the final Close's. Since the name is free at once, the final Close may be dispatched after
/// a new socket took the name: its `socket` field tells them apart (see [`socket_id`]).
///
/// # Errors
/// [`Error::NotFound`] for an unknown name.
///
/// # Examples
/// ```no_run
/// named_websocket::socket_close("chat")?;
/// assert!(!named_websocket::socket_exist("chat"));
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_close(name: &str) -> Result<()> {
    close_named(name, 1000, "")
}

/// Closes the named socket with a chosen close code and reason, and frees its name.
///
/// Blocks as [`socket_close`] does.
///
/// # Errors
/// [`Error::InvalidArgument`] when `code` is not 1000 or in 3000–4999 or `reason` is longer
/// than 123 bytes (the socket is left as it was); [`Error::NotFound`] for an unknown name.
///
/// # Examples
/// ```no_run
/// named_websocket::socket_close_with("chat", 4001, "user logged out")?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_close_with(name: &str, code: u16, reason: &str) -> Result<()> {
    check_close(code, reason)?;
    close_named(name, code, reason)
}

fn close_named(name: &str, code: u16, reason: &str) -> Result<()> {
    loop {
        let (ticket, entry) = registry::lookup(name)?;
        // If the blocking connect put its socket in first, close that socket instead.
        if let Entry::Connecting(_) = entry {
            if registry::cancel_connect(name, ticket) {
                return Ok(());
            }
            continue;
        }
        let result = close_entry(entry, code, reason);
        registry::release(name, ticket);
        return result;
    }
}

/// Which socket holds this name now: compare it with the `socket` of an [`Event::Close`]
/// before acting on the name, since a name may be reused as soon as it is closed. Never
/// blocks.
///
/// # Errors
/// [`Error::NotFound`] when no socket holds the name.
///
/// # Examples
/// ```no_run
/// use named_websocket::{socket_close, socket_id, Event};
///
/// fn on_event(name: &str, event: Event) {
///     if let Event::Close { ended: true, socket, .. } = event {
///         // Free the name of a socket that ended by itself, but not a newer socket's.
///         if socket_id(name).ok() == Some(socket) {
///             let _ = socket_close(name);
///         }
///     }
/// }
/// ```
pub fn socket_id(name: &str) -> Result<SocketId> {
    registry::lookup(name).map(|(ticket, _)| SocketId::new(ticket))
}

/// Tells whether a socket holds this name (WLanguage `SocketExist`).
///
/// As in WLanguage, the name stays taken after the server closed the connection or the link
/// broke, until [`socket_close`]; use [`socket_state`] to tell a live socket from a dead one.
/// Never blocks on the network.
///
/// # Examples
/// ```
/// assert!(!named_websocket::socket_exist("no such socket"));
/// ```
pub fn socket_exist(name: &str) -> bool {
    registry::contains(name)
}

/// The state of the named socket: connecting, open, closing, closed.
///
/// Never blocks on the network. A blocking socket learns that the server closed or the link
/// broke when it reads or writes, so until then it may still report [`State::Open`];
/// asynchronous sockets, whose worker is always reading, report it as it happens.
///
/// # Errors
/// [`Error::NotFound`] for an unknown name.
///
/// # Examples
/// ```no_run
/// use named_websocket::{socket_state, State};
/// if socket_state("chat")? == State::Closed {
///     named_websocket::socket_close("chat")?;
/// }
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_state(name: &str) -> Result<State> {
    Ok(match entry(name)? {
        Entry::Connecting(_) => State::Connecting,
        Entry::Blocking(socket) => socket.state(),
        Entry::Worker(socket) => socket.state(),
    })
}

/// The subprotocol the server selected for the named socket, if any.
///
/// Never blocks on the network.
///
/// # Errors
/// [`Error::NotFound`] for an unknown name; [`Error::NotOpen`] while it connects.
///
/// # Examples
/// ```no_run
/// use named_websocket::{socket_protocol, websocket_client_connect};
/// websocket_client_connect("bus", "127.0.0.1", 1883, "/mqtt", "mqtt")?;
/// assert_eq!(socket_protocol("bus")?.as_deref(), Some("mqtt"));
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_protocol(name: &str) -> Result<Option<String>> {
    match opened(name)? {
        Opened::Blocking(socket) => Ok(socket.protocol().map(str::to_owned)),
        Opened::Worker(socket) => socket.protocol(),
    }
}

/// Where the named connection goes, what it negotiated, and its traffic so far: state, URL,
/// subprotocol, the server's handshake headers, messages and bytes in and out, the time of the
/// last traffic, the peer's and the local address (WLanguage's `SocketClientInfo`), the TLS
/// version, the close code and reason once closed, and the last ping's round trip.
///
/// Answers in every state, with what is known: while the socket connects for the first time,
/// its state and URL; while it reconnects, the connection that was lost (state
/// `Reconnecting`); once closed, the last connection. Never blocks on the network.
///
/// # Errors
/// [`Error::NotFound`] for an unknown name.
///
/// # Examples
/// ```no_run
/// let info = named_websocket::socket_info("chat")?;
/// println!("{}: {} messages in, {} out, peer {:?}",
///     info.state, info.messages_received, info.messages_sent, info.peer_addr);
/// if let Some(last) = info.last_traffic {
///     println!("idle for {:?}", last.elapsed());
/// }
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_info(name: &str) -> Result<ConnectionInfo> {
    Ok(match entry(name)? {
        Entry::Connecting(url) => ConnectionInfo::not_connected(State::Connecting, &url),
        Entry::Blocking(socket) => socket.info(),
        Entry::Worker(socket) => socket.info(),
    })
}

/// Sends a ping on the named socket and waits for the peer's pong, at most `timeout`;
/// returns the round trip. The round trip of the last ping answered (this one, or a keepalive
/// ping) is also in [`socket_info`]'s [`ConnectionInfo::round_trip`].
///
/// Blocks until the pong arrives or `timeout` passes. On a blocking socket it reads the
/// connection meanwhile unless another thread is reading it; messages that arrive meanwhile are
/// kept, in order, for the next reads (up to 1 MiB of them: the pong behind more is seen only
/// by a read that takes them, else the ping times out). On a socket run by a worker (asynchronous, or with
/// keepalive or reconnect) the worker reads the pong. For a GUI thread, use a short timeout.
///
/// # Errors
/// [`Error::NotFound`] for an unknown name; [`Error::NotOpen`] while it connects or
/// reconnects; [`Error::Timeout`]`(`[`Timeout::Pong`](crate::Timeout::Pong)`)` when no pong
/// came in time (the socket stays usable); [`Error::Closed`] once the connection is closed.
///
/// # Examples
/// ```no_run
/// use std::time::Duration;
/// let round_trip = named_websocket::socket_ping("chat", Duration::from_secs(2))?;
/// println!("the server answered in {round_trip:?}");
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_ping(name: &str, timeout: Duration) -> Result<Duration> {
    match opened(name)? {
        Opened::Blocking(socket) => socket.ping(timeout),
        Opened::Worker(socket) => socket.ping(timeout),
    }
}

/// A handle on the named socket, for code that prefers methods to names.
///
/// The handle and the name share one connection; closing either closes both, but only
/// [`socket_close`] frees the name.
///
/// # Errors
/// [`Error::NotFound`] for an unknown name; [`Error::NotOpen`] while it connects;
/// [`Error::WrongMode`] for an asynchronous socket, or a blocking one with keepalive or
/// reconnect, whose worker is its only reader.
///
/// # Examples
/// ```no_run
/// let socket = named_websocket::socket_handle("chat")?;
/// socket.write("from a handle")?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn socket_handle(name: &str) -> Result<Socket> {
    match opened(name)? {
        Opened::Blocking(socket) => Ok(socket),
        Opened::Worker(socket) if socket.is_asynchronous() => Err(Error::asynchronous(name)),
        Opened::Worker(_) => Err(Error::WrongMode(
            format!(
                "socket {name:?} has keepalive or reconnect: its worker thread is its only \
                 reader; use socket_read"
            )
            .into(),
        )),
    }
}

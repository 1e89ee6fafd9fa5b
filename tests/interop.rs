//! Interoperability with independent WebSocket servers: the Python `websockets` library and the
//! Node `ws` library, each run from `scripts/interop-servers/` on 127.0.0.1.
//!
//! Every check runs once per peer (`echo::python`, `echo::node`, …), against a server process
//! of its own that the test starts and kills.
//!
//! These tests need programs that cargo does not install, so a plain `cargo test` lists them
//! as ignored (with the reason) rather than passing them without running them.
//! `scripts/interop.sh`, which CI runs, installs both peers and runs them with
//! `--include-ignored`; by hand, once the peers are installed:
//! `cargo test --test interop -- --include-ignored`. Whenever they run, a peer that is not
//! installed is a failure that says so, never a silent pass.
//!
//! Environment:
//! - `NAMED_WEBSOCKET_PYTHON`: the Python interpreter that has `websockets` (default `python3`;
//!   `scripts/interop.sh` sets its virtualenv's);
//! - `NAMED_WEBSOCKET_NODE`: the Node interpreter (default `node`); `ws` must be installed in
//!   `scripts/interop-servers/node_modules`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use named_websocket::{
    socket_close, socket_exist, socket_info, socket_protocol, socket_read_timeout, socket_write,
    websocket_client_connect, websocket_client_connect_with, Compression, ConnectOptions, Error,
    Message,
};

/// How long a test waits for a server's port line or a message before calling it hung: a guard,
/// not a synchronisation.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// An independent server implementation.
#[derive(Debug, Clone, Copy)]
enum Peer {
    /// `scripts/interop-servers/python_server.py`, on the `websockets` package.
    Python,
    /// `scripts/interop-servers/node_server.js`, on the `ws` package.
    Node,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::Python => "python websockets",
            Peer::Node => "node ws",
        }
    }

    /// The command that starts this peer's server, or why it cannot be started.
    fn command(self) -> Result<Command, String> {
        let dir = servers_dir();
        match self {
            Peer::Python => {
                let python =
                    std::env::var("NAMED_WEBSOCKET_PYTHON").unwrap_or_else(|_| "python3".into());
                // websockets 13 brought the asyncio API the server uses.
                let probe = Command::new(&python)
                    .args(["-c", "import websockets.asyncio.server"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                match probe {
                    Ok(status) if status.success() => {}
                    Ok(_) => {
                        return Err(format!("{python} cannot import websockets (13 or later)"))
                    }
                    Err(e) => return Err(format!("cannot run {python}: {e}")),
                }
                let mut command = Command::new(python);
                command.arg("-u").arg(dir.join("python_server.py"));
                Ok(command)
            }
            Peer::Node => {
                let node = std::env::var("NAMED_WEBSOCKET_NODE").unwrap_or_else(|_| "node".into());
                let ws = dir.join("node_modules").join("ws").join("package.json");
                if !ws.is_file() {
                    return Err(format!("{} is missing", ws.display()));
                }
                let probe = Command::new(&node)
                    .arg("--version")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                match probe {
                    Ok(status) if status.success() => {}
                    Ok(_) => return Err(format!("{node} --version failed")),
                    Err(e) => return Err(format!("cannot run {node}: {e}")),
                }
                let mut command = Command::new(node);
                command.arg(dir.join("node_server.js"));
                Ok(command)
            }
        }
    }
}

fn servers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/interop-servers")
}

/// A running peer server; dropping it kills the process.
struct PeerServer {
    peer: Peer,
    child: Child,
    port: u16,
    /// Held open: the server exits by itself when it reaches end of file (the test died).
    _stdin: ChildStdin,
    /// Held open, so that the server never writes into a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `peer`'s server on a free port of 127.0.0.1. Panics, saying what is missing, when the
/// peer is not installed.
fn start(peer: Peer) -> PeerServer {
    start_with(peer, &[])
}

/// [`start`], with more arguments for the server (`--deflate MODE`).
fn start_with(peer: Peer, extra: &[&str]) -> PeerServer {
    let mut command = peer.command().unwrap_or_else(|why| {
        panic!(
            "{} is not installed ({why}): scripts/interop.sh installs it",
            peer.name()
        )
    });
    let mut child = command
        .args(["0", "--until-stdin-closes"])
        .args(extra)
        .current_dir(servers_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the {} server: {e}", peer.name()));
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");

    // The first line of stdout is the port, printed once the server listens.
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let result = stdout.read_line(&mut line).map(|_| line);
        let _ = sender.send((result, stdout));
    });
    let mut server = ServerStart { child: Some(child) };
    let (line, stdout) = receiver
        .recv_timeout(HANG_GUARD)
        .unwrap_or_else(|_| panic!("the {} server printed no port", peer.name()));
    let line = line.unwrap_or_else(|e| panic!("reading the {} server's port: {e}", peer.name()));
    let port = line.trim().parse().unwrap_or_else(|_| {
        panic!(
            "the {} server's first line is not a port: {line:?}",
            peer.name()
        )
    });
    PeerServer {
        peer,
        child: server.child.take().expect("child"),
        port,
        _stdin: stdin,
        _stdout: stdout,
    }
}

/// Kills the child when `start` panics before the `PeerServer` guard exists.
struct ServerStart {
    child: Option<Child>,
}

impl Drop for ServerStart {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A socket name that no other test of this process uses.
fn unique_name(prefix: &str, peer: Peer) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let peer = match peer {
        Peer::Python => "python",
        Peer::Node => "node",
    };
    format!("interop-{prefix}-{peer}-{}-{n}", std::process::id())
}

fn read(name: &str) -> Message {
    socket_read_timeout(name, HANG_GUARD).unwrap_or_else(|e| panic!("{name}: read failed: {e}"))
}

/// Connects `name` to `path` on the server, with no subprotocol.
fn connect(server: &PeerServer, name: &str, path: &str) {
    websocket_client_connect(name, "127.0.0.1", server.port, path, "")
        .unwrap_or_else(|e| panic!("{}: connect to {path} failed: {e}", server.peer.name()));
}

fn echo(peer: Peer) {
    let server = start(peer);
    let name = unique_name("echo", peer);
    connect(&server, &name, "/echo");
    let messages = [
        Message::from("Bonjour le monde !"),
        Message::from(""),
        Message::from(vec![0u8, 1, 2, 255]),
        Message::from(Vec::new()),
        Message::from("é€𝄞".repeat(50_000)),
        Message::from((0..=255u8).cycle().take(200_000).collect::<Vec<u8>>()),
    ];
    for message in messages {
        socket_write(&name, message.clone()).unwrap();
        let reply = read(&name);
        assert_eq!(reply.is_text(), message.is_text(), "{}", peer.name());
        assert_eq!(reply, message, "{}", peer.name());
    }
    socket_close(&name).unwrap();
    assert!(!socket_exist(&name));
}

fn big_binary_message(peer: Peer) {
    let server = start(peer);
    let name = unique_name("big", peer);
    connect(&server, &name, "/echo");
    // 16 MiB: the default frame limit, which a frame may reach; the echo comes in one frame.
    let big: Vec<u8> = (0..16usize << 20).map(|i| (i % 251) as u8).collect();
    socket_write(&name, big.clone()).unwrap();
    let reply = read(&name);
    assert!(!reply.is_text(), "{}", peer.name());
    assert_eq!(reply.len(), big.len(), "{}", peer.name());
    assert!(reply.as_bytes() == big.as_slice(), "{}", peer.name());
    socket_close(&name).unwrap();
}

fn subprotocol(peer: Peer) {
    let server = start(peer);
    let name = unique_name("protocol", peer);
    websocket_client_connect(
        &name,
        "127.0.0.1",
        server.port,
        "/protocol",
        "chat.v1, chat.v2",
    )
    .unwrap_or_else(|e| panic!("{}: {e}", peer.name()));
    assert_eq!(
        socket_protocol(&name).unwrap().as_deref(),
        Some("chat.v2"),
        "{}",
        peer.name()
    );
    assert_eq!(read(&name).as_text(), Some("selected chat.v2"));
    socket_close(&name).unwrap();

    // Without chat.v2 the server refuses the upgrade, and the name is free again.
    let refused = unique_name("protocol-refused", peer);
    let error =
        websocket_client_connect(&refused, "127.0.0.1", server.port, "/protocol", "chat.v1")
            .expect_err("the server must refuse a handshake without chat.v2");
    assert_eq!(error.http_status(), Some(400), "{}: {error}", peer.name());
    assert!(!socket_exist(&refused));
}

fn server_closes(peer: Peer) {
    let server = start(peer);
    let name = unique_name("close", peer);
    connect(&server, &name, "/close");
    for expected in ["m1", "m2", "m3"] {
        assert_eq!(read(&name).as_text(), Some(expected), "{}", peer.name());
    }
    let error = socket_read_timeout(&name, HANG_GUARD).expect_err("the server closed");
    assert!(error.is_closed(), "{}: {error}", peer.name());
    assert_eq!(error.close_code(), Some(4000), "{}: {error}", peer.name());
    match &error {
        Error::Closed(info) => assert_eq!(info.reason, "bye", "{}", peer.name()),
        other => panic!("{}: not a closed error: {other}", peer.name()),
    }
    // Later reads and writes report the same close.
    let again = socket_write(&name, "too late").expect_err("closed");
    assert_eq!(again.close_code(), Some(4000), "{}: {again}", peer.name());
    assert!(
        socket_exist(&name),
        "the name stays taken until socket_close"
    );
    socket_close(&name).unwrap();
    assert!(!socket_exist(&name));
}

fn server_pings(peer: Peer) {
    let server = start(peer);
    let name = unique_name("ping", peer);
    connect(&server, &name, "/ping");
    // The server sends this only after our pong (with its ping's payload) came back.
    assert_eq!(
        read(&name).as_text(),
        Some("pong received"),
        "{}",
        peer.name()
    );
    socket_close(&name).unwrap();
}

/// Echoes text and binary messages of 0 B to 300 KB through `/echo` of a server started with
/// `server_args`, offering `compression`; returns what was agreed. Both directions must have
/// been compressed when something was agreed.
fn compressed_echo_with(
    peer: Peer,
    server_args: &[&str],
    compression: Compression,
) -> Option<String> {
    let server = start_with(peer, server_args);
    let name = unique_name("deflate", peer);
    let url = format!("ws://127.0.0.1:{}/echo", server.port);
    let options = ConnectOptions::new().compression(compression);
    websocket_client_connect_with(&name, &url, &options)
        .unwrap_or_else(|e| panic!("{} {server_args:?}: {e}", peer.name()));
    let json = r#"{"symbol":"ETH-USD","bid":"3141.59","ask":"3141.61","volume":"12873.4"}"#;
    let messages = [
        Message::from(""),
        Message::from("short"),
        Message::from(json),
        Message::from(json.repeat(40)),
        Message::from(vec![0u8; 70_000]),
        Message::from((0..=255u8).cycle().take(300_000).collect::<Vec<u8>>()),
        Message::from("é€𝄞 ".repeat(30_000)),
        Message::from(json.repeat(40)),
    ];
    for message in messages {
        socket_write(&name, message.clone()).unwrap();
        assert_eq!(read(&name), message, "{} {server_args:?}", peer.name());
    }
    let info = socket_info(&name).unwrap();
    println!("{} {server_args:?}: {:?}", peer.name(), info.extensions);
    if info.extensions.is_some() {
        assert!(info.bytes_sent_compressed < info.bytes_sent_uncompressed);
        assert!(info.bytes_received_compressed < info.bytes_received_uncompressed);
    }
    socket_close(&name).unwrap();
    info.extensions
}

/// The server's default compression (Python websockets enables it; Node ws is asked to).
fn compressed_echo(peer: Peer) {
    let args: &[&str] = match peer {
        Peer::Python => &[],
        Peer::Node => &["--deflate", "default"],
    };
    let agreed = compressed_echo_with(peer, args, Compression::new()).expect("agreed");
    if let Peer::Python = peer {
        assert_eq!(
            agreed,
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
        );
    }
}

/// The server resets both contexts and uses a 4 KiB window.
fn compressed_no_context_takeover(peer: Peer) {
    let agreed = compressed_echo_with(peer, &["--deflate", "nct12"], Compression::new());
    assert_eq!(
        agreed.as_deref(),
        Some(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=12; client_max_window_bits=15"
        ),
        "{}",
        peer.name()
    );
}

/// The server asks for small windows both ways.
fn compressed_small_windows(peer: Peer) {
    let (mode, bits) = match peer {
        Peer::Python => ("cmwb9", 9),
        Peer::Node => ("cmwb10", 10),
    };
    let agreed = compressed_echo_with(peer, &["--deflate", mode], Compression::new());
    assert_eq!(
        agreed,
        Some(format!(
            "permessage-deflate; server_max_window_bits={bits}; client_max_window_bits={bits}"
        )),
        "{}",
        peer.name()
    );
}

/// Windows of 8 bits: Python asks it of us; of Node we ask it, at level 9.
fn compressed_eight_bit_windows(peer: Peer) {
    let agreed = match peer {
        Peer::Python => compressed_echo_with(peer, &["--deflate", "cmwb8"], Compression::new()),
        Peer::Node => compressed_echo_with(
            peer,
            &["--deflate", "default"],
            Compression::new().server_max_window_bits(Some(8)).level(9),
        ),
    };
    let agreed = agreed.expect("agreed");
    let expected = match peer {
        Peer::Python => "client_max_window_bits=8",
        Peer::Node => "server_max_window_bits=8",
    };
    assert!(agreed.contains(expected), "{}: {agreed}", peer.name());
}

/// Our offer with every parameter, against the server's default settings.
fn compressed_every_parameter_offered(peer: Peer) {
    let args: &[&str] = match peer {
        Peer::Python => &[],
        Peer::Node => &["--deflate", "default"],
    };
    let compression = Compression::new()
        .server_no_context_takeover(true)
        .client_no_context_takeover(true)
        .server_max_window_bits(Some(10))
        .client_max_window_bits(Some(11));
    let agreed = compressed_echo_with(peer, args, compression).expect("agreed");
    assert!(
        agreed.starts_with(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits="
        ),
        "{}: {agreed}",
        peer.name()
    );
}

/// A server with compression off declines the offer; messages go uncompressed.
fn compression_declined(peer: Peer) {
    let args: &[&str] = match peer {
        Peer::Python => &["--deflate", "off"],
        Peer::Node => &[],
    };
    assert_eq!(compressed_echo_with(peer, args, Compression::new()), None);
}

/// One test per peer for each check: `check::python` and `check::node`, ignored unless asked
/// for (see the top of this file).
macro_rules! per_peer {
    ($($check:ident),* $(,)?) => {$(
        mod $check {
            #[test]
            #[ignore = "needs Python websockets: run scripts/interop.sh"]
            fn python() {
                super::$check(super::Peer::Python);
            }

            #[test]
            #[ignore = "needs Node ws: run scripts/interop.sh"]
            fn node() {
                super::$check(super::Peer::Node);
            }
        }
    )*};
}

per_peer!(
    echo,
    big_binary_message,
    subprotocol,
    server_closes,
    server_pings,
    compressed_echo,
    compressed_no_context_takeover,
    compressed_small_windows,
    compressed_eight_bit_windows,
    compressed_every_parameter_offered,
    compression_declined,
);

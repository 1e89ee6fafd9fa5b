//! Each error a newcomer meets, provoked against a loopback peer, and the sentence it prints:
//! what happened, and what to do when there is something to do. docs/errors.md lists them.

mod common;

use std::io::Write as _;
use std::net::TcpStream;

use common::*;
use named_websocket::*;

/// The error of a blocking connect to `url` with `protocols` offered.
fn connect_error(url: &str, protocols: &str) -> Error {
    let options = ConnectOptions::new().protocols(protocols);
    Socket::connect_with(url, &options).unwrap_err()
}

/// A server that answers the upgrade request with `answer`, verbatim.
fn answering(answer: &'static str) -> Server<String> {
    http_response_server(1, answer)
}

#[test]
fn a_server_that_takes_none_of_the_offered_subprotocols() {
    let server = ws_server_with(1, select_protocol(None), echo);
    let error = connect_error(&server.ws_url("/"), "chat, superchat");
    assert!(matches!(error, Error::Subprotocol(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the server accepted none of the subprotocols offered (\"chat\", \"superchat\"): check \
         the protocols you pass, or pass none if the server uses none"
    );
    server.join();
}

#[test]
fn a_server_that_chooses_a_subprotocol_nobody_offered() {
    let server = ws_server_with(1, select_protocol(Some("chat")), echo);
    let error = connect_error(&server.ws_url("/"), "");
    assert_eq!(
        error.to_string(),
        "the server chose a subprotocol although none was offered: pass the one it expects in \
         the protocols"
    );
    server.join();
}

#[test]
fn an_http_1_0_server() {
    let server = answering("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    let error = connect_error(&server.ws_url("/"), "");
    assert_eq!(
        error.to_string(),
        "WebSocket handshake failed: the server answered in HTTP/1.0, which cannot carry a \
         WebSocket: is this URL a WebSocket endpoint, and does every proxy in between pass \
         WebSocket upgrades?"
    );
    server.join();
}

#[test]
fn a_switch_without_the_upgrade_header() {
    let server = answering("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n");
    let error = connect_error(&server.ws_url("/"), "");
    assert_eq!(
        error.to_string(),
        "WebSocket handshake failed: the server's answer lacks \"Upgrade: websocket\": is this \
         URL a WebSocket endpoint, and does every proxy in between pass WebSocket upgrades?"
    );
    server.join();
}

#[test]
fn a_refusal_names_the_status_and_its_meaning() {
    let server = answering(
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nno route\r\n",
    );
    let error = connect_error(&server.ws_url("/chat"), "");
    assert_eq!(
        error.to_string(),
        "the server refused the WebSocket upgrade: HTTP 404 Not Found: no route"
    );
    assert_eq!(error.http_status(), Some(404));
    server.join();
}

#[test]
fn nothing_listening() {
    let port = closed_port();
    let error = connect_error(&format!("ws://127.0.0.1:{port}/"), "");
    assert_eq!(
        error.to_string(),
        format!(
            "connection refused by 127.0.0.1:{port}: nothing listens there (is the server \
             running, on that port?)"
        )
    );
}

#[test]
fn a_write_to_a_closed_name_says_closing_freed_it() {
    let server = ws_server(1, echo);
    let name = unique_name("freed");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    socket_close(&name).unwrap();
    let error = socket_write(&name, "late").unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "no socket named {name:?}: it was never connected, or it was closed (closing a \
             socket frees its name)"
        )
    );
    server.join();
}

#[test]
fn a_write_while_connecting_says_to_wait_for_open() {
    let server = silent_server();
    let name = unique_name("not-yet");
    let events =
        websocket_client_connect_polled(&name, &server.ws_url("/"), &ConnectOptions::new())
            .unwrap();
    let error = socket_write(&name, "early").unwrap_err();
    assert_eq!(
        error.to_string(),
        "the socket is connecting, not open yet: try again after its Open event"
    );
    socket_close(&name).unwrap();
    drop(events);
}

#[test]
fn a_server_that_sets_reserved_bits() {
    let server = ws_server(1, |ws: tungstenite::WebSocket<TcpStream>| {
        let mut tcp = ws.into_inner();
        // A text frame "hi" with RSV1 set: no extension was agreed.
        let _ = tcp.write_all(&[0xC1, 0x02, b'h', b'i']);
        let _ = tcp.flush();
        let mut rest = Vec::new();
        let _ = std::io::Read::read_to_end(&mut tcp, &mut rest);
    });
    let socket = Socket::connect(&server.ws_url("/")).unwrap();
    let error = socket.read_timeout(HANG_GUARD).unwrap_err();
    assert!(matches!(error, Error::Protocol(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "WebSocket protocol violation: the server set reserved bits (an extension that was not \
         agreed)"
    );
    drop(socket);
    server.join();
}

#[test]
fn a_server_that_hangs_up_before_answering() {
    let server = raw_server(1, |mut stream| {
        read_request_head(&mut stream);
    });
    let error = connect_error(&server.ws_url("/"), "");
    assert!(matches!(error, Error::Handshake(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "WebSocket handshake failed: the server closed the connection before answering the \
         upgrade"
    );
    server.join();
}

#[test]
fn a_name_already_taken() {
    let server = ws_server(1, echo);
    let name = unique_name("taken");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    let error = websocket_client_connect_url(&name, &server.ws_url("/")).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "socket name {name:?} is already in use: close that socket first, or choose another \
             name"
        )
    );
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn a_ping_nobody_answers() {
    let (held, release) = gate();
    let server = ws_server(1, move |ws: tungstenite::WebSocket<TcpStream>| {
        // Reads nothing, so answers no ping, until released.
        held.wait();
        drop(ws);
    });
    let socket = Socket::connect(&server.ws_url("/")).unwrap();
    let error = socket
        .ping(std::time::Duration::from_millis(50))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the server did not answer our ping in time"
    );
    drop(release);
    drop(socket);
    server.join();
}

#[test]
fn a_connect_that_outlasts_its_timeout() {
    let server = silent_server();
    let options = ConnectOptions::new().connect_timeout(std::time::Duration::from_millis(100));
    let error = Socket::connect_with(&server.ws_url("/"), &options).unwrap_err();
    assert_eq!(
        error.to_string(),
        "WebSocket handshake timed out (ConnectOptions::connect_timeout bounds the whole connect)"
    );
}

//! Checks the loopback test servers in `tests/common` with a plain tungstenite client, so a
//! failing library test can be trusted to be about the library, not the fixtures.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use common::*;
use tungstenite::client::IntoClientRequest;
use tungstenite::error::{Error, ProtocolError, SubProtocolError};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::{Message, WebSocket};

/// Hang guard for client reads in these tests (never used to wait for anything).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

fn tcp(addr: std::net::SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to test server");
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    stream
}

/// Sends a close frame and reads until the server's close reply has arrived.
fn close_cleanly<S: Read + Write>(ws: &mut WebSocket<S>, code: u16, reason: &str) {
    ws.close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }))
    .expect("send close");
    loop {
        match ws.read() {
            Ok(Message::Close(_)) | Ok(_) => continue,
            Err(Error::ConnectionClosed) => break,
            Err(e) => panic!("unexpected error while closing: {e}"),
        }
    }
}

/// Text and binary round trip, then checks both messages come back with their type.
fn round_trip<S: Read + Write>(ws: &mut WebSocket<S>) {
    ws.send(Message::text("hello")).unwrap();
    assert_eq!(ws.read().unwrap(), Message::text("hello"));
    ws.send(Message::binary(vec![1u8, 2, 3])).unwrap();
    assert_eq!(ws.read().unwrap(), Message::binary(vec![1u8, 2, 3]));
}

#[test]
fn unique_names_differ() {
    let a = unique_name("sock");
    let b = unique_name("sock");
    assert_ne!(a, b);
    assert!(a.starts_with("sock-"));
    assert!(a.contains(&std::process::id().to_string()));
}

#[test]
fn echo_round_trip_and_close_code() {
    let server = ws_server(1, echo);
    assert!(server.ws_url("/echo").starts_with("ws://127.0.0.1:"));
    let (mut ws, _response) =
        tungstenite::client(server.ws_url("/echo"), tcp(server.addr)).expect("handshake");
    round_trip(&mut ws);
    close_cleanly(&mut ws, 4001, "bye");
    let stats = server.join();
    assert_eq!(
        stats,
        vec![Some(EchoStats {
            messages: 2,
            close_code: Some(4001),
            close_reason: "bye".to_owned(),
        })]
    );
}

#[test]
fn echo_tolerates_dropped_tcp() {
    let server = ws_server(1, echo);
    let (mut ws, _) = tungstenite::client(server.ws_url("/"), tcp(server.addr)).unwrap();
    ws.send(Message::text("one")).unwrap();
    assert_eq!(ws.read().unwrap(), Message::text("one"));
    drop(ws); // no close frame
    let stats = server.join();
    assert_eq!(stats[0].as_ref().unwrap().messages, 1);
    assert_eq!(stats[0].as_ref().unwrap().close_code, None);
}

#[test]
fn several_connections_each_get_a_handler() {
    let server = ws_server(2, echo);
    for _ in 0..2 {
        let (mut ws, _) = tungstenite::client(server.ws_url("/"), tcp(server.addr)).unwrap();
        round_trip(&mut ws);
        close_cleanly(&mut ws, 1000, "");
    }
    let stats = server.join();
    assert_eq!(stats.len(), 2);
    for s in stats {
        assert_eq!(s.unwrap().close_code, Some(1000));
    }
}

#[test]
fn join_returns_results_in_accept_order() {
    let server = raw_server(3, |mut stream| {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).unwrap();
        byte[0]
    });
    // Connect all three first (accept order = connect order), then write in reverse.
    let mut clients: Vec<TcpStream> = (0..3).map(|_| tcp(server.addr)).collect();
    for (client, byte) in clients.iter_mut().zip([b'a', b'b', b'c']).rev() {
        client.write_all(&[byte]).unwrap();
    }
    assert_eq!(server.join(), vec![b'a', b'b', b'c']);
}

#[test]
fn join_propagates_handler_panic() {
    let server = raw_server(1, |_stream| -> () { panic!("boom in handler") });
    let _client = tcp(server.addr);
    let payload = panic::catch_unwind(AssertUnwindSafe(|| server.join())).unwrap_err();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or_default();
    assert_eq!(message, "boom in handler");
}

#[test]
fn first_offered_protocol_is_selected() {
    let server = ws_server_with_request(1, echo_first_offered_protocol(), |head, ws| {
        assert_eq!(head.uri, "/chat?room=1");
        assert_eq!(head.offered_protocols(), vec!["chat", "superchat"]);
        echo(ws)
    });
    let mut request = server.ws_url("/chat?room=1").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "chat, superchat".parse().unwrap());
    let (mut ws, response) = tungstenite::client(request, tcp(server.addr)).unwrap();
    assert_eq!(
        response.headers().get("Sec-WebSocket-Protocol").unwrap(),
        "chat"
    );
    close_cleanly(&mut ws, 1000, "");
    assert_eq!(server.join()[0].as_ref().unwrap().close_code, Some(1000));
}

#[test]
fn no_protocol_offered_means_none_selected() {
    let server = ws_server_with(1, echo_first_offered_protocol(), echo);
    let (mut ws, response) = tungstenite::client(server.ws_url("/"), tcp(server.addr)).unwrap();
    assert!(response.headers().get("Sec-WebSocket-Protocol").is_none());
    close_cleanly(&mut ws, 1000, "");
    assert!(server.join()[0].is_some());
}

#[test]
fn unoffered_protocol_is_rejected_by_client() {
    let server = ws_server_with(1, select_protocol(Some("not-offered")), echo);
    let mut request = server.ws_url("/").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "chat".parse().unwrap());
    let err = tungstenite::client(request, tcp(server.addr)).unwrap_err();
    assert!(
        matches!(
            err,
            tungstenite::HandshakeError::Failure(Error::Protocol(
                ProtocolError::SecWebSocketSubProtocolError(SubProtocolError::InvalidSubProtocol)
            ))
        ),
        "{err}"
    );
    // The server side completed its handshake; echo then saw the connection dropped.
    let stats = server.join();
    assert_eq!(stats[0].as_ref().unwrap().close_code, None);
}

#[test]
fn rejected_handshake_yields_none() {
    let server = ws_server_with(1, reject_with_status(403), echo);
    let err = tungstenite::client(server.ws_url("/"), tcp(server.addr)).unwrap_err();
    match err {
        tungstenite::HandshakeError::Failure(Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected HTTP 403, got {other}"),
    }
    assert_eq!(server.join(), vec![None]);
}

#[test]
fn http_404_server() {
    let server = http_response_server(
        1,
        "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here!",
    );
    let err = tungstenite::client(server.ws_url("/missing"), tcp(server.addr)).unwrap_err();
    match err {
        tungstenite::HandshakeError::Failure(Error::Http(response)) => {
            assert_eq!(response.status(), 404)
        }
        other => panic!("expected HTTP 404, got {other}"),
    }
    let heads = server.join();
    assert!(
        heads[0].starts_with("GET /missing HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
    assert!(heads[0].ends_with("\r\n\r\n"));
    assert!(heads[0].to_ascii_lowercase().contains("upgrade: websocket"));
}

#[test]
fn wrong_accept_is_rejected_by_client() {
    let server = wrong_accept_server(1);
    let err = tungstenite::client(server.ws_url("/"), tcp(server.addr)).unwrap_err();
    assert!(
        matches!(
            err,
            tungstenite::HandshakeError::Failure(Error::Protocol(
                ProtocolError::SecWebSocketAcceptKeyMismatch
            ))
        ),
        "{err}"
    );
    server.join();
}

#[test]
fn silent_server_never_answers() {
    let server = silent_server();
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let err = stream.read(&mut [0u8; 16]).unwrap_err();
    assert!(is_timeout(&err), "{err:?}");

    // A WebSocket handshake against it times out as well.
    let ws_stream = TcpStream::connect(server.addr).unwrap();
    ws_stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    match tungstenite::client(server.ws_url("/"), ws_stream).unwrap_err() {
        tungstenite::HandshakeError::Failure(Error::Io(e)) => assert!(is_timeout(&e), "{e:?}"),
        // With a blocking stream, a WouldBlock read surfaces as an interrupted handshake.
        tungstenite::HandshakeError::Interrupted(_) => {}
        other => panic!("expected a timeout, got {other}"),
    }

    // Dropping the server closes the connections it held: the read ends without timing out.
    drop(server);
    stream.set_read_timeout(Some(CLIENT_TIMEOUT)).unwrap();
    match stream.read(&mut [0u8; 16]) {
        Ok(n) => assert_eq!(n, 0),
        Err(e) => assert!(!is_timeout(&e), "still open after drop: {e:?}"),
    }
}

#[test]
fn closed_port_refuses() {
    let port = closed_port();
    let err = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn tls_fixture_is_cached_and_well_formed() {
    let a = tls_fixture();
    let b = tls_fixture();
    assert_eq!(a.cert_der, b.cert_der);
    assert!(a.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(a.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
}

#[test]
fn tls_echo_round_trip() {
    let fixture = tls_fixture();
    let server = tls_ws_server(&fixture, 1, echo);
    assert!(server.wss_url("/x").starts_with("wss://localhost:"));

    // By host name, as the library will do for wss://localhost:PORT.
    let tls = tls_connect(&fixture, server.addr).expect("TLS handshake");
    let (mut ws, _) = tungstenite::client(server.wss_url("/x"), tls).expect("WS handshake");
    round_trip(&mut ws);
    close_cleanly(&mut ws, 1000, "done");

    let stats = server.join();
    let first = stats[0].clone().unwrap();
    assert_eq!((first.messages, first.close_code), (2, Some(1000)));
    assert_eq!(first.close_reason, "done");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Wine's crypt32 matches a server name against DNS names only, not IP addresses"
)]
fn tls_round_trip_by_ip_address() {
    let fixture = tls_fixture();
    let server = tls_ws_server(&fixture, 1, echo);
    // The certificate also carries 127.0.0.1 as a SAN.
    let tls = fixture
        .connector()
        .connect("127.0.0.1", tcp(server.addr))
        .expect("TLS handshake by IP");
    let (mut ws, _) = tungstenite::client(server.wss_url("/y"), tls).unwrap();
    round_trip(&mut ws);
    close_cleanly(&mut ws, 1000, "");
    assert!(server.join()[0].is_some());
}

#[test]
fn tls_rejected_certificate_yields_none() {
    let fixture = tls_fixture();
    let server = tls_ws_server(&fixture, 1, echo);
    // A connector that does not trust the self-signed certificate.
    let untrusting = native_tls::TlsConnector::new().unwrap();
    let result = untrusting.connect("localhost", tcp(server.addr));
    assert!(result.is_err(), "untrusted certificate was accepted");
    drop(result);
    assert_eq!(server.join(), vec![None]);
}

//! Every bad input gets its own typed error, and leaves the registry as it was.

#![allow(clippy::result_large_err)] // tungstenite's handshake callback fixes the error type

mod common;

use std::io::Write as _;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use named_websocket::*;

fn short_timeout() -> ConnectOptions {
    ConnectOptions::new().connect_timeout(Duration::from_millis(300))
}

#[test]
fn empty_name_is_an_invalid_argument_in_every_connect_form() {
    let results = [
        websocket_client_connect("", "127.0.0.1", 1, "/", ""),
        websocket_client_connect_ssl("", "127.0.0.1", 1, "/", ""),
        websocket_client_connect_url("", "ws://127.0.0.1:1/"),
        websocket_client_connect_with("", "ws://127.0.0.1:1/", &ConnectOptions::new()),
    ];
    for result in results {
        assert!(
            matches!(result, Err(Error::InvalidArgument(_))),
            "{result:?}"
        );
    }
    assert!(!socket_exist(""));
}

#[test]
fn a_name_with_a_control_character_is_invalid() {
    let result = websocket_client_connect("bad\nname", "127.0.0.1", 1, "/", "");
    assert!(
        matches!(result, Err(Error::InvalidArgument(_))),
        "{result:?}"
    );
}

#[test]
fn a_name_in_use_is_refused_and_the_holder_keeps_working() {
    let server = ws_server(1, echo);
    let name = unique_name("in-use");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    let second = websocket_client_connect_url(&name, &server.ws_url("/"));
    assert!(matches!(second, Err(Error::NameInUse(_))), "{second:?}");
    socket_write(&name, "still mine").unwrap();
    assert_eq!(socket_read(&name).unwrap(), Message::from("still mine"));
    socket_close(&name).unwrap();
    let stats = server.join();
    assert_eq!(stats[0].as_ref().unwrap().messages, 1);
}

#[test]
fn two_threads_racing_for_one_name_exactly_one_wins() {
    for round in 0..10 {
        // The loser is refused before it touches the network, so the server sees one client.
        let server = ws_server(1, echo);
        let url = server.ws_url("/");
        let name = unique_name(&format!("race-{round}"));
        let barrier = Arc::new(Barrier::new(2));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (url, name, barrier) = (url.clone(), name.clone(), Arc::clone(&barrier));
                thread::spawn(move || {
                    barrier.wait();
                    websocket_client_connect_url(&name, &url)
                })
            })
            .collect();
        let results: Vec<_> = racers.into_iter().map(|r| r.join().unwrap()).collect();
        let winners = results.iter().filter(|r| r.is_ok()).count();
        let losers = results
            .iter()
            .filter(|r| matches!(r, Err(Error::NameInUse(_))))
            .count();
        assert_eq!((winners, losers), (1, 1), "round {round}: {results:?}");
        socket_close(&name).unwrap();
        server.join();
    }
}

#[test]
fn an_unknown_name_is_not_found_on_every_function() {
    let name = unique_name("unknown");
    let not_found = |result: Result<()>| assert!(matches!(result, Err(Error::NotFound(_))));
    not_found(socket_write(&name, "x"));
    not_found(socket_read(&name).map(drop));
    not_found(socket_read_timeout(&name, Duration::from_millis(1)).map(drop));
    not_found(socket_try_read(&name).map(drop));
    not_found(socket_close(&name));
    not_found(socket_close_with(&name, 1000, ""));
    not_found(socket_state(&name).map(drop));
    not_found(socket_protocol(&name).map(drop));
    not_found(socket_handle(&name).map(drop));
    assert!(!socket_exist(&name));
}

#[test]
fn an_empty_host_is_invalid_and_takes_no_name() {
    let name = unique_name("empty-host");
    for result in [
        websocket_client_connect(&name, "", 80, "/", ""),
        websocket_client_connect_ssl(&name, "  ", 443, "/", ""),
        websocket_client_connect_url(&name, "ws://"),
    ] {
        assert!(
            matches!(result, Err(Error::InvalidArgument(_))),
            "{result:?}"
        );
    }
    assert!(!socket_exist(&name));
}

#[test]
fn a_proxy_host_that_does_not_resolve_is_named_as_the_proxys() {
    let name = unique_name("proxy-dns");
    let options = ConnectOptions::new().proxy("http://no-such-proxy.invalid:3128");
    let result = websocket_client_connect_with(&name, "ws://127.0.0.1:9/", &options);
    match result {
        Err(error @ Error::Dns(_)) => assert!(
            error
                .to_string()
                .starts_with("could not resolve the proxy's host no-such-proxy.invalid"),
            "{error}"
        ),
        other => panic!("expected a DNS error, got {other:?}"),
    }
    assert!(!socket_exist(&name));
}

#[test]
fn a_host_that_does_not_resolve_is_a_dns_error() {
    // RFC 2606 reserves .invalid: it never resolves.
    let name = unique_name("dns");
    let result = websocket_client_connect(&name, "no-such-host.invalid", 80, "/", "");
    match result {
        Err(Error::Dns(message)) => assert!(message.contains("no-such-host.invalid")),
        other => panic!("expected a DNS error, got {other:?}"),
    }
    assert!(
        !socket_exist(&name),
        "a failed connect leaves no name behind"
    );
}

#[test]
fn a_port_with_nothing_listening_is_connect_refused() {
    let name = unique_name("refused");
    let port = closed_port();
    let error = websocket_client_connect(&name, "127.0.0.1", port, "/", "").unwrap_err();
    assert!(matches!(error, Error::ConnectRefused(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!(
            "connection refused by 127.0.0.1:{port}: nothing listens there (is the server \
             running, on that port?)"
        )
    );
    assert!(!socket_exist(&name));
}

#[test]
fn a_server_that_never_answers_is_a_handshake_timeout() {
    let server = silent_server();
    let name = unique_name("silent");
    let started = Instant::now();
    let result = websocket_client_connect_with(&name, &server.ws_url("/"), &short_timeout());
    let error = result.unwrap_err();
    assert_eq!(error.timeout_phase(), Some(Timeout::Handshake), "{error}");
    assert_eq!(
        error.to_string(),
        "WebSocket handshake timed out (ConnectOptions::connect_timeout bounds the whole connect)"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the deadline held"
    );
    assert!(!socket_exist(&name));
}

#[test]
fn a_tls_server_that_never_answers_is_a_tls_timeout() {
    let server = silent_server();
    let name = unique_name("silent-tls");
    // An address, not "localhost": a slow name lookup must not eat the 300 ms.
    let url = format!("wss://127.0.0.1:{}/", server.port());
    let error = websocket_client_connect_with(&name, &url, &short_timeout()).unwrap_err();
    assert_eq!(error.timeout_phase(), Some(Timeout::Tls), "{error}");
}

#[test]
fn http_404_is_a_handshake_error_with_the_status_and_body() {
    let server = http_response_server(
        1,
        "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here!",
    );
    let name = unique_name("404");
    let error = websocket_client_connect_url(&name, &server.ws_url("/missing")).unwrap_err();
    assert_eq!(error.http_status(), Some(404), "{error}");
    assert!(error.to_string().contains("not here!"), "{error}");
    let request = server.join().remove(0);
    assert!(request.starts_with("GET /missing HTTP/1.1"), "{request}");
    assert!(!socket_exist(&name));
}

#[test]
fn http_200_instead_of_101_is_a_handshake_error() {
    let server = http_response_server(1, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    let error = websocket_client_connect_url(&unique_name("200"), &server.ws_url("/")).unwrap_err();
    assert_eq!(error.http_status(), Some(200), "{error}");
}

#[test]
fn a_wrong_sec_websocket_accept_is_a_handshake_error() {
    let server = wrong_accept_server(1);
    let error =
        websocket_client_connect_url(&unique_name("accept"), &server.ws_url("/")).unwrap_err();
    assert!(matches!(error, Error::Handshake(_)), "{error:?}");
    assert_eq!(error.http_status(), None);
    assert!(
        error.to_string().contains("Sec-WebSocket-Accept"),
        "{error}"
    );
    server.join();
}

#[test]
fn a_protocol_that_was_not_offered_is_rejected() {
    let server = ws_server_with(1, select_protocol(Some("soap")), |_ws| ());
    let name = unique_name("proto-other");
    let result = websocket_client_connect(&name, "127.0.0.1", server.port(), "/", "mqtt");
    assert!(matches!(result, Err(Error::Subprotocol(_))), "{result:?}");
    assert!(!socket_exist(&name));
    server.join();
}

#[test]
fn no_protocol_when_one_was_required_is_rejected() {
    let server = ws_server_with(1, select_protocol(None), |_ws| ());
    let result = websocket_client_connect(
        &unique_name("proto-none"),
        "127.0.0.1",
        server.port(),
        "/",
        "mqtt,soap",
    );
    let error = result.unwrap_err();
    assert!(matches!(error, Error::Subprotocol(_)), "{error:?}");
    assert!(error.to_string().contains("subprotocol"), "{error}");
    server.join();
}

#[test]
fn a_protocol_when_none_was_offered_is_rejected() {
    let server = ws_server_with(1, select_protocol(Some("chat")), |_ws| ());
    let result = websocket_client_connect(
        &unique_name("proto-unasked"),
        "127.0.0.1",
        server.port(),
        "/",
        "",
    );
    assert!(matches!(result, Err(Error::Subprotocol(_))), "{result:?}");
    server.join();
}

#[test]
fn an_invalid_protocol_token_is_refused_before_any_traffic() {
    // Nothing listens on the port: had the connect gone out, this would be ConnectRefused.
    let port = closed_port();
    for protocols in ["two words", "a,,b", "caf\u{e9}", "x;y"] {
        let name = unique_name("proto-token");
        let result = websocket_client_connect(&name, "127.0.0.1", port, "/", protocols);
        assert!(
            matches!(result, Err(Error::InvalidArgument(_))),
            "{protocols:?}: {result:?}"
        );
        assert!(!socket_exist(&name));
    }
}

#[test]
fn a_plain_tcp_server_on_a_wss_connect_is_a_tls_error() {
    let server = ws_server(1, echo);
    let name = unique_name("wss-on-ws");
    let result = websocket_client_connect_ssl(&name, "127.0.0.1", server.port(), "/", "");
    assert!(matches!(result, Err(Error::Tls(_))), "{result:?}");
    // Not OpenSSL's bare "unexpected EOF": the sentence says what probably happened.
    let text = result.unwrap_err().to_string();
    assert!(text.contains("did not answer in TLS"), "{text}");
    assert!(!socket_exist(&name));
    assert!(
        server.join()[0].is_none(),
        "the server saw no WebSocket handshake"
    );
}

#[test]
fn a_server_that_answers_a_wss_connect_in_plain_http_is_named_on_every_tls_backend() {
    // A plain HTTP server reads the TLS hello as a bad request and says so.
    let server = raw_server(1, |mut stream| {
        let mut hello = [0u8; 512];
        let _ = std::io::Read::read(&mut stream, &mut hello);
        let _ = std::io::Write::write_all(&mut stream, b"HTTP/1.1 400 Bad Request\r\n\r\n");
        let _ = stream.shutdown(std::net::Shutdown::Write);
        // Until the client hangs up: the answer must not be lost to a reset.
        let _ = std::io::Read::read(&mut stream, &mut hello);
    });
    let name = unique_name("wss-on-http");
    let result = websocket_client_connect_ssl(&name, "127.0.0.1", server.port(), "/", "");
    let error = result.unwrap_err();
    assert!(matches!(error, Error::Tls(_)), "{error:?}");
    assert!(
        error.to_string().contains("did not answer in TLS"),
        "{error}"
    );
    server.join();
}

#[test]
fn a_self_signed_certificate_without_trust_is_a_tls_error() {
    let fixture = tls_fixture();
    let server = tls_ws_server(&fixture, 1, echo);
    let name = unique_name("untrusted");
    let result = websocket_client_connect_ssl(&name, "localhost", server.port(), "/", "");
    let error = result.unwrap_err();
    assert!(matches!(error, Error::Tls(_)), "{error:?}");
    assert!(
        error.to_string().starts_with("TLS handshake failed"),
        "{error}"
    );
    assert!(
        !error.to_string().contains("did not answer in TLS"),
        "{error}"
    );
    assert!(!socket_exist(&name));
    assert!(server.join()[0].is_none());
}

#[test]
fn the_same_certificate_added_as_a_root_works() {
    let fixture = tls_fixture();
    let server = tls_ws_server(&fixture, 2, echo);
    for certificate in [
        Certificate::from_pem(fixture.cert_pem.as_bytes()).unwrap(),
        Certificate::from_der(&fixture.cert_der).unwrap(),
    ] {
        let name = unique_name("trusted");
        let options = ConnectOptions::new().add_root_certificate(certificate);
        websocket_client_connect_with(&name, &server.wss_url("/secure"), &options).unwrap();
        socket_write(&name, "over TLS").unwrap();
        assert_eq!(socket_read(&name).unwrap(), Message::from("over TLS"));
        socket_close(&name).unwrap();
    }
    for stats in server.join() {
        assert_eq!(stats.unwrap().close_code, Some(1000));
    }
}

#[test]
fn malformed_certificates_are_invalid_arguments() {
    assert!(matches!(
        Certificate::from_pem(b"not a certificate"),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        Certificate::from_der(&[1, 2, 3]),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn bad_close_codes_and_long_reasons_are_refused_and_the_socket_stays_open() {
    let server = ws_server(1, echo);
    let name = unique_name("close-args");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    for code in [0, 999, 1001, 1005, 1006, 1015, 2999, 5000, u16::MAX] {
        let result = socket_close_with(&name, code, "");
        assert!(matches!(result, Err(Error::InvalidArgument(_))), "{code}");
    }
    let result = socket_close_with(&name, 1000, &"x".repeat(124));
    assert!(matches!(result, Err(Error::InvalidArgument(_))));
    assert_eq!(socket_state(&name).unwrap(), State::Open);
    socket_write(&name, "still open").unwrap();
    assert_eq!(socket_read(&name).unwrap(), Message::from("still open"));
    socket_close_with(&name, 4000, &"y".repeat(123)).unwrap();
    let stats = server.join().remove(0).unwrap();
    assert_eq!(stats.close_code, Some(4000));
    assert_eq!(stats.close_reason, "y".repeat(123));
}

#[test]
fn writing_after_the_server_closed_says_closed_with_its_code() {
    let server = ws_server(1, |mut ws| {
        ws.close(Some(tungstenite::protocol::CloseFrame {
            code: 4001.into(),
            reason: "server done".into(),
        }))
        .unwrap();
        // Drive the close handshake until the client answers.
        while ws.read().is_ok() {}
    });
    let name = unique_name("write-after-close");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    let error = socket_read(&name).unwrap_err();
    assert_eq!(error.close_code(), Some(4001), "{error}");
    let error = socket_write(&name, "too late").unwrap_err();
    assert!(error.is_closed(), "{error:?}");
    assert_eq!(error.close_code(), Some(4001));
    assert_eq!(
        error.to_string(),
        "connection closed (code 4001: server done)"
    );
    assert!(socket_exist(&name), "the name stays until socket_close");
    assert_eq!(socket_state(&name).unwrap(), State::Closed);
    socket_close(&name).unwrap();
    assert!(!socket_exist(&name));
    server.join();
}

#[test]
fn reading_after_close_is_an_error() {
    let server = ws_server(1, echo);
    let name = unique_name("read-after-close");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    let handle = socket_handle(&name).unwrap();
    socket_close(&name).unwrap();
    // The name is gone...
    assert!(matches!(socket_read(&name), Err(Error::NotFound(_))));
    // ...and a handle on the same connection reports it closed, with our code.
    let error = handle.read().unwrap_err();
    assert_eq!(error.close_code(), Some(1000), "{error}");
    assert!(handle.try_read().unwrap_err().is_closed());
    assert!(handle.write("x").unwrap_err().is_closed());
    assert_eq!(handle.state(), State::Closed);
    server.join();
}

#[test]
fn option_values_out_of_range_are_refused_before_any_traffic() {
    let port = closed_port();
    let url = format!("ws://127.0.0.1:{port}/");
    for options in [
        ConnectOptions::new().connect_timeout(Duration::ZERO),
        ConnectOptions::new().close_timeout(Duration::ZERO),
        ConnectOptions::new().max_message_size(Some(0)),
        ConnectOptions::new()
            .max_message_size(Some(100))
            .max_frame_size(Some(1000)),
        ConnectOptions::new().protocols("bad token"),
        // Absurd sizes: each would be a huge allocation at connect or on a peer's word. 2 GiB
        // still fits a 32-bit usize.
        ConnectOptions::new().read_buffer_size(1 << 31),
        ConnectOptions::new().max_message_size(Some(1 << 31)),
        ConnectOptions::new().max_frame_size(Some(usize::MAX)),
        ConnectOptions::new().max_write_buffer_size(Some(1 << 31)),
    ] {
        let result = websocket_client_connect_with(&unique_name("options"), &url, &options);
        assert!(
            matches!(result, Err(Error::InvalidArgument(_))),
            "{options:?}"
        );
    }
}

#[test]
fn urls_with_other_schemes_are_invalid() {
    for url in ["http://127.0.0.1/", "127.0.0.1:80", "ws://x/#fragment", ""] {
        let result = websocket_client_connect_url(&unique_name("scheme"), url);
        assert!(matches!(result, Err(Error::InvalidArgument(_))), "{url}");
    }
}

#[test]
fn a_server_answering_one_byte_at_a_time_cannot_stretch_the_connect_timeout() {
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let stop_rx = std::sync::Mutex::new(stop_rx);
    let server = raw_server(1, move |mut stream| {
        read_request_head(&mut stream);
        let answer = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n";
        let stop = stop_rx.lock().unwrap();
        // One byte every 50 ms, each well within any read timeout, until the client gives up.
        for byte in answer.iter().cycle() {
            if stream.write_all(&[*byte]).is_err() {
                break;
            }
            match stop.recv_timeout(Duration::from_millis(50)) {
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                _ => break,
            }
        }
    });
    let options = ConnectOptions::new().connect_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let error = Socket::connect_with(&server.ws_url("/"), &options).unwrap_err();
    let took = started.elapsed();
    stop_tx.send(()).unwrap();
    assert_eq!(error.timeout_phase(), Some(Timeout::Handshake), "{error}");
    assert!(
        took < Duration::from_secs(2),
        "the 300 ms deadline took {took:?}"
    );
    server.join();
}

#[test]
fn an_extension_the_client_did_not_offer_fails_the_connect_and_is_named() {
    let server = ws_server_with(
        1,
        |_request: &tungstenite::handshake::server::Request,
         mut response: tungstenite::handshake::server::Response| {
            response.headers_mut().insert(
                "Sec-WebSocket-Extensions",
                tungstenite::http::HeaderValue::from_static("permessage-deflate"),
            );
            Ok(response)
        },
        |_ws| {},
    );
    let name = unique_name("unoffered-extension");
    let error = websocket_client_connect_url(&name, &server.ws_url("/")).unwrap_err();
    assert!(matches!(error, Error::Handshake(_)), "{error:?}");
    assert!(error.to_string().contains("permessage-deflate"), "{error}");
    assert!(error.to_string().contains("did not offer"), "{error}");
    assert!(!socket_exist(&name));
    server.join();
}

#[test]
fn websocket_url_builds_what_the_positional_forms_connect_to() {
    assert_eq!(
        websocket_url("::1", 8080, "chat?room=1", false).unwrap(),
        "ws://[::1]:8080/chat?room=1"
    );
    assert_eq!(websocket_url("[::1]", 0, "", true).unwrap(), "wss://[::1]/");
    assert_eq!(
        websocket_url("example.com", 0, "/MyWebSocketServer", false).unwrap(),
        "ws://example.com/MyWebSocketServer"
    );
    for host in ["", "ws://x", "a/b", "user@host"] {
        assert!(matches!(
            websocket_url(host, 80, "/", false),
            Err(Error::InvalidArgument(_))
        ));
    }
    // With options, as WLanguage gives the parts.
    let server = ws_server(1, echo);
    let url = websocket_url("127.0.0.1", server.port(), "echo", false).unwrap();
    let name = unique_name("url-from-parts");
    let options = ConnectOptions::new().connect_timeout(Duration::from_secs(5));
    websocket_client_connect_with(&name, &url, &options).unwrap();
    socket_write(&name, "parts").unwrap();
    assert_eq!(socket_read(&name).unwrap(), Message::from("parts"));
    socket_close(&name).unwrap();
    server.join();
}

/// A URL's password never shows in an error, whatever else is wrong with the URL: a
/// fragment, a bad host, a missing scheme separator, a bad scheme.
#[test]
fn a_url_password_never_shows_in_an_error() {
    for url in [
        "ws://al:s3cret@example.com/#frag",
        "ws://al:s3cret@exa mple.com/",
        "wss://al:s3cret@[::1/",
        "ws//al:s3cret@example.com/",
        "http://al:s3cret@example.com/",
        "ws://al:s3cret@/path",
        " ws://al:s3cret@example.com:99999/ ",
        // Found by fuzzing: no host, and the password after a slash.
        "wss:ss://user:s3cret@exme.com:84-3/path?q=1",
    ] {
        let error = Socket::connect(url).unwrap_err();
        assert!(
            matches!(error, Error::InvalidArgument(_)),
            "{url}: {error:?}"
        );
        let name = unique_name("password-in-url");
        let named = websocket_client_connect_url(&name, url).unwrap_err();
        for shown in [
            error.to_string(),
            format!("{error:?}"),
            named.to_string(),
            format!("{named:?}"),
        ] {
            assert!(!shown.contains("s3cret"), "{url}: {shown}");
        }
    }
}

#[test]
fn a_host_with_a_backslash_is_invalid_not_another_host() {
    // Found by fuzz/fuzz_targets/target_url.rs: a URL parser reads `\` as `/` in ws:// URLs,
    // so "good.example\x" went to host good.example, port 80, path "/x:9001/".
    let result = websocket_url("good.example\\x", 9001, "/", false);
    assert!(
        matches!(result, Err(Error::InvalidArgument(_))),
        "{result:?}"
    );
    let result = websocket_client_connect("backslash-host", "127.0.0.1\\x", 9001, "/", "");
    assert!(
        matches!(result, Err(Error::InvalidArgument(_))),
        "{result:?}"
    );
    assert!(!socket_exist("backslash-host"));
}

#[test]
fn a_host_with_user_info_never_shows_its_password() {
    // Found by fuzz/fuzz_targets/target_url.rs: the positional form's "not a URL" error
    // repeated the host argument, password included.
    let result = websocket_client_connect("user-info-host", "al:s3cret@example.com", 80, "/", "");
    let error = result
        .expect_err("a host with user-info is refused")
        .to_string();
    assert!(!error.contains("s3cret"), "{error}");
    let error = websocket_url("al:s3cret@example.com", 80, "/", false)
        .expect_err("a host with user-info is refused")
        .to_string();
    assert!(!error.contains("s3cret"), "{error}");
}

//! Every connection option against a real loopback peer: headers, redirects, TLS control,
//! limits, proxies, connection info.

#![allow(clippy::result_large_err)] // tungstenite's handshake callback fixes the error type

mod common;

use std::sync::Mutex;

use common::*;
use named_websocket::*;
use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::http::{HeaderValue, StatusCode};

/// Answers `/start` with a redirect to `location`, and upgrades any other path.
fn redirect_from_start(
    location: String,
) -> impl Fn(&Request, Response) -> Result<Response, ErrorResponse> + Send + Sync + 'static {
    move |request: &Request, response: Response| {
        if request.uri().path() != "/start" {
            return Ok(response);
        }
        let mut redirect = ErrorResponse::new(None);
        *redirect.status_mut() = StatusCode::FOUND;
        redirect
            .headers_mut()
            .insert("Location", HeaderValue::from_str(&location).unwrap());
        Err(redirect)
    }
}

fn round_trip(socket: &Socket, text: &str) {
    socket.write(text).unwrap();
    assert_eq!(
        socket.read_timeout(HANG_GUARD).unwrap(),
        Message::from(text)
    );
}

#[test]
fn extra_headers_reach_the_server_and_a_user_agent_is_sent() {
    let server = ws_server_with_request(2, accept_any(), |head, ws| {
        echo(ws);
        head
    });
    let options = ConnectOptions::new()
        .header("Authorization", "Bearer s3cret")
        .header("Cookie", "session=42")
        .header("Origin", "https://app.example")
        .header("X-Trace", "a")
        .header("X-Trace", "b");
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    socket.close().unwrap();
    let custom_agent = ConnectOptions::new().header("User-Agent", "my-app/2.0");
    Socket::connect_with(&server.ws_url("/"), &custom_agent)
        .unwrap()
        .close()
        .unwrap();

    let heads: Vec<RequestHead> = server.join().into_iter().map(Option::unwrap).collect();
    let first = &heads[0];
    assert_eq!(first.header("authorization"), Some("Bearer s3cret"));
    assert_eq!(first.header("cookie"), Some("session=42"));
    assert_eq!(first.header("origin"), Some("https://app.example"));
    let traces: Vec<&str> = first
        .headers
        .iter()
        .filter(|(name, _)| name == "x-trace")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(traces, ["a", "b"]);
    assert!(first
        .header("user-agent")
        .unwrap()
        .starts_with("named-websocket/"));
    assert_eq!(heads[1].header("user-agent"), Some("my-app/2.0"));
}

#[test]
fn reserved_and_malformed_headers_are_refused_before_any_traffic() {
    let url = format!("ws://127.0.0.1:{}/", closed_port());
    for (name, value) in [
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Upgrade", "h2c"),
        ("Connection", "close"),
        ("Host", "elsewhere.example"),
        ("Sec-WebSocket-Protocol", "chat"),
        ("Bad Name", "x"),
        ("X-Ok", "two\r\nlines"),
    ] {
        let options = ConnectOptions::new().header(name, value);
        let error = Socket::connect_with(&url, &options).unwrap_err();
        assert!(
            matches!(error, Error::InvalidArgument(_)),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn same_origin_redirects_are_followed() {
    let location = "/final".to_owned();
    let server = ws_server_with_request(2, redirect_from_start(location), |head, ws| {
        echo(ws);
        head
    });
    let socket = Socket::connect(&server.ws_url("/start")).unwrap();
    assert_eq!(socket.url(), server.ws_url("/final"));
    round_trip(&socket, "redirected");
    socket.close().unwrap();
    let heads = server.join();
    assert!(
        heads[0].is_none(),
        "the first request was answered with 302"
    );
    assert_eq!(heads[1].as_ref().unwrap().uri, "/final");
}

#[test]
fn cross_origin_redirects_need_permission_and_drop_credentials() {
    let target = ws_server_with_request(1, accept_any(), |head, ws| {
        echo(ws);
        head
    });
    let redirector = ws_server_with(2, redirect_from_start(target.ws_url("/there")), echo);

    let refused = Socket::connect(&redirector.ws_url("/start")).unwrap_err();
    assert_eq!(refused.http_status(), Some(302), "{refused}");
    assert!(refused.to_string().contains("another origin"), "{refused}");

    let options = ConnectOptions::new()
        .follow_cross_origin_redirects(true)
        .header("Authorization", "Bearer for-the-first-host-only")
        .header("Cookie", "session=first")
        .header("Proxy-Authorization", "Basic Zmlyc3Q6b25seQ==")
        .header("X-Api-Key", "first-only")
        .header("X-Tenant", "marked-first-only")
        .sensitive_header("x-tenant")
        .header("X-Keep", "yes");
    let socket = Socket::connect_with(&redirector.ws_url("/start"), &options).unwrap();
    round_trip(&socket, "elsewhere");
    socket.close().unwrap();
    let head = target.join().remove(0).unwrap();
    assert_eq!(head.uri, "/there");
    for credential in [
        "authorization",
        "cookie",
        "proxy-authorization",
        "x-api-key",
        "x-tenant",
    ] {
        assert_eq!(
            head.header(credential),
            None,
            "{credential} went to the other origin"
        );
    }
    assert_eq!(head.header("x-keep"), Some("yes"));
    redirector.join();
}

#[test]
fn a_user_and_password_in_the_url_are_sent_as_basic_auth_and_shown_nowhere() {
    let server = ws_server_with_request(1, accept_any(), |head, ws| {
        echo(ws);
        head
    });
    let url = server
        .ws_url("/private")
        .replace("ws://", "ws://al%40ice:s3cret@");
    let name = unique_name("userinfo");
    websocket_client_connect_url(&name, &url).unwrap();
    let info = socket_info(&name).unwrap();
    assert_eq!(
        info.url,
        server.ws_url("/private"),
        "no user-info in the URL shown"
    );
    assert!(!format!("{info:?}").contains("s3cret"));
    socket_write(&name, "hi").unwrap();
    assert_eq!(socket_read(&name).unwrap(), Message::from("hi"));
    socket_close(&name).unwrap();
    let head = server.join().remove(0).unwrap();
    let expected = format!("Basic {}", data_encoding_base64("al@ice:s3cret"));
    assert_eq!(head.header("authorization"), Some(expected.as_str()));
}

#[test]
fn no_secret_appears_in_the_options_debug_or_in_errors() {
    let options = ConnectOptions::new()
        .header("Authorization", "Bearer tok-3141")
        .header("Cookie", "session=cookie-2718")
        .header("X-Api-Key", "key-1618")
        .header("X-Tenant", "tenant-1414")
        .sensitive_header("X-Tenant")
        .header("X-Visible", "plain-value")
        .proxy("http://al:pass-4669@127.0.0.1:3128");
    let shown = format!("{options:?}");
    for secret in [
        "tok-3141",
        "cookie-2718",
        "key-1618",
        "tenant-1414",
        "pass-4669",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(
        shown.contains("plain-value"),
        "what is not secret is still shown"
    );

    // A malformed proxy URL or header value: the error does not echo the secret.
    let url = "ws://127.0.0.1:1/";
    let bad_proxy = ConnectOptions::new().proxy("http://al:pass-4669@proxy:99999");
    let error = Socket::connect_with(url, &bad_proxy).unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
    assert!(!error.to_string().contains("pass-4669"), "{error}");
    assert!(!format!("{error:?}").contains("pass-4669"), "{error:?}");
    let bad_value = ConnectOptions::new().header("Authorization", "Bearer tok-3141\r\nX: y");
    let error = Socket::connect_with(url, &bad_value).unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
    assert!(!error.to_string().contains("tok-3141"), "{error}");
}

#[test]
fn sensitive_response_headers_are_not_shown_by_the_connection_info_debug() {
    let server = ws_server_with(
        1,
        |_request: &Request, mut response: Response| {
            let headers = response.headers_mut();
            headers.insert("Set-Cookie", HeaderValue::from_static("sid=cookie-5772"));
            headers.insert("X-Server", HeaderValue::from_static("visible"));
            Ok(response)
        },
        echo,
    );
    let socket = Socket::connect(&server.ws_url("/")).unwrap();
    let info = socket.info();
    assert_eq!(info.response_header("set-cookie"), Some("sid=cookie-5772"));
    let shown = format!("{info:?}");
    assert!(!shown.contains("cookie-5772"), "{shown}");
    assert!(shown.contains("visible"), "{shown}");
    socket.close().unwrap();
    server.join();
}

/// Standard base64 of `text`, written out so that the test does not share the library's code.
fn data_encoding_base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn a_redirect_loop_stops_at_the_limit() {
    let server = ws_server_with(4, redirect_from_start("/start".into()), echo);
    let options = ConnectOptions::new().max_redirects(3);
    let error = Socket::connect_with(&server.ws_url("/start"), &options).unwrap_err();
    assert_eq!(error.http_status(), Some(302));
    assert!(error.to_string().contains("too many redirects"), "{error}");
    assert_eq!(
        server.join().len(),
        4,
        "the first request and three redirects"
    );
}

#[test]
#[cfg(not(any(windows, target_vendor = "apple")))] // the server that asks is OpenSSL's
fn a_client_identity_is_presented_in_pem_and_pkcs12_forms() {
    let fixture = tls_fixture();
    let client = client_certificate();
    #[allow(unused_mut, reason = "PKCS#12 is read by the native-tls backend only")]
    let mut identities =
        vec![Identity::from_pem(client.cert_pem.as_bytes(), client.key_pem.as_bytes()).unwrap()];
    #[cfg(not(feature = "rustls"))]
    identities.push(Identity::from_pkcs12(&client.pkcs12("pa55"), "pa55").unwrap());
    let server = mutual_tls_ws_server(&fixture, &client, 1 + identities.len(), echo);
    let trusted = ConnectOptions::new()
        .add_root_certificate(Certificate::from_der(&fixture.cert_der).unwrap());

    let without = Socket::connect_with(&server.wss_url("/"), &trusted).unwrap_err();
    assert!(
        matches!(without, Error::Tls(_) | Error::Handshake(_)),
        "the server demands a certificate: {without:?}"
    );
    for identity in identities {
        let options = trusted.clone().identity(identity);
        let socket = Socket::connect_with(&server.wss_url("/"), &options).unwrap();
        round_trip(&socket, "mutual");
        socket.close().unwrap();
    }
    let results = server.join();
    assert!(results[0].is_none());
    assert!(results[1..]
        .iter()
        .all(|r| r.as_ref().unwrap().close_code == Some(1000)));
}

#[test]
fn malformed_identities_are_invalid_arguments() {
    let client = client_certificate();
    assert!(matches!(
        Identity::from_pem(b"nope", client.key_pem.as_bytes()),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        Identity::from_pkcs12(b"not an archive", "pa55"),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
#[cfg(not(any(windows, target_vendor = "apple")))] // the archive is made with OpenSSL
fn a_pkcs12_archive_with_the_wrong_password_is_an_invalid_argument() {
    let client = client_certificate();
    assert!(matches!(
        Identity::from_pkcs12(&client.pkcs12("right"), "wrong"),
        Err(Error::InvalidArgument(_))
    ));
}

#[cfg(feature = "rustls")]
#[test]
fn pkcs12_identities_are_refused_under_rustls_with_what_to_do_instead() {
    let client = client_certificate();
    let error = Identity::from_pkcs12(&client.pkcs12("pa55"), "pa55").unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("not supported with the rustls"), "{text}");
    assert!(text.contains("Identity::from_pem"), "{text}");
}

#[test]
// OpenSSL checks the key against the certificate when the identity is made; SChannel and
// Security Framework only at the handshake (docs/platforms.md).
#[cfg(not(any(windows, target_vendor = "apple")))]
fn a_key_that_does_not_match_its_certificate_is_refused_when_the_identity_is_made() {
    let client = client_certificate();
    let error =
        Identity::from_pem(client.cert_pem.as_bytes(), STRANGER_KEY.as_bytes()).unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
    assert!(error.to_string().contains("does not belong"), "{error}");
}

#[test]
fn a_minimum_tls_version_refuses_an_older_server() {
    let fixture = tls_fixture();
    let server = tls12_ws_server(&fixture, 2, echo);
    let trusted = ConnectOptions::new()
        .add_root_certificate(Certificate::from_der(&fixture.cert_der).unwrap());
    let strict = trusted.clone().min_tls_version(TlsVersion::Tls13);
    let error = Socket::connect_with(&server.wss_url("/"), &strict).unwrap_err();
    assert!(matches!(error, Error::Tls(_)), "{error:?}");
    let lenient = trusted.min_tls_version(TlsVersion::Tls12);
    let socket = Socket::connect_with(&server.wss_url("/"), &lenient).unwrap();
    round_trip(&socket, "tls 1.2");
    socket.close().unwrap();
    server.join();
}

#[test]
fn dangerous_options_accept_what_verification_refuses() {
    let fixture = tls_fixture();
    let wrong_host = other_host_fixture();
    let self_signed = tls_ws_server(&fixture, 1, echo);
    let misnamed = tls_ws_server(&wrong_host, 2, echo);

    let socket = Socket::connect_with(
        &self_signed.wss_url("/"),
        &ConnectOptions::new().danger_accept_invalid_certs(true),
    )
    .unwrap();
    round_trip(&socket, "unverified");
    socket.close().unwrap();

    let trusted = ConnectOptions::new()
        .add_root_certificate(Certificate::from_der(&wrong_host.cert_der).unwrap());
    let error = Socket::connect_with(&misnamed.wss_url("/"), &trusted).unwrap_err();
    assert!(
        matches!(error, Error::Tls(_)),
        "the name is wrong: {error:?}"
    );
    let socket = Socket::connect_with(
        &misnamed.wss_url("/"),
        &trusted.danger_accept_invalid_hostnames(true),
    )
    .unwrap();
    round_trip(&socket, "misnamed");
    socket.close().unwrap();
    self_signed.join();
    misnamed.join();
}

#[test]
fn a_tiny_read_buffer_still_reads_large_messages() {
    let server = ws_server(1, echo);
    let options = ConnectOptions::new().read_buffer_size(64);
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    let payload: Vec<u8> = (0..1 << 20).map(|i| (i % 253) as u8).collect();
    socket.write(payload.clone()).unwrap();
    assert_eq!(
        socket.read_timeout(HANG_GUARD).unwrap().into_bytes(),
        payload
    );
    socket.close().unwrap();
    server.join();
}

#[test]
fn a_message_over_the_message_limit_names_that_limit() {
    let server = ws_server(1, |mut ws| {
        // Four frames of 400 bytes: each under the frame limit, together over the message one.
        use tungstenite::protocol::frame::coding::{Data, OpCode};
        use tungstenite::protocol::frame::Frame;
        let chunk = vec![b'x'; 400];
        for i in 0..4 {
            let opcode = OpCode::Data(if i == 0 { Data::Binary } else { Data::Continue });
            let frame = Frame::message(chunk.clone(), opcode, i == 3);
            ws.write(tungstenite::Message::Frame(frame)).unwrap();
        }
        ws.flush().unwrap();
        echo(ws)
    });
    let options = ConnectOptions::new()
        .max_message_size(Some(1000))
        .max_frame_size(Some(500));
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    let error = socket.read_timeout(HANG_GUARD).unwrap_err();
    assert!(matches!(error, Error::Capacity(_)), "{error:?}");
    assert!(error.to_string().contains("max_message_size"), "{error}");
    socket.close().unwrap();
    assert_eq!(server.join().remove(0).unwrap().close_code, Some(1009));
}

#[test]
fn a_write_over_the_write_buffer_limit_is_refused_and_nothing_is_sent() {
    let server = ws_server(1, echo);
    let options = ConnectOptions::new().max_write_buffer_size(Some(1024));
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    let error = socket.write(vec![0u8; 4096]).unwrap_err();
    assert!(matches!(error, Error::Capacity(_)), "{error:?}");
    round_trip(&socket, "small messages still go");
    socket.close().unwrap();
    assert_eq!(server.join().remove(0).unwrap().messages, 1);
}

#[test]
fn connections_go_through_a_connect_proxy() {
    let target = ws_server(1, echo);
    let proxy = connect_proxy(1, None);
    let options = ConnectOptions::new().proxy(&format!("http://127.0.0.1:{}", proxy.port()));
    let socket = Socket::connect_with(&target.ws_url("/via-proxy"), &options).unwrap();
    round_trip(&socket, "tunnelled");
    socket.close().unwrap();
    let log = proxy.join().remove(0);
    assert!(log.tunnelled);
    assert_eq!(log.target, format!("127.0.0.1:{}", target.port()));
    assert!(
        log.request.starts_with("CONNECT 127.0.0.1:"),
        "{}",
        log.request
    );
    assert_eq!(target.join().remove(0).unwrap().close_code, Some(1000));
}

#[test]
fn wss_goes_through_a_connect_proxy_too() {
    let fixture = tls_fixture();
    let target = tls_ws_server(&fixture, 1, echo);
    let proxy = connect_proxy(1, None);
    let options = ConnectOptions::new()
        .proxy(&format!("127.0.0.1:{}", proxy.port()))
        .add_root_certificate(Certificate::from_der(&fixture.cert_der).unwrap());
    let socket = Socket::connect_with(&target.wss_url("/"), &options).unwrap();
    round_trip(&socket, "encrypted and tunnelled");
    socket.close().unwrap();
    assert_eq!(
        proxy.join()[0].target,
        format!("localhost:{}", target.port())
    );
    target.join();
}

#[test]
fn proxy_credentials_are_sent_and_a_407_is_reported() {
    let target = ws_server(1, echo);
    let proxy = connect_proxy(2, Some("alice:s3cret"));
    let without = ConnectOptions::new().proxy(&format!("http://127.0.0.1:{}", proxy.port()));
    let error = Socket::connect_with(&target.ws_url("/"), &without).unwrap_err();
    assert!(matches!(error, Error::Proxy(_)), "{error:?}");
    assert!(error.to_string().contains("407"), "{error}");

    let with =
        ConnectOptions::new().proxy(&format!("http://alice:s3cret@127.0.0.1:{}", proxy.port()));
    let socket = Socket::connect_with(&target.ws_url("/"), &with).unwrap();
    round_trip(&socket, "authenticated");
    socket.close().unwrap();
    let logs = proxy.join();
    assert_eq!((logs[0].tunnelled, logs[1].tunnelled), (false, true));
    target.join();
}

#[test]
fn the_environment_proxy_is_used_only_when_asked_and_honours_no_proxy() {
    // The only test in this binary that touches these variables.
    static ENV: Mutex<()> = Mutex::new(());
    let _env = ENV.lock().unwrap();
    let target = ws_server(3, echo);
    let proxy = connect_proxy(1, None);
    std::env::set_var("http_proxy", format!("http://127.0.0.1:{}", proxy.port()));
    std::env::remove_var("no_proxy");
    std::env::remove_var("NO_PROXY");

    // Not asked: direct.
    let socket = Socket::connect(&target.ws_url("/")).unwrap();
    round_trip(&socket, "direct");
    socket.close().unwrap();
    // Asked: through the proxy.
    let from_env = ConnectOptions::new().proxy_from_env(true);
    let socket = Socket::connect_with(&target.ws_url("/"), &from_env).unwrap();
    round_trip(&socket, "through the environment's proxy");
    socket.close().unwrap();
    // Excluded by no_proxy: direct again.
    std::env::set_var("no_proxy", "example.com, 127.0.0.1");
    let socket = Socket::connect_with(&target.ws_url("/"), &from_env).unwrap();
    round_trip(&socket, "excluded");
    socket.close().unwrap();

    std::env::remove_var("http_proxy");
    std::env::remove_var("no_proxy");
    assert_eq!(
        proxy.join().len(),
        1,
        "only the second connection used the proxy"
    );
    target.join();
}

#[test]
fn connection_info_reports_the_handshake_and_the_traffic() {
    let server = ws_server_with(
        1,
        |_request: &Request, mut response: Response| {
            response
                .headers_mut()
                .insert("X-Served-By", HeaderValue::from_static("test-server"));
            select_protocol(Some("chat"))(_request, response)
        },
        echo,
    );
    let name = unique_name("info");
    let options = ConnectOptions::new().protocols("chat");
    websocket_client_connect_with(&name, &server.ws_url("/info?x=1"), &options).unwrap();
    let before = socket_info(&name).unwrap();
    assert_eq!(before.state, State::Open);
    assert_eq!(before.url, server.ws_url("/info?x=1"));
    assert_eq!(before.protocol.as_deref(), Some("chat"));
    assert_eq!(before.response_header("x-served-by"), Some("test-server"));
    assert_eq!(before.response_header("upgrade"), Some("websocket"));
    assert_eq!((before.messages_sent, before.messages_received), (0, 0));
    assert!(
        before.bytes_sent > 0 && before.bytes_received > 0,
        "the handshake counts"
    );

    socket_write(&name, "x".repeat(1000)).unwrap();
    socket_read(&name).unwrap();
    socket_write(&name, vec![1u8; 10]).unwrap();
    socket_read(&name).unwrap();
    let after = socket_info(&name).unwrap();
    assert_eq!((after.messages_sent, after.messages_received), (2, 2));
    assert!(after.bytes_sent >= before.bytes_sent + 1010);
    assert!(after.bytes_received >= before.bytes_received + 1010);
    assert!(after.last_traffic > before.last_traffic);
    assert!(after.last_traffic > after.connected_at);
    socket_close(&name).unwrap();
    assert!(matches!(socket_info(&name), Err(Error::NotFound(_))));
    server.join();
}

#[test]
fn a_proxy_answer_that_is_not_http_is_refused_and_printed_clean() {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fake_proxy = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(HANG_GUARD)).unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && tcp.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        tcp.write_all(b"JUNK 200 \x1b[31mtunnel open\r\n\r\n")
            .unwrap();
        // Held until the client gives up.
        let _ = tcp.read(&mut byte);
    });
    let options = ConnectOptions::new()
        .proxy(&format!("http://127.0.0.1:{port}"))
        .connect_timeout(std::time::Duration::from_secs(5));
    let error = Socket::connect_with("ws://127.0.0.1:9/", &options).unwrap_err();
    assert!(matches!(error, Error::Proxy(_)), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("did not answer in HTTP/1.x"), "{text}");
    assert!(!text.chars().any(char::is_control), "{text:?}");
    fake_proxy.join().unwrap();
}

#[test]
fn connection_info_names_the_peer_the_tls_version_and_how_it_ended() {
    let server = ws_server(1, |mut ws| {
        ws.send(tungstenite::Message::text("bye soon")).unwrap();
        let _ = ws.close(Some(tungstenite::protocol::CloseFrame {
            code: tungstenite::protocol::frame::coding::CloseCode::from(4001),
            reason: "done".into(),
        }));
        while ws.read().is_ok() {}
    });
    let socket = Socket::connect(&server.ws_url("/")).unwrap();
    let info = socket.info();
    let peer = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
    assert_eq!(info.peer_addr, Some(peer));
    assert!(info
        .local_addr
        .is_some_and(|local| local.ip().is_loopback()));
    assert_eq!(info.tls_version, None, "ws:// has no TLS");
    assert!(info.close.is_none() && info.connected_at.is_some());
    assert_eq!(socket.read().unwrap(), Message::from("bye soon"));
    assert_eq!(socket.read().unwrap_err().close_code(), Some(4001));
    let closed = socket.info();
    assert_eq!(closed.state, State::Closed);
    let close = closed
        .close
        .expect("the close code and reason, once closed");
    assert_eq!((close.code, close.reason.as_str()), (4001, "done"));
    socket.close().unwrap();
    server.join();

    // wss://: the version the server chose.
    let fixture = tls_fixture();
    let trusted = ConnectOptions::new()
        .add_root_certificate(Certificate::from_der(&fixture.cert_der).unwrap());
    let tls12 = tls12_ws_server(&fixture, 1, echo);
    let socket = Socket::connect_with(&tls12.wss_url("/"), &trusted).unwrap();
    assert_eq!(socket.info().tls_version, Some(TlsVersion::Tls12));
    socket.close().unwrap();
    tls12.join();
}

#[test]
#[cfg_attr(windows, ignore = "Wine's SChannel does not speak TLS 1.3")]
fn connection_info_names_tls13_when_the_server_chose_it() {
    let fixture = tls_fixture();
    let trusted = ConnectOptions::new()
        .add_root_certificate(Certificate::from_der(&fixture.cert_der).unwrap());
    let tls13 = tls13_ws_server(&fixture, 1, echo);
    let socket = Socket::connect_with(&tls13.wss_url("/"), &trusted).unwrap();
    assert_eq!(socket.info().tls_version, Some(TlsVersion::Tls13));
    socket.close().unwrap();
    tls13.join();
}

#[test]
fn socket_info_answers_while_a_blocking_connect_is_still_running() {
    // A server that accepts TCP but never answers the upgrade.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "ws://127.0.0.1:{}/slow",
        listener.local_addr().unwrap().port()
    );
    let name = unique_name("info-while-connecting");
    let connecting = {
        let (name, url) = (name.clone(), url.clone());
        std::thread::spawn(move || {
            let options = ConnectOptions::new().connect_timeout(HANG_GUARD);
            websocket_client_connect_with(&name, &url, &options)
        })
    };
    // The name is taken once the connect has accepted its arguments; the TCP connection is
    // then under way.
    let (held, _) = listener.accept().unwrap();
    while !socket_exist(&name) {
        std::thread::yield_now();
    }
    let info = socket_info(&name).unwrap();
    assert_eq!(info.state, State::Connecting);
    assert_eq!(info.url, url);
    assert!(info.connected_at.is_none() && info.peer_addr.is_none());
    socket_close(&name).unwrap();
    assert!(!socket_exist(&name), "the name is free at once");
    drop(held); // the connect fails now, and leaves nothing behind
    assert!(connecting.join().unwrap().is_err());
    assert!(!socket_exist(&name));
}

//! What a user meets behind the servers people deploy (nginx, haproxy, squid, tinyproxy), each
//! played by a loopback server that behaves like one: TLS with a private CA or an old version,
//! proxies that refuse, are down or listen on IPv6, HTML error pages, "try later" answers.

mod common;

use std::error::Error as _;
use std::io::Write as _;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use named_websocket::*;

/// An error and every `source()` beneath it, one per line.
fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(&format!("\n{cause}"));
        next = cause.source();
    }
    text
}

/// How many times `needle` occurs in `text`.
fn occurrences(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

/// nginx's own 502 page, as it sends it when the upstream is down.
const NGINX_502: &str = "HTTP/1.1 502 Bad Gateway\r\n\
    Server: nginx/1.24.0\r\nContent-Type: text/html\r\nContent-Length: 157\r\n\
    Connection: close\r\n\r\n\
    <html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
    <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n\
    </body>\r\n</html>\r\n";

/// A proxy that answers every CONNECT with `answer` and closes.
fn answering_proxy(answer: &'static str) -> Server<String> {
    http_response_server(1, answer)
}

#[test]
fn an_untrusted_certificate_says_what_to_do_and_its_cause_appears_once() {
    let fixture = tls_fixture();
    let server = tls_ws_server(&fixture, 1, echo);
    let error = Socket::connect(&server.wss_url("/")).unwrap_err();
    assert!(matches!(error, Error::Tls(_)), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("not signed by a trusted authority"), "{text}");
    assert!(text.contains("add_root_certificate"), "{text}");
    assert!(
        !text.contains("SSL routines"),
        "no library internals: {text}"
    );
    let chain = chain(&error);
    assert!(error.source().is_some(), "the cause stays reachable");
    assert!(
        occurrences(&chain, "certificate verify failed") <= 1,
        "the cause appears once: {chain}"
    );
    assert!(server.join()[0].is_none());
}

#[test]
fn a_certificate_for_another_host_says_so() {
    let fixture = other_host_fixture();
    let server = tls_ws_server(&fixture, 1, echo);
    let options = ConnectOptions::new()
        .add_root_certificate(Certificate::from_der(&fixture.cert_der).unwrap());
    let error = Socket::connect_with(&server.wss_url("/"), &options).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("certificate is not valid for \"localhost\""),
        "{text}"
    );
    assert!(!text.contains("SSL routines"), "{text}");
    assert!(server.join()[0].is_none());
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Wine's SChannel, without TLS 1.3, fails before its hello: no server version to name"
)]
fn a_server_older_than_the_minimum_version_is_named_with_both_versions() {
    let fixture = tls_fixture();
    let server = tls12_ws_server(&fixture, 1, echo);
    let options = ConnectOptions::new()
        .add_root_certificate(Certificate::from_der(&fixture.cert_der).unwrap())
        .min_tls_version(TlsVersion::Tls13);
    let error = Socket::connect_with(&server.wss_url("/"), &options).unwrap_err();
    assert!(matches!(error, Error::Tls(_)), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("the server offers TLS 1.2 at most, and the minimum asked is TLS 1.3"),
        "{text}"
    );
    assert!(!text.contains("alert"), "{text}");
    let chain = chain(&error);
    assert!(occurrences(&chain, "protocol version") <= 1, "{chain}");
    server.join();
}

#[test]
fn a_proxy_that_refuses_the_credentials_given_says_they_were_refused_with_the_status() {
    let target = ws_server(0, echo);
    let proxy = connect_proxy(2, Some("alice:s3cret"));
    let wrong =
        ConnectOptions::new().proxy(&format!("http://alice:wrong@127.0.0.1:{}", proxy.port()));
    let error = Socket::connect_with(&target.ws_url("/"), &wrong).unwrap_err();
    assert!(matches!(error, Error::Proxy(_)), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("refused the credentials"), "{text}");
    assert!(!text.contains("give user:password"), "{text}");
    assert!(!text.contains("wrong"), "never the password: {text}");
    assert_eq!(error.http_status(), Some(407));

    let none = ConnectOptions::new().proxy(&format!("http://127.0.0.1:{}", proxy.port()));
    let error = Socket::connect_with(&target.ws_url("/"), &none).unwrap_err();
    assert!(error.to_string().contains("user:password"), "{error}");
    assert_eq!(error.http_status(), Some(407));
    proxy.join();
}

#[test]
fn a_proxy_refusal_carries_its_status() {
    for (answer, status) in [
        ("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 403),
        (
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
            503,
        ),
    ] {
        let proxy = answering_proxy(answer);
        let options = ConnectOptions::new().proxy(&format!("http://127.0.0.1:{}", proxy.port()));
        let error = Socket::connect_with("ws://127.0.0.1:9/", &options).unwrap_err();
        assert!(matches!(error, Error::Proxy(_)), "{error:?}");
        assert_eq!(error.http_status(), Some(status), "{error}");
        proxy.join();
    }
}

#[test]
fn a_proxy_that_is_down_is_named_as_the_proxy() {
    let port = closed_port();
    let options = ConnectOptions::new().proxy(&format!("http://127.0.0.1:{port}"));
    let error = Socket::connect_with("ws://127.0.0.1:9/", &options).unwrap_err();
    let text = error.to_string();
    assert!(text.contains(&format!("proxy 127.0.0.1:{port}")), "{text}");
}

#[test]
fn an_ipv6_proxy_address_prints_in_brackets_once() {
    let listener = TcpListener::bind("[::1]:0").expect("IPv6 loopback");
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let options = ConnectOptions::new().proxy(&format!("http://[::1]:{port}"));
    let error = Socket::connect_with("ws://127.0.0.1:9/", &options).unwrap_err();
    let text = error.to_string();
    assert!(text.contains(&format!("[::1]:{port}")), "{text}");
    assert!(!text.contains(&format!(" ::1:{port}")), "{text}");
    assert_eq!(occurrences(&text, "::1"), 1, "{text}");
}

#[test]
fn an_html_error_page_becomes_its_status_line_and_a_short_plain_excerpt() {
    let server = http_response_server(1, NGINX_502);
    let error = Socket::connect(&server.ws_url("/")).unwrap_err();
    assert_eq!(error.http_status(), Some(502));
    let text = error.to_string();
    assert!(text.contains("HTTP 502 Bad Gateway"), "{text}");
    assert!(!text.contains('<'), "no markup: {text}");
    assert!(!text.contains("  "), "whitespace collapsed: {text:?}");
    assert!(text.contains("nginx"), "{text}");
    assert!(text.len() < 160, "{text}");
    server.join();
}

/// What an asynchronous socket's callback saw: its events as text, and the delays it was told.
#[derive(Default)]
struct Seen {
    events: Vec<String>,
    delays: Vec<Duration>,
}

fn recorder() -> (Arc<Mutex<Seen>>, impl Fn(&str, Event) + Send + 'static) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = Arc::clone(&seen);
    (seen, move |_: &str, event| {
        let mut seen = record.lock().unwrap();
        if let Event::Reconnecting { delay, .. } = &event {
            seen.delays.push(*delay);
        }
        seen.events.push(format!("{event:?}"));
    })
}

#[test]
fn too_many_requests_is_retried_after_the_delay_the_server_asks() {
    let _serial = serial();
    let served = AtomicUsize::new(0);
    let server = raw_server(2, move |mut stream| {
        if served.fetch_add(1, Ordering::SeqCst) == 0 {
            read_request_head(&mut stream);
            let _ = stream.write_all(
                b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n\
                  Content-Length: 0\r\n\r\n",
            );
        } else {
            let mut ws = tungstenite::accept(stream).unwrap();
            let _ = ws.close(None);
            while ws.read().is_ok() {}
        }
    });
    let (seen, record) = recorder();
    let policy = Reconnect::new()
        .min_delay(Duration::from_millis(10))
        .max_delay(Duration::from_secs(5))
        .jitter(0.0);
    let name = unique_name("429");
    let options = ConnectOptions::new().reconnect(policy);
    websocket_client_connect_async_with(&name, record, &server.ws_url("/"), &options).unwrap();
    dispatch_until_all_closed().unwrap();
    let seen = seen.lock().unwrap();
    let events = &seen.events;
    let delay = *seen
        .delays
        .first()
        .unwrap_or_else(|| panic!("a 429 is retried: {events:?}"));
    assert!(
        delay >= Duration::from_secs(1),
        "Retry-After honoured: {delay:?}"
    );
    assert!(
        delay <= Duration::from_secs(5),
        "within max_delay: {delay:?}"
    );
    assert!(
        events.iter().any(|event| event.starts_with("Open")),
        "{events:?}"
    );
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn after_the_last_attempt_fails_info_and_writes_report_that_attempt() {
    let served = AtomicUsize::new(0);
    let server = raw_server(2, move |mut stream| {
        if served.fetch_add(1, Ordering::SeqCst) == 0 {
            drop(tungstenite::accept(stream).unwrap());
        } else {
            read_request_head(&mut stream);
            let _ = stream.write_all(NGINX_502.as_bytes());
        }
    });
    let policy = Reconnect::new()
        .min_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(50))
        .max_attempts(Some(1));
    let name = unique_name("last-cause");
    let options = ConnectOptions::new().reconnect(policy);
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    // The loss, then the failed attempt, then the end.
    let mut errors = Vec::new();
    while socket_state(&name).unwrap() != State::Closed || errors.is_empty() {
        match socket_read_timeout(&name, HANG_GUARD) {
            Err(error) if error.is_timeout() => panic!("no end: {errors:?}"),
            Err(error) => errors.push(error.to_string()),
            Ok(message) => panic!("{message:?}"),
        }
    }
    let info = socket_info(&name).unwrap();
    let close = info.close.expect("how it ended");
    assert!(close.reason.contains("502"), "{close:?} after {errors:?}");
    let write = socket_write(&name, "late").unwrap_err();
    assert!(write.to_string().contains("502"), "{write}");
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn no_proxy_takes_cidr_ranges() {
    // The only test in this binary that touches these variables, or reads them.
    let target = ws_server(1, echo);
    let unused_proxy = closed_port();
    std::env::set_var("http_proxy", format!("http://127.0.0.1:{unused_proxy}"));
    std::env::set_var("no_proxy", "10.0.0.0/8, 127.0.0.0/8, ::1/128");
    let options = ConnectOptions::new().proxy_from_env(true);
    let result = Socket::connect_with(&target.ws_url("/"), &options);
    std::env::remove_var("http_proxy");
    std::env::remove_var("no_proxy");
    let socket = result.expect("127.0.0.1 is in 127.0.0.0/8: no proxy");
    socket.close().unwrap();
    target.join();
}

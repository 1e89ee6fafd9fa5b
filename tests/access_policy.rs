//! The process-wide access policy (Resonite's AccessReason / approving user). The policy is
//! global, so this binary's tests take turns.

mod common;

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use named_websocket::*;

#[test]
fn a_refusal_is_its_own_error_and_nothing_touches_the_network() {
    let _serial = serial();
    // A listener that must see no connection at all.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!(
        "ws://127.0.0.1:{}/private",
        listener.local_addr().unwrap().port()
    );

    let asked = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&asked);
    set_access_policy(move |request| {
        record.lock().unwrap().push((
            request.url().to_owned(),
            request.reason().map(str::to_owned),
        ));
        Err("the user said no".to_owned())
    });
    let name = unique_name("refused");
    let options = ConnectOptions::new().access_reason("sync the user's notes");
    let error = websocket_client_connect_with(&name, &url, &options).unwrap_err();
    clear_access_policy();

    assert!(matches!(error, Error::AccessDenied(_)), "{error:?}");
    assert!(error.to_string().contains("the user said no"), "{error}");
    assert!(!socket_exist(&name));
    assert_eq!(
        *asked.lock().unwrap(),
        [(url.clone(), Some("sync the user's notes".to_owned()))]
    );
    let accepted = listener.accept();
    assert!(
        matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the listener saw a connection: {accepted:?}"
    );
}

#[test]
fn an_allowing_policy_lets_connections_through_and_sees_asynchronous_ones() {
    let _serial = serial();
    let server = ws_server(2, echo);
    let asked = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&asked);
    set_access_policy(move |request| {
        flag.store(true, Ordering::SeqCst);
        assert!(request.url().starts_with("ws://127.0.0.1:"));
        Ok(())
    });
    let socket = Socket::connect(&server.ws_url("/")).unwrap();
    socket.close().unwrap();
    assert!(asked.swap(false, Ordering::SeqCst));

    let name = unique_name("async-allowed");
    let closed = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&closed);
    websocket_client_connect_async_url(
        &name,
        move |name, event| match event {
            Event::Open { .. } => socket_close(name).unwrap(),
            Event::Close { .. } => done.store(true, Ordering::SeqCst),
            _ => {}
        },
        &server.ws_url("/"),
    )
    .unwrap();
    dispatch_until(|| closed.load(Ordering::SeqCst)).unwrap();
    clear_access_policy();
    assert!(asked.load(Ordering::SeqCst), "asked on the worker thread");
    server.join();
}

#[test]
fn an_asynchronous_refusal_arrives_as_error_then_close() {
    let _serial = serial();
    set_access_policy(|_| Err("not today".to_owned()));
    let name = unique_name("async-refused");
    let events = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&events);
    websocket_client_connect_async_url(
        &name,
        move |_, event| record.lock().unwrap().push(format!("{event:?}")),
        &format!("ws://127.0.0.1:{}/", closed_port()),
    )
    .unwrap();
    dispatch_until(|| events.lock().unwrap().len() == 2).unwrap();
    clear_access_policy();
    let events = events.lock().unwrap();
    assert!(
        events[0].contains("AccessDenied") && events[0].contains("not today"),
        "{events:?}"
    );
    assert!(events[1].contains("1006"), "{events:?}");
    socket_close(&name).unwrap();
}

#[test]
fn a_policy_that_panics_refuses_the_connection_and_the_caller_goes_on() {
    let _serial = serial();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://127.0.0.1:{}/", listener.local_addr().unwrap().port());
    set_access_policy(|_| panic!("the application's policy fails"));
    let name = unique_name("policy-panics");
    let error = websocket_client_connect_url(&name, &url).unwrap_err();
    clear_access_policy();
    assert!(matches!(error, Error::AccessDenied(_)), "{error:?}");
    assert!(error.to_string().contains("panicked"), "{error}");
    assert!(!socket_exist(&name));
}

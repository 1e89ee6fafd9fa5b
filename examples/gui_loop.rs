//! A callback-driven program with its own event loop, as a desktop GUI has one: the wake-up
//! hook posts a "dispatch now" event into the loop, and the loop runs the socket callbacks on
//! its own (main) thread with `dispatch_pending`. A simulated user clicks "Send" three times;
//! after the third answer the program closes the socket, and the Close event ends the loop.
//!
//! `cargo run --example gui_loop` talks to an echo server it starts on loopback;
//! `cargo run --example gui_loop -- ws://host:port/path` talks to that server instead (an echo
//! server: the program waits for three answers before it closes).
//!
//! No GUI toolkit here: the host loop is a channel of UI events. Real toolkits offer the same
//! "post an event to the UI thread" call the wake-up hook needs (winit's `EventLoopProxy`,
//! GLib's `idle_add`, Win32 `PostMessage`, a queued Qt signal…); WLanguage does this for you.
//! This is the callback style; docs/gui.md shows the other one (a socket opened without a
//! callback, whose events each frame takes into state it owns) and snippets per toolkit.

mod support;

use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use crossbeam_channel::Sender;
use named_websocket::{
    clear_wake_hook, dispatch_pending, set_wake_hook, socket_close, socket_exist, socket_write,
    websocket_client_connect_async_url, Event, Message,
};

/// The socket's name.
const NAME: &str = "gui";
/// How many times the simulated user clicks "Send".
const CLICKS: usize = 3;

/// What the host's event loop receives: its own events and the one the wake-up hook posts.
#[derive(Debug)]
enum UiEvent {
    /// Posted by the wake-up hook: socket events wait in the dispatch queue.
    DispatchNow,
    /// The user clicked "Send" with this text in the input field.
    SendClicked(String),
    /// The socket closed with this close code: leave the loop.
    Quit(u16),
}

fn main() -> ExitCode {
    support::main(run)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => support::start_echo_server()?,
    };
    let (ui, ui_events) = crossbeam_channel::unbounded::<UiEvent>();

    // 1. The wake-up hook runs on a worker thread (or the library's background thread), never
    //    on this UI thread, when the dispatch queue goes from empty to not empty. It must be
    //    quick and must not dispatch: it posts a UI event, that is all.
    let wake = ui.clone();
    set_wake_hook(move || {
        println!("[wake hook on {}] posting DispatchNow", thread_name());
        let _ = wake.send(UiEvent::DispatchNow);
    });

    // 2. Connect in the background. The callback runs inside dispatch_pending, on the main
    //    thread: it may touch the UI, and it may write to or close its own socket.
    let to_ui = ui.clone();
    let mut answers = 0;
    websocket_client_connect_async_url(
        NAME,
        move |name, event| match event {
            Event::Open { .. } => {
                println!(
                    "[callback on {}] open: the Send button is enabled",
                    thread_name()
                );
                simulate_user(to_ui.clone());
            }
            Event::Message(message) => {
                answers += 1;
                println!(
                    "[callback on {}] received {}",
                    thread_name(),
                    show(&message)
                );
                if answers == CLICKS {
                    println!(
                        "[callback on {}] all answers are in: closing",
                        thread_name()
                    );
                    if let Err(error) = socket_close(name) {
                        eprintln!("close failed: {error}");
                    }
                }
            }
            Event::Close {
                code,
                reason,
                ended,
                ..
            } => {
                println!(
                    "[callback on {}] closed: code {code} {reason:?}",
                    thread_name()
                );
                // Only the socket's final Close ends it: with a reconnect policy, the Close
                // of a lost connection (`ended: false`) is followed by Reconnecting.
                if ended {
                    let _ = to_ui.send(UiEvent::Quit(code));
                }
            }
            Event::Error(error) => eprintln!("[callback on {}] error: {error}", thread_name()),
            _ => {}
        },
        &url,
    )?;
    println!("[main] connecting to {url} in the background");

    // 3. The host's event loop, blocked on its own channel.
    let mut close_code = None;
    for event in ui_events.iter() {
        match event {
            UiEvent::DispatchNow => {
                let ran = dispatch_pending()?;
                println!(
                    "[ui on {}] dispatch_pending ran {ran} callback(s)",
                    thread_name()
                );
            }
            UiEvent::SendClicked(text) => {
                // Never waits on the network: what the peer does not take at once is queued.
                println!("[ui on {}] Send clicked: {text:?}", thread_name());
                if let Err(error) = socket_write(NAME, text) {
                    println!("[ui on {}] could not send: {error}", thread_name());
                }
            }
            UiEvent::Quit(code) => {
                close_code = Some(code);
                break;
            }
        }
    }

    clear_wake_hook();
    println!(
        "[main] loop over; socket_exist({NAME:?}) = {}",
        socket_exist(NAME)
    );
    match close_code {
        Some(1000) => Ok(()),
        other => Err(format!("the connection did not end normally (close code {other:?})").into()),
    }
}

/// A user clicking "Send" every 100 ms, on a thread of its own, as a timer would.
fn simulate_user(ui: Sender<UiEvent>) {
    let user = thread::Builder::new().name("user".into()).spawn(move || {
        for click in 1..=CLICKS {
            thread::sleep(Duration::from_millis(100));
            let _ = ui.send(UiEvent::SendClicked(format!("click #{click}")));
        }
    });
    if let Err(error) = user {
        eprintln!("cannot start the simulated user: {error}");
    }
}

fn thread_name() -> String {
    thread::current().name().unwrap_or("unnamed").to_owned()
}

fn show(message: &Message) -> String {
    match message {
        Message::Text(text) => format!("{text:?}"),
        Message::Binary(bytes) => format!("(binary, {} bytes)", bytes.len()),
    }
}

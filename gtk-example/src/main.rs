//! A GTK 4 chat window on named-websocket's asynchronous mode: the GTK recipe of docs/gui.md
//! as a program, compiled and self-tested by CI.
//!
//! ```text
//! named-websocket-gtk [URL]               a window; without a URL, talks to its own loopback
//!                                         echo server
//! named-websocket-gtk --connect           connects before the window exists (before
//!                                         app.run()), instead of waiting for a click
//! named-websocket-gtk --self-test [N]     drives the window: connect, send N messages
//!                                         (default 20) through the input line and Send, see
//!                                         each echo, disconnect, see "closed"; exits non-zero
//!                                         on any miss
//! named-websocket-gtk --demo              connects, sends a few messages, then holds (for the
//!                                         screenshot in the docs)
//! ```
//!
//! `--deadline SECS` bounds the self-test, and the wait for the first event of `--connect`
//! (default 60).

mod chat;
mod driver;
mod echo;

use std::cell::{Cell, RefCell};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use gtk::prelude::*;
use gtk::{gio, glib};

use crate::driver::{Mode, Outcome};

const USAGE: &str = "usage: named-websocket-gtk [URL] [--connect] [--self-test [N]] \
                     [--deadline SECS] [--demo]";
const TITLE: &str = "named-websocket GTK 4";

struct Args {
    url: Option<String>,
    connect: bool,
    deadline: Duration,
    mode: Option<Mode>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut url = None;
    let mut connect = false;
    let mut self_test = None;
    let mut deadline = Duration::from_secs(60);
    let mut demo = false;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--connect" => connect = true,
            "--self-test" => {
                // The count is optional: take the next argument only if it is a number.
                let count = args.next_if(|next| next.parse::<usize>().is_ok());
                self_test = Some(count.map_or(20, |n| n.parse().unwrap_or(20)));
            }
            "--deadline" => {
                let secs = args.next().ok_or("--deadline needs a number of seconds")?;
                let secs: u64 = secs.parse().map_err(|_| format!("bad deadline {secs:?}"))?;
                deadline = Duration::from_secs(secs);
            }
            "--demo" => demo = true,
            "-h" | "--help" => return Err(String::new()),
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            other => url = Some(other.to_owned()),
        }
    }
    let mode = match (self_test, demo) {
        (Some(_), true) => return Err("--self-test and --demo do not go together".into()),
        (Some(messages), false) => Some(Mode::SelfTest { messages, deadline }),
        (None, true) => Some(Mode::Demo),
        (None, false) => None,
    };
    Ok(Args {
        url,
        connect,
        deadline,
        mode,
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let url = match args.url {
        Some(url) => url,
        None => match echo::start() {
            Ok(url) => url,
            Err(error) => {
                eprintln!("cannot start the loopback echo server: {error}");
                return ExitCode::FAILURE;
            }
        },
    };

    // Before any socket opens: a socket's first events must find the hook.
    let first_wake = chat::set_wake_hook();
    // A socket opened here, before `app.run()`: its Open arrives before any thread runs the
    // main loop (we wait for it, so that it does every time), and still reaches the window.
    let early = if args.connect {
        let events = match chat::connect_early(&url) {
            Ok(events) => events,
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::FAILURE;
            }
        };
        if first_wake.recv_timeout(args.deadline).is_err() {
            eprintln!("no socket event within {} s", args.deadline.as_secs());
            return ExitCode::FAILURE;
        }
        Some(events)
    } else {
        None
    };

    let app = gtk::Application::builder()
        .application_id("io.github.named_websocket.GtkExample")
        // No D-Bus registration: several copies may run at once (under Xvfb in CI too).
        .flags(gio::ApplicationFlags::NON_UNIQUE)
        .build();
    let outcome: Outcome = Rc::new(RefCell::new(None));
    let early = Cell::new(early);
    let mode = args.mode;
    let test_outcome = Rc::clone(&outcome);
    app.connect_activate(move |app| {
        let chat = chat::Chat::install(app, &url, early.take());
        if let Some(mode) = mode {
            driver::start(&chat, app, mode, Rc::clone(&test_outcome));
        }
    });
    // GTK sees no argument of ours: it would reject the options it does not know.
    let ran = app.run_with_args(&[env!("CARGO_PKG_NAME")]);
    named_websocket::clear_wake_hook();
    if ran != glib::ExitCode::SUCCESS {
        eprintln!("the GTK application failed (exit status {})", ran.get());
        return ExitCode::FAILURE;
    }

    let Some(Mode::SelfTest { .. }) = args.mode else {
        return ExitCode::SUCCESS;
    };
    let outcome = outcome.borrow_mut().take();
    match outcome {
        Some(Ok(summary)) => {
            println!("self-test passed: {summary}");
            ExitCode::SUCCESS
        }
        Some(Err(report)) => {
            eprintln!("self-test FAILED: {report}");
            ExitCode::FAILURE
        }
        None => {
            eprintln!("self-test FAILED: the window closed before the test finished");
            ExitCode::FAILURE
        }
    }
}

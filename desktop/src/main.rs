//! A desktop chat/feed window on named-websocket's asynchronous mode, on egui/eframe: the
//! WLanguage callback sample grown into a window.
//!
//! ```text
//! named-websocket-desktop [URL]               a window; without a URL, talks to its own
//!                                             loopback echo server
//! named-websocket-desktop --self-test [N]     drives the window: connect, send N messages
//!                                             (default 20), see each echo, disconnect;
//!                                             then disconnect while reconnecting; then
//!                                             connect where nothing listens: cancel while
//!                                             it retries, then let it give up;
//!                                             exits non-zero on any miss
//! named-websocket-desktop --demo              connects, sends a few messages, then holds
//!                                             (for the screenshot in the docs)
//! ```
//!
//! `NAMED_WEBSOCKET_DESKTOP_SELF_TEST=N` asks for the self-test too; `--deadline SECS` bounds
//! it (default 60). `RUST_LOG` (for example `RUST_LOG=named_websocket=debug`) prints the
//! library's log lines on standard error; without it, warnings and errors only.

mod app;
mod driver;
mod echo;
mod link;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eframe::egui;

use crate::app::DesktopApp;
use crate::driver::{Driver, Mode, Outcome, SELF_TEST_RETRIES};
use crate::link::Retry;

const USAGE: &str =
    "usage: named-websocket-desktop [URL] [--self-test [N]] [--deadline SECS] [--demo]";
const TITLE: &str = "named-websocket desktop";

struct Args {
    url: Option<String>,
    mode: Option<Mode>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut url = None;
    let mut self_test = std::env::var("NAMED_WEBSOCKET_DESKTOP_SELF_TEST")
        .ok()
        .map(|n| {
            n.parse::<usize>()
                .map_err(|_| format!("bad message count {n:?}"))
        })
        .transpose()?;
    let mut deadline = Duration::from_secs(60);
    let mut demo = false;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
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
        (Some(messages), false) => Some(Mode::SelfTest {
            messages,
            deadline,
            // Chosen once the echo server has its port (main), so that it cannot be that one.
            refused_url: String::new(),
        }),
        (None, true) => Some(Mode::Demo),
        (None, false) => None,
    };
    Ok(Args { url, mode })
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
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

    let mut mode = args.mode;
    if let Some(Mode::SelfTest { refused_url, .. }) = &mut mode {
        match echo::refused_url() {
            Ok(url) => *refused_url = url,
            Err(error) => {
                eprintln!("cannot find a free port for the refused connect: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let self_test = matches!(mode, Some(Mode::SelfTest { .. }));
    // The self-test gives up sooner (4 tries, about 3.5 s) than a user's window (6, about 15 s).
    let retry = if self_test {
        Retry {
            attempts: SELF_TEST_RETRIES,
        }
    } else {
        Retry::default()
    };
    let outcome: Outcome = Arc::new(Mutex::new(None));
    let driver = mode.map(|mode| Driver::new(mode, Arc::clone(&outcome)));
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(TITLE)
            .with_inner_size([720.0, 460.0])
            .with_min_inner_size([420.0, 260.0]),
        ..Default::default()
    };
    let ran = eframe::run_native(
        TITLE,
        options,
        Box::new(move |cc| Ok(Box::new(DesktopApp::new(cc, url, retry, driver)))),
    );
    named_websocket::clear_wake_hook();
    if let Err(error) = ran {
        eprintln!("cannot run the window: {error}");
        return ExitCode::FAILURE;
    }

    if !self_test {
        return ExitCode::SUCCESS;
    }
    let outcome = outcome.lock().map(|mut o| o.take()).unwrap_or(None);
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

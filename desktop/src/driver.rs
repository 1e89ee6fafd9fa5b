//! Drives the window as a user would, for `--self-test` and `--demo`: pointer moves and
//! clicks on the buttons' and fields' on-screen rectangles, and typed text, injected into
//! egui's input (`App::raw_input_hook`) so that the widgets' own code handles them. Between
//! actions it waits, frame by frame, for what the user would wait to see; one overall
//! deadline bounds the whole run.

use std::cell::Cell;
use std::collections::{BTreeSet, VecDeque};
use std::io::Write;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui::{self, Event, Key, Modifiers, PointerButton, Pos2};

use crate::app::Targets;
use crate::echo::DROP_AND_STALL;
use crate::link::{Entry, Link, Status};

/// What the driver can see of the window at the start of a frame (as the last frame left it).
pub struct View<'a> {
    pub link: &'a Link,
    pub url: &'a str,
    pub url_focused: bool,
    pub input: &'a str,
    pub input_focused: bool,
    pub targets: &'a Targets,
    /// Characters drawn so far that the fonts lack.
    pub missing_glyphs: &'a BTreeSet<char>,
}

/// What a run is for.
#[derive(Clone, Debug)]
pub enum Mode {
    /// Connect, send this many messages one by one and see each echo, disconnect, check the
    /// close code; connect again, have the server drop the connection, disconnect while the
    /// window reconnects, check the close code again; then connect to `refused_url` (where
    /// nothing listens): cancel while it tries again, then let it give up; in both, the error
    /// shows once. Then close the window.
    SelfTest {
        messages: usize,
        deadline: Duration,
        refused_url: String,
    },
    /// Connect, send a few messages, start typing one more, then hold (for a screenshot).
    Demo,
}

/// How many times the self-test's window retries a failed connect before it gives up (a
/// user's window: `Retry::default()`).
pub const SELF_TEST_RETRIES: u32 = 3;

/// How a self-test ended: `Err` says what was missing.
pub type Outcome = Arc<Mutex<Option<Result<String, String>>>>;

#[derive(Clone, Copy, Debug)]
enum Target {
    Url,
    Connect,
    Disconnect,
    Input,
    Send,
}

type Check = Box<dyn Fn(&View<'_>) -> bool>;

enum Action {
    /// Move the pointer over the widget, press, release: one step per frame, as a hand would.
    Click(Target),
    /// Type this text (into whatever has the keyboard focus).
    Type(String),
    /// Press Ctrl+A (select all in the focused field).
    SelectAll,
    /// Wait until the check holds; the text says what we wait for.
    WaitFor(Check, String),
    /// Self-test: check the whole run, then close the window.
    Finish,
    /// Demo: stay as we are.
    Hold,
}

pub struct Driver {
    actions: VecDeque<Action>,
    steps: usize,
    /// Frames into the current click (0: move, 1: press, 2: release).
    click_phase: u8,
    started: Instant,
    deadline: Instant,
    frames: u64,
    /// The messages the run sends, in order.
    messages: Vec<String>,
    outcome: Outcome,
    finished: bool,
    holding: bool,
}

impl Driver {
    pub fn new(mode: Mode, outcome: Outcome) -> Driver {
        let (messages, deadline): (Vec<String>, _) = match mode {
            Mode::SelfTest {
                messages, deadline, ..
            } => (
                (1..=messages)
                    .map(|i| format!("self-test message {i} of {messages}"))
                    .collect(),
                deadline,
            ),
            Mode::Demo => (
                [
                    "Hello from the desktop client!",
                    "Each line goes through the input line and the Send button,",
                    "and comes back from the loopback echo server.",
                ]
                .map(String::from)
                .to_vec(),
                Duration::from_secs(60),
            ),
        };
        let actions = script(mode, &messages);
        let started = Instant::now();
        Driver {
            steps: actions.len(),
            actions,
            click_phase: 0,
            started,
            deadline: started + deadline,
            frames: 0,
            messages,
            outcome,
            finished: false,
            holding: false,
        }
    }

    /// The self-test is over: the window should close.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Still acting or waiting, so frames must keep coming.
    pub fn busy(&self) -> bool {
        !self.finished && !self.holding
    }

    /// Called at the start of every frame: adds this frame's input, or checks a wait.
    pub fn frame(&mut self, view: &View<'_>, raw_input: &mut egui::RawInput) {
        if !self.busy() {
            return;
        }
        // The driver owns the pointer: the real one (under Xvfb, parked mid-screen, and it
        // reports itself as the window maps) would turn a click into a drag.
        raw_input.events.retain(|event| !is_pointer(event));
        // A user types into a window that has the keyboard focus. Under Xvfb no window
        // manager gives it one, and egui then refuses the focus to the input line.
        raw_input.focused = true;
        self.frames += 1;
        if Instant::now() > self.deadline {
            let what = match self.actions.front() {
                Some(Action::WaitFor(_, what)) => format!("waiting for {what}"),
                Some(Action::Click(target)) => format!("clicking {target:?}"),
                _ => "its last step".to_owned(),
            };
            let step = self.steps - self.actions.len() + 1;
            self.end(Err(format!(
                "deadline passed at step {step} of {}, {what}\n{}",
                self.steps,
                self.report(view)
            )));
            return;
        }
        let Some(action) = self.actions.front() else {
            return;
        };
        match action {
            Action::Click(target) => {
                let rect = match target {
                    Target::Url => view.targets.url,
                    Target::Connect => view.targets.connect,
                    Target::Disconnect => view.targets.disconnect,
                    Target::Input => view.targets.input,
                    Target::Send => view.targets.send,
                };
                // Not laid out yet: try again next frame.
                let Some(rect) = rect else { return };
                let pos = rect.center();
                match self.click_phase {
                    0 => raw_input.events.push(Event::PointerMoved(pos)),
                    1 => raw_input.events.push(button(pos, true)),
                    _ => raw_input.events.push(button(pos, false)),
                }
                self.click_phase += 1;
                if self.click_phase == 3 {
                    self.click_phase = 0;
                    self.actions.pop_front();
                }
            }
            Action::Type(text) => {
                raw_input.events.push(Event::Text(text.clone()));
                self.actions.pop_front();
            }
            Action::SelectAll => {
                for pressed in [true, false] {
                    raw_input.events.push(Event::Key {
                        key: Key::A,
                        physical_key: None,
                        pressed,
                        repeat: false,
                        modifiers: Modifiers::COMMAND,
                    });
                }
                self.actions.pop_front();
            }
            Action::WaitFor(check, _) => {
                if check(view) {
                    self.actions.pop_front();
                }
            }
            Action::Finish => {
                let verdict = self.verdict(view);
                self.end(verdict);
            }
            Action::Hold => {
                self.holding = true;
                println!("demo: ready");
                let _ = std::io::stdout().flush();
            }
        }
    }

    fn end(&mut self, result: Result<String, String>) {
        if let Ok(mut outcome) = self.outcome.lock() {
            *outcome = Some(result);
        }
        self.finished = true;
    }

    /// Checks the whole run once the script is through.
    fn verdict(&self, view: &View<'_>) -> Result<String, String> {
        let log = view.link.log();
        let received: Vec<&str> = log
            .iter()
            .filter_map(|entry| match entry {
                Entry::Received(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let sent: Vec<&str> = log
            .iter()
            .filter_map(|entry| match entry {
                Entry::Sent(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let expected: Vec<&str> = self.messages.iter().map(String::as_str).collect();
        let mut expected_sent = expected.clone();
        expected_sent.push(DROP_AND_STALL);
        // The connection the server dropped on purpose reports its loss; nothing before it
        // may report an error.
        let dropped_at = log
            .iter()
            .position(|entry| *entry == Entry::Sent(DROP_AND_STALL.to_owned()))
            .unwrap_or(log.len());
        let errors = log[..dropped_at]
            .iter()
            .any(|entry| matches!(entry, Entry::Error { .. }));
        let glyphs_drawn = view.missing_glyphs.is_empty();
        if sent == expected_sent && received == expected && !errors && glyphs_drawn {
            Ok(format!(
                "{} messages sent through the input line and echoed in order; disconnected \
                 while open, then while reconnecting; a refused connect cancelled while it \
                 retried, then given up on, its error shown once; every character drawn; \
                 status \"{}\"; {:.1} s, {} frames",
                expected.len(),
                view.link.status(),
                self.started.elapsed().as_secs_f64(),
                self.frames
            ))
        } else {
            Err(format!(
                "the finished run does not add up\n{}",
                self.report(view)
            ))
        }
    }

    /// What a failure report shows: the state, and which messages went out or came back.
    fn report(&self, view: &View<'_>) -> String {
        let log = view.link.log();
        let has = |wanted: &Entry| log.contains(wanted);
        let unsent: Vec<&String> = self
            .messages
            .iter()
            .filter(|m| !has(&Entry::Sent((*m).clone())))
            .collect();
        let unechoed: Vec<&String> = self
            .messages
            .iter()
            .filter(|m| has(&Entry::Sent((*m).clone())) && !has(&Entry::Received((*m).clone())))
            .collect();
        let errors: Vec<&Entry> = log
            .iter()
            .filter(|entry| matches!(entry, Entry::Error { .. }))
            .collect();
        format!(
            "  status: {}\n  last error: {}\n  input line: {:?} (focused: {})\n  \
             never sent: {unsent:?}\n  sent, no echo: {unechoed:?}\n  errors in the log: {errors:?}\n  \
             characters the fonts lack: {:?}\n  {:.1} s, {} frames",
            view.link.status(),
            view.link.error().unwrap_or("none"),
            view.input,
            view.input_focused,
            view.missing_glyphs,
            self.started.elapsed().as_secs_f64(),
            self.frames,
        )
    }
}

/// Real input the driver keeps out: the pointer's, and the window's focus changes.
fn is_pointer(event: &Event) -> bool {
    matches!(
        event,
        Event::PointerMoved(_)
            | Event::MouseMoved(_)
            | Event::PointerButton { .. }
            | Event::PointerGone
            | Event::MouseWheel { .. }
            | Event::Touch { .. }
            | Event::WindowFocused(_)
    )
}

fn button(pos: Pos2, pressed: bool) -> Event {
    Event::PointerButton {
        pos,
        button: PointerButton::Primary,
        pressed,
        modifiers: Modifiers::default(),
    }
}

fn wait(what: impl Into<String>, check: impl Fn(&View<'_>) -> bool + 'static) -> Action {
    Action::WaitFor(Box::new(check), what.into())
}

/// The user's actions, in order.
fn script(mode: Mode, messages: &[String]) -> VecDeque<Action> {
    let mut actions = VecDeque::new();
    actions.push_back(wait("the window to lay out, not connected", |v| {
        v.targets.connect.is_some() && *v.link.status() == Status::Idle
    }));
    actions.push_back(Action::Click(Target::Connect));
    actions.push_back(wait("the status to say open", |v| {
        *v.link.status() == Status::Open
    }));
    for message in messages {
        actions.push_back(Action::Click(Target::Input));
        actions.push_back(wait("the input line to take the focus", |v| {
            v.input_focused
        }));
        actions.push_back(Action::Type(message.clone()));
        let typed = message.clone();
        actions.push_back(wait(
            format!("the input line to show {message:?}"),
            move |v| v.input == typed,
        ));
        actions.push_back(Action::Click(Target::Send));
        let echo = Entry::Received(message.clone());
        actions.push_back(wait(
            format!("the echo of {message:?} in the log"),
            move |v| v.link.log().contains(&echo),
        ));
    }
    match mode {
        Mode::SelfTest { refused_url, .. } => {
            actions.push_back(Action::Click(Target::Disconnect));
            actions.push_back(wait("the status to say closed with code 1000", |v| {
                matches!(v.link.status(), Status::Closed { code: 1000, .. })
            }));
            // Again, and this time Disconnect while the socket reconnects: the server drops
            // the connection and leaves the next attempts unanswered. The final Close must
            // still come, and say our code.
            actions.push_back(Action::Click(Target::Connect));
            actions.push_back(wait("the status to say open again", |v| {
                *v.link.status() == Status::Open
            }));
            actions.push_back(Action::Click(Target::Input));
            actions.push_back(wait("the input line to take the focus", |v| {
                v.input_focused
            }));
            actions.push_back(Action::Type(DROP_AND_STALL.to_owned()));
            actions.push_back(wait("the input line to show the drop command", |v| {
                v.input == DROP_AND_STALL
            }));
            actions.push_back(Action::Click(Target::Send));
            actions.push_back(wait("the status to say reconnecting", |v| {
                matches!(v.link.status(), Status::Reconnecting { .. })
            }));
            actions.push_back(Action::Click(Target::Disconnect));
            actions.push_back(wait(
                "the status to say closed with code 1000 after a Disconnect while reconnecting",
                |v| matches!(v.link.status(), Status::Closed { code: 1000, .. }),
            ));
            refused_connects(&mut actions, refused_url);
            actions.push_back(Action::Finish);
        }
        Mode::Demo => {
            actions.push_back(Action::Click(Target::Input));
            actions.push_back(wait("the input line to take the focus", |v| {
                v.input_focused
            }));
            actions.push_back(Action::Type("and this one is being typed".to_owned()));
            actions.push_back(Action::Hold);
        }
    }
    actions
}

/// A first connect to a URL where nothing listens: the window says it tries again and offers
/// Cancel, which ends it; connected again, it gives up by itself after its attempts. Each
/// time the refusal is one line of the log (counting the attempts), and no note or status
/// line repeats its sentence.
fn refused_connects(actions: &mut VecDeque<Action>, refused_url: String) {
    actions.push_back(Action::Click(Target::Url));
    actions.push_back(wait("the URL field to take the focus", |v| v.url_focused));
    actions.push_back(Action::SelectAll);
    actions.push_back(Action::Type(refused_url.clone()));
    actions.push_back(wait(
        format!("the URL field to show {refused_url:?}"),
        move |v| v.url == refused_url,
    ));
    let start = Rc::new(Cell::new(0));
    let first = Rc::clone(&start);
    actions.push_back(wait("the window to be ready to connect", move |v| {
        first.set(v.link.log().len());
        v.link.status().can_connect()
    }));
    actions.push_back(Action::Click(Target::Connect));
    let from = Rc::clone(&start);
    actions.push_back(wait(
        "the status to say it tries again (attempt 2), the button to say Cancel, and the \
         refusal to be one line of the log",
        move |v| {
            matches!(
                v.link.status(),
                Status::Reconnecting {
                    attempt: 2..,
                    lost: false,
                    ..
                }
            ) && v.link.status().stop_label() == "Cancel"
                && shown_once(v, from.get(), |times| times >= 2)
        },
    ));
    actions.push_back(Action::Click(Target::Disconnect));
    actions.push_back(wait(
        "the status to say closed with code 1000 after Cancel",
        |v| matches!(v.link.status(), Status::Closed { code: 1000, .. }),
    ));
    let second = Rc::clone(&start);
    actions.push_back(wait("the window to be ready to connect again", move |v| {
        second.set(v.link.log().len());
        v.link.status().can_connect()
    }));
    actions.push_back(Action::Click(Target::Connect));
    actions.push_back(wait(
        "the window to give up (closed, \"could not connect in N tries\"), the refusal one \
         line of the log",
        move |v| {
            let Status::Closed { code, reason } = v.link.status() else {
                return false;
            };
            *code != 1000
                && *reason == format!("could not connect in {} tries", SELF_TEST_RETRIES + 1)
                && shown_once(v, start.get(), |times| times == SELF_TEST_RETRIES + 1)
        },
    ));
}

/// Whether the log from line `from` on holds exactly one error line, counting a number of
/// attempts in `times`, and no other line of the log, nor the status, repeats its sentence.
fn shown_once(v: &View<'_>, from: usize, times: impl Fn(u32) -> bool) -> bool {
    let lines = v.link.log().get(from..).unwrap_or_default();
    let errors: Vec<(&String, u32)> = lines
        .iter()
        .filter_map(|entry| match entry {
            Entry::Error { text, times } => Some((text, *times)),
            _ => None,
        })
        .collect();
    let [(sentence, count)] = errors[..] else {
        return false;
    };
    let repeated = lines.iter().any(|entry| match entry {
        Entry::Note(text) | Entry::Sent(text) | Entry::Received(text) => text.contains(sentence),
        Entry::Error { .. } => false,
    });
    times(count) && !repeated && !v.link.status().to_string().contains(sentence)
}

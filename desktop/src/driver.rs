//! Drives the window as a user would, for `--self-test` and `--demo`: pointer moves and
//! clicks on the buttons' and fields' on-screen rectangles, and typed text, injected into
//! egui's input (`App::raw_input_hook`) so that the widgets' own code handles them. Between
//! actions it waits, frame by frame, for what the user would wait to see; one overall
//! deadline bounds the whole run.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui::{self, Event, Modifiers, PointerButton, Pos2};

use crate::app::Targets;
use crate::echo::DROP_AND_STALL;
use crate::link::{Entry, Link, Status};

/// What the driver can see of the window at the start of a frame (as the last frame left it).
pub struct View<'a> {
    pub link: &'a Link,
    pub input: &'a str,
    pub input_focused: bool,
    pub targets: &'a Targets,
}

/// What a run is for.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// Connect, send this many messages one by one and see each echo, disconnect, check the
    /// close code; connect again, have the server drop the connection, disconnect while the
    /// window reconnects, check the close code again; then close the window.
    SelfTest { messages: usize, deadline: Duration },
    /// Connect, send a few messages, start typing one more, then hold (for a screenshot).
    Demo,
}

/// How a self-test ended: `Err` says what was missing.
pub type Outcome = Arc<Mutex<Option<Result<String, String>>>>;

#[derive(Clone, Copy, Debug)]
enum Target {
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
            Mode::SelfTest { messages, deadline } => (
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
        let closed_normally = matches!(view.link.status(), Status::Closed { code: 1000, .. });
        // The connection the server dropped on purpose reports its loss; nothing before it
        // may report an error.
        let dropped_at = log
            .iter()
            .position(|entry| *entry == Entry::Sent(DROP_AND_STALL.to_owned()))
            .unwrap_or(log.len());
        let errors = log[..dropped_at]
            .iter()
            .any(|entry| matches!(entry, Entry::Error(_)));
        if sent == expected_sent && received == expected && closed_normally && !errors {
            Ok(format!(
                "{} messages sent through the input line and echoed in order; disconnected \
                 while open, then while reconnecting; status \"{}\"; {:.1} s, {} frames",
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
            .filter(|entry| matches!(entry, Entry::Error(_)))
            .collect();
        format!(
            "  status: {}\n  last error: {}\n  input line: {:?} (focused: {})\n  \
             never sent: {unsent:?}\n  sent, no echo: {unechoed:?}\n  errors in the log: {errors:?}\n  \
             {:.1} s, {} frames",
            view.link.status(),
            view.link.error().unwrap_or("none"),
            view.input,
            view.input_focused,
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
        Mode::SelfTest { .. } => {
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

//! Drives the window as a user would, for `--self-test` and `--demo`: clicks the buttons (only
//! when they are sensitive, as a user could), types into the input line, and waits for what a
//! user would wait to see, read from the widgets themselves (the status label, the log). It
//! acts on the GUI thread after each drain of socket events; one deadline bounds the run.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Write;
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use gtk::glib;
use gtk::prelude::*;

use crate::chat::{Chat, ERROR, RECEIVED, SENT};

/// What a run is for.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// Connect (unless the socket was opened at start), send this many messages one by one
    /// and see each echo, disconnect, see the status say closed with code 1000, then quit.
    SelfTest { messages: usize, deadline: Duration },
    /// Connect, send a few messages, start typing one more, then hold (for a screenshot).
    Demo,
}

/// How a self-test ended: `Err` says what was missing.
pub type Outcome = Rc<RefCell<Option<Result<String, String>>>>;

#[derive(Clone, Copy, Debug)]
enum Target {
    Connect,
    Disconnect,
    Send,
}

type Check = Box<dyn Fn(&Chat) -> bool>;

enum Action {
    /// Click the button, which must be sensitive.
    Click(Target),
    /// Type this text into the input line.
    Type(String),
    /// Wait until the check holds; the text says what we wait for.
    WaitFor(Check, String),
    /// Self-test: check the whole run, then quit.
    Finish,
    /// Demo: stay as we are.
    Hold,
}

struct Driver {
    chat: Weak<Chat>,
    app: gtk::Application,
    actions: VecDeque<Action>,
    steps: usize,
    started: Instant,
    /// The messages the run sends, in order.
    messages: Vec<String>,
    outcome: Outcome,
    done: bool,
}

/// Starts driving the window; the outcome of a self-test lands in `outcome`, and the
/// application quits when it is known.
pub fn start(chat: &Rc<Chat>, app: &gtk::Application, mode: Mode, outcome: Outcome) {
    let messages: Vec<String> = match mode {
        Mode::SelfTest { messages, .. } => (1..=messages)
            .map(|i| format!("self-test message {i} of {messages}"))
            .collect(),
        Mode::Demo => [
            "Hello from the GTK 4 example!",
            "Each line goes through the input line and the Send button,",
            "and comes back from the loopback echo server.",
        ]
        .map(String::from)
        .to_vec(),
    };
    let actions = script(mode, chat.status() == crate::chat::Status::Idle, &messages);
    let driver = Rc::new(RefCell::new(Driver {
        chat: Rc::downgrade(chat),
        app: app.clone(),
        steps: actions.len(),
        actions,
        started: Instant::now(),
        messages,
        outcome,
        done: false,
    }));
    // No window manager gives the window the focus under Xvfb, so the input line's blinking
    // cursor would warn that it missed a focus-out event.
    if let Some(settings) = gtk::Settings::default() {
        settings.set_gtk_cursor_blink(false);
    }
    // The window keeps the driver (it holds the window weakly): each drain that took events
    // lets it take its next steps.
    let observer = Rc::clone(&driver);
    chat.observe(move || observer.borrow_mut().advance());
    if let Mode::SelfTest { deadline, .. } = mode {
        let driver = Rc::clone(&driver);
        glib::timeout_add_local_once(deadline, move || driver.borrow_mut().time_out());
    }
    // The first steps need no event: take them once the main loop runs.
    glib::idle_add_local_once(move || driver.borrow_mut().advance());
}

impl Driver {
    /// Takes the steps that can be taken now, up to the first wait that does not hold yet.
    fn advance(&mut self) {
        let Some(chat) = self.chat.upgrade() else {
            return;
        };
        while !self.done {
            let Some(action) = self.actions.front() else {
                return;
            };
            match action {
                Action::Click(target) => {
                    let button = match target {
                        Target::Connect => &chat.connect,
                        Target::Disconnect => &chat.disconnect,
                        Target::Send => &chat.send,
                    };
                    if !button.is_sensitive() {
                        let failure = format!("{target:?} is greyed out\n{}", self.report(&chat));
                        self.end(Err(failure));
                        return;
                    }
                    button.emit_clicked();
                }
                Action::Type(text) => {
                    chat.input.set_text(text);
                    // The cursor after the text, where typing leaves it.
                    chat.input.set_position(-1);
                }
                Action::WaitFor(check, _) => {
                    if !check(&chat) {
                        return;
                    }
                }
                Action::Finish => {
                    let verdict = self.verdict(&chat);
                    self.end(verdict);
                    return;
                }
                Action::Hold => {
                    self.done = true;
                    // Ready once the window has drawn what it shows now.
                    if let Some(clock) = chat.window.frame_clock() {
                        let handler = Rc::new(RefCell::new(None));
                        let id = clock.connect_after_paint({
                            let handler = Rc::clone(&handler);
                            move |clock| {
                                if let Some(id) = handler.borrow_mut().take() {
                                    clock.disconnect(id);
                                    println!("demo: ready");
                                    let _ = std::io::stdout().flush();
                                }
                            }
                        });
                        handler.replace(Some(id));
                    }
                    chat.window.queue_draw();
                    return;
                }
            }
            self.actions.pop_front();
        }
    }

    fn time_out(&mut self) {
        if self.done {
            return;
        }
        let what = match self.actions.front() {
            Some(Action::WaitFor(_, what)) => format!("waiting for {what}"),
            Some(Action::Click(target)) => format!("clicking {target:?}"),
            _ => "its last step".to_owned(),
        };
        let step = self.steps - self.actions.len() + 1;
        let report = match self.chat.upgrade() {
            Some(chat) => self.report(&chat),
            None => "  (the window is gone)".to_owned(),
        };
        self.end(Err(format!(
            "deadline passed at step {step} of {}, {what}\n{report}",
            self.steps
        )));
    }

    fn end(&mut self, result: Result<String, String>) {
        self.done = true;
        self.outcome.replace(Some(result));
        // The application ends with its last window.
        match self.chat.upgrade() {
            Some(chat) => chat.window.close(),
            None => self.app.quit(),
        }
    }

    /// Checks the whole run, from what the window shows.
    fn verdict(&self, chat: &Chat) -> Result<String, String> {
        let log = log_lines(chat);
        let with = |kind: &str| -> Vec<String> {
            log.iter()
                .filter_map(|line| line.strip_prefix(kind).map(str::to_owned))
                .collect()
        };
        let status = chat.status_label.text();
        if with(SENT) == self.messages
            && with(RECEIVED) == self.messages
            && with(ERROR).is_empty()
            && crate::chat::misplaced_drains() == 0
            && status == "closed with code 1000"
        {
            Ok(format!(
                "{} messages sent through the input line and Send, echoed in order; \
                 status \"{status}\"; {:.1} s",
                self.messages.len(),
                self.started.elapsed().as_secs_f64(),
            ))
        } else {
            Err(format!(
                "the finished run does not add up\n{}",
                self.report(chat)
            ))
        }
    }

    /// What a failure report shows: the status, and which messages went out or came back.
    fn report(&self, chat: &Chat) -> String {
        let log = log_lines(chat);
        let has = |kind: &str, text: &str| log.iter().any(|line| *line == format!("{kind}{text}"));
        let unsent: Vec<&String> = self.messages.iter().filter(|m| !has(SENT, m)).collect();
        let unechoed: Vec<&String> = self
            .messages
            .iter()
            .filter(|m| has(SENT, m) && !has(RECEIVED, m))
            .collect();
        let errors: Vec<&String> = log.iter().filter(|l| l.starts_with(ERROR)).collect();
        format!(
            "  status: {}\n  input line: {:?}\n  never sent: {unsent:?}\n  \
             sent, no echo: {unechoed:?}\n  errors in the log: {errors:?}\n  \
             drains run off the GUI thread: {}\n  {:.1} s",
            chat.status_label.text(),
            chat.input.text(),
            crate::chat::misplaced_drains(),
            self.started.elapsed().as_secs_f64(),
        )
    }
}

/// The log as the window shows it, a line each.
fn log_lines(chat: &Chat) -> Vec<String> {
    let (start, end) = chat.log.bounds();
    chat.log
        .text(&start, &end, false)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn wait(what: impl Into<String>, check: impl Fn(&Chat) -> bool + 'static) -> Action {
    Action::WaitFor(Box::new(check), what.into())
}

/// The user's actions, in order. `click_connect`: the socket was not opened at start.
fn script(mode: Mode, click_connect: bool, messages: &[String]) -> VecDeque<Action> {
    let mut actions = VecDeque::new();
    if click_connect {
        actions.push_back(Action::Click(Target::Connect));
    }
    actions.push_back(wait("the status to say open", |chat| {
        chat.status_label.text() == "open"
    }));
    for message in messages {
        actions.push_back(Action::Type(message.clone()));
        actions.push_back(Action::Click(Target::Send));
        let echo = format!("{RECEIVED}{message}");
        actions.push_back(wait(
            format!("the echo of {message:?} in the log"),
            move |chat| log_lines(chat).contains(&echo),
        ));
    }
    match mode {
        Mode::SelfTest { .. } => {
            actions.push_back(Action::Click(Target::Disconnect));
            actions.push_back(wait("the status to say closed with code 1000", |chat| {
                chat.status_label.text() == "closed with code 1000"
            }));
            actions.push_back(Action::Finish);
        }
        Mode::Demo => {
            actions.push_back(Action::Type("and this one is being typed".to_owned()));
            actions.push_back(Action::Hold);
        }
    }
    actions
}

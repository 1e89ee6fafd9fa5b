//! The connection as the window sees it: a status, the last error and a message log, fed by
//! the socket's events.
//!
//! This is the only module that talks to named-websocket. The socket is opened without a
//! callback (`websocket_client_connect_polled`): its events wait in a queue of its own, and
//! [`Link::pump`], called once per frame on the UI thread, takes them into the model, which
//! the UI thread owns (no `Arc`, no `Mutex`, no channel). The wake hook asks egui for a frame
//! when events arrive. Nothing here waits on the network: a write that the socket does not
//! take at once is queued, and `socket_close` returns at once (the final Close, clean or timed
//! out, arrives as an event, through the handle that outlives the socket's name). Whatever the
//! socket is doing when Disconnect is clicked (connecting, open, waiting to reconnect,
//! reconnecting), exactly one final Close (`ended: true`) comes; the Close of a connection
//! lost while reconnecting is on (`ended: false`) does not end it.

use std::fmt;
use std::time::Duration;

use named_websocket::{
    set_wake_hook, socket_close, socket_exist, socket_write, websocket_client_connect_polled,
    ConnectOptions, Event, Message, Reconnect, SocketEvents,
};

/// Where the connection is, as the status line shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// No connection was attempted yet.
    Idle,
    /// The connect runs in the background.
    Connecting,
    /// Messages can be sent.
    Open,
    /// A connect failed (`lost: false`: the socket never opened) or the connection was lost;
    /// attempt `attempt` of at most `of` starts after `delay`.
    Reconnecting {
        attempt: u32,
        of: u32,
        delay: Duration,
        lost: bool,
    },
    /// Disconnect was clicked; the close handshake runs.
    Closing,
    /// The connection is over, with the close code and reason (1006: lost without a Close).
    Closed { code: u16, reason: String },
}

impl Status {
    /// Connect makes sense: nothing is running.
    pub fn can_connect(&self) -> bool {
        matches!(self, Status::Idle | Status::Closed { .. })
    }

    /// Disconnect makes sense: something is running that it would stop.
    pub fn can_disconnect(&self) -> bool {
        matches!(
            self,
            Status::Connecting | Status::Open | Status::Reconnecting { .. }
        )
    }

    /// What the button that stops the socket says: before the socket ever opened, stopping
    /// it cancels the connect.
    pub fn stop_label(&self) -> &'static str {
        match self {
            Status::Connecting | Status::Reconnecting { lost: false, .. } => "Cancel",
            _ => "Disconnect",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Idle => f.write_str("not connected"),
            Status::Connecting => f.write_str("connecting…"),
            Status::Open => f.write_str("open"),
            Status::Reconnecting {
                attempt,
                of,
                delay,
                lost,
            } => write!(
                f,
                "{} (attempt {attempt} of {of} in {:.1} s)…",
                if *lost {
                    "connection lost, reconnecting"
                } else {
                    "cannot connect, trying again"
                },
                delay.as_secs_f64()
            ),
            Status::Closing => f.write_str("closing…"),
            Status::Closed { code, reason } if reason.is_empty() => {
                write!(f, "closed with code {code}")
            }
            Status::Closed { code, reason } => write!(f, "closed with code {code}: {reason}"),
        }
    }
}

/// One line of the message log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A message we sent.
    Sent(String),
    /// A message the server sent.
    Received(String),
    /// A change of state worth a line (opened, closed, reconnecting).
    Note(String),
    /// An error, as the library's `Error` prints it: a sentence, and how many times in a row
    /// it happened (each failed attempt of a retrying connect reports it again).
    Error { text: String, times: u32 },
}

/// How a socket of this window retries: after a failed first connect or a lost connection,
/// it tries again after 0.5 s, then 1, 2, 4… s, and gives up when `attempts` retries in a row
/// failed, so that a wrong URL or a server that is down ends in "closed" with the reason,
/// instead of retrying for ever; Cancel (or Disconnect) stops it sooner.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
    pub attempts: u32,
}

impl Default for Retry {
    /// Five retries: about 15 s before the window gives up.
    fn default() -> Retry {
        Retry { attempts: 5 }
    }
}

/// Prefix of the socket names this window uses; each Connect takes a fresh one, so that a
/// late event of an earlier connection can be told apart and ignored.
const NAME_PREFIX: &str = "desktop-";

/// The connection and everything the window shows about it.
pub struct Link {
    status: Status,
    error: Option<String>,
    log: Vec<Entry>,
    /// Where in the log the last error is, while a repeat of it would only add to its count
    /// (until the socket opens or another line comes between).
    repeatable_error: Option<usize>,
    /// The current socket's events (and name), once Connect was clicked.
    events: Option<SocketEvents>,
    /// Whether the current socket has been open (a retry is then a reconnect).
    opened: bool,
    retry: Retry,
    connects: u64,
}

impl Link {
    /// A link with nothing connected. `wake` is called (never on the UI thread) whenever
    /// socket events wait to be taken: it should schedule a frame, and be quick.
    pub fn new(wake: impl Fn() + Send + Sync + 'static, retry: Retry) -> Link {
        set_wake_hook(wake);
        Link {
            status: Status::Idle,
            error: None,
            log: Vec::new(),
            repeatable_error: None,
            events: None,
            opened: false,
            retry,
            connects: 0,
        }
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The last error, as a sentence; cleared by the next Connect or successful Send.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn log(&self) -> &[Entry] {
        &self.log
    }

    /// Starts connecting in the background; the outcome arrives through [`Link::pump`].
    pub fn connect(&mut self, url: &str) {
        if !self.status.can_connect() {
            return;
        }
        // As in WLanguage, a dead socket keeps its name until closed: free the previous one.
        self.release_name();
        self.connects += 1;
        let name = format!("{NAME_PREFIX}{}", self.connects);
        // Retry a failed connect or a lost connection a few times, then give up.
        let options = ConnectOptions::new().reconnect(
            Reconnect::new()
                .min_delay(Duration::from_millis(500))
                .max_attempts(Some(self.retry.attempts)),
        );
        self.error = None;
        self.repeatable_error = None;
        self.opened = false;
        match websocket_client_connect_polled(&name, url, &options) {
            Ok(events) => {
                self.status = Status::Connecting;
                self.push(Entry::Note(format!(
                    "connecting to {}",
                    without_user_info(url)
                )));
                self.events = Some(events);
            }
            Err(error) => self.fail(error.to_string()),
        }
    }

    /// Sends a text message; it goes into the log once the library has accepted it.
    pub fn send(&mut self, text: &str) -> bool {
        let Some(events) = &self.events else {
            return false;
        };
        match socket_write(events.name(), text) {
            Ok(()) => {
                self.error = None;
                self.push(Entry::Sent(text.to_owned()));
                true
            }
            Err(error) => {
                self.fail(error.to_string());
                false
            }
        }
    }

    /// Starts the close handshake (code 1000) and returns at once; the final Close arrives
    /// through [`Link::pump`].
    pub fn disconnect(&mut self) {
        if !self.status.can_disconnect() {
            return;
        }
        self.status = Status::Closing;
        if let Some(events) = &self.events {
            // Never waits on the network; an error only means the socket was gone already.
            let _ = socket_close(events.name());
        }
    }

    /// Takes the events that arrived into the status and the log. Returns whether anything
    /// changed.
    pub fn pump(&mut self) -> bool {
        let mut changed = false;
        while let Some(event) = self.events.as_ref().and_then(SocketEvents::next) {
            self.apply(event);
            changed = true;
        }
        changed
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Open { protocol } => {
                // Once Disconnect was clicked, only the final Close changes the status.
                if self.status != Status::Closing {
                    self.status = Status::Open;
                }
                self.opened = true;
                self.push(Entry::Note(match protocol {
                    Some(protocol) => format!("open (subprotocol {protocol})"),
                    None => "open".to_owned(),
                }));
            }
            Event::Message(Message::Text(text)) => self.push(Entry::Received(text)),
            Event::Message(Message::Binary(bytes)) => self.push(Entry::Received(format!(
                "({} bytes of binary)",
                bytes.len()
            ))),
            // The socket's final Close: nothing follows, Connect makes sense again.
            Event::Close {
                code,
                reason,
                ended: true,
                ..
            } => {
                let reason = if self.repeats_error(&reason) {
                    // The error is in the log already; say how the retries ended instead.
                    match self.status {
                        Status::Reconnecting {
                            attempt,
                            lost: true,
                            ..
                        } => format!("gave up after {attempt} attempts to reconnect"),
                        Status::Reconnecting {
                            attempt,
                            lost: false,
                            ..
                        } => format!("could not connect in {} tries", attempt + 1),
                        _ => "see the error above".to_owned(),
                    }
                } else {
                    reason
                };
                self.status = Status::Closed { code, reason };
                self.push(Entry::Note(self.status.to_string()));
            }
            // A lost connection or a failed attempt: a retry follows (Reconnecting says when).
            // After an error the log shows already, it adds nothing.
            Event::Close { code, reason, .. } => {
                if !self.repeats_error(&reason) {
                    let closed = Status::Closed { code, reason };
                    self.push(Entry::Note(format!("{closed}; will reconnect")));
                }
            }
            Event::Error(error) => self.fail(error.to_string()),
            Event::Reconnecting { attempt, delay } => {
                let retrying = Status::Reconnecting {
                    attempt,
                    of: self.retry.attempts,
                    delay,
                    lost: self.opened,
                };
                // The status line counts the attempts; the log notes only the first.
                if attempt == 1 {
                    self.log.push(Entry::Note(retrying.to_string()));
                }
                if self.status != Status::Closing {
                    self.status = retrying;
                }
            }
            // Event is non-exhaustive: a kind this window does not know yet gets a line.
            other => self.push(Entry::Note(format!("{other:?}"))),
        }
    }

    /// Shows an error once: the same sentence again, with only retry notes between, adds to
    /// the count of the line that shows it.
    fn fail(&mut self, sentence: String) {
        let repeat = self
            .repeatable_error
            .and_then(|at| match &mut self.log[at] {
                Entry::Error { text, times } if *text == sentence => Some(times),
                _ => None,
            });
        match repeat {
            Some(times) => *times += 1,
            None => {
                self.log.push(Entry::Error {
                    text: sentence.clone(),
                    times: 1,
                });
                self.repeatable_error = Some(self.log.len() - 1);
            }
        }
        self.error = Some(sentence);
    }

    /// Whether a close reason only repeats the error the log shows last (the library closes a
    /// failed connection with the error's sentence as its reason).
    fn repeats_error(&self, reason: &str) -> bool {
        self.repeatable_error.is_some() && self.error.as_deref() == Some(reason)
    }

    /// Adds a line to the log; a repeat of the last error then gets a line of its own. (The
    /// note of a first retry goes straight into the log: the error it follows may repeat.)
    fn push(&mut self, entry: Entry) {
        self.repeatable_error = None;
        self.log.push(entry);
    }

    /// Frees the name of a finished connection (its socket exists until closed).
    fn release_name(&mut self) {
        if let Some(events) = self.events.take() {
            if socket_exist(events.name()) {
                let _ = socket_close(events.name());
            }
        }
    }
}

/// `url` without the `user:password@` of its authority, if it has one: the log is on screen.
fn without_user_info(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_user_info;

    #[test]
    fn user_info_is_left_out_of_the_logged_url() {
        assert_eq!(
            without_user_info("wss://al:s3cret@host:8443/chat?x=1"),
            "wss://host:8443/chat?x=1"
        );
        assert_eq!(without_user_info("ws://host/a@b"), "ws://host/a@b");
        assert_eq!(without_user_info("ws://host"), "ws://host");
        assert_eq!(without_user_info("not a url"), "not a url");
    }
}

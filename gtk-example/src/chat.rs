//! The window and the connection it shows: a URL entry, Connect and Disconnect, a status label,
//! the message log, an input line and Send. This is the only module that talks to
//! named-websocket.
//!
//! GTK's widgets are not `Send`: they, and everything the drain touches, live on the GUI thread
//! (the thread that runs the default main context). The window sits in a `thread_local` of that
//! thread. The wake hook runs on a socket's worker thread, so all it does is schedule the drain
//! on the GUI thread with `glib::idle_add_once`, which always queues it on the default main
//! context, even before `app.run()` gives that context an owner (`MainContext::invoke` would
//! then run it at once on the worker thread: the self-test counts drains run off the GUI
//! thread). The socket is opened without a callback (`websocket_client_connect_polled`): its
//! events wait in its own queue until the drain takes them, so events that arrive before the
//! window exists are not lost.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, OnceLock};
use std::thread::{self, ThreadId};

use gtk::glib;
use gtk::prelude::*;
use named_websocket::{
    socket_close, socket_exist, socket_write, websocket_client_connect_polled, ConnectOptions,
    Event, Message, SocketEvents,
};

thread_local! {
    /// The window, on the GUI thread: the drain finds it here.
    static CHAT: RefCell<Option<Rc<Chat>>> = const { RefCell::new(None) };
}

/// The thread that runs the main loop, and how many drains ran on another one (none, unless
/// the drain is scheduled wrongly: the self-test checks it).
static GUI_THREAD: OnceLock<ThreadId> = OnceLock::new();
static MISPLACED_DRAINS: AtomicUsize = AtomicUsize::new(0);

/// Sets the wake hook. Call it on the thread that will run `app.run()`, before the first socket
/// opens. The receiver gets a message at the first wake-up (for `--connect`).
pub fn set_wake_hook() -> mpsc::Receiver<()> {
    let _ = GUI_THREAD.set(thread::current().id());
    let (woken, wake_ups) = mpsc::sync_channel(1);
    named_websocket::set_wake_hook(move || {
        wake();
        let _ = woken.try_send(());
    });
    wake_ups
}

/// The wake hook proper. It runs on a worker thread whenever socket events wait to be taken,
/// so it touches no widget: it queues the drain on the default main context, which the GUI
/// thread runs, even if no thread runs it yet.
fn wake() {
    glib::idle_add_once(drain_on_gui_thread);
}

fn drain_on_gui_thread() {
    if GUI_THREAD.get() != Some(&thread::current().id()) {
        MISPLACED_DRAINS.fetch_add(1, Ordering::SeqCst);
        return;
    }
    // Cloned out of the thread_local, so that no borrow of it is held while widgets change
    // (their signal handlers may run in between).
    if let Some(chat) = CHAT.with_borrow(Option::clone) {
        chat.drain();
    }
}

/// How many drains ran off the GUI thread.
pub fn misplaced_drains() -> usize {
    MISPLACED_DRAINS.load(Ordering::SeqCst)
}

/// Prefix of the socket names this window uses; each Connect takes a fresh one.
const NAME_PREFIX: &str = "gtk-";

/// Opens a socket in the background before the window exists (as a program that connects
/// before `app.run()` does); its events wait in its own queue for the window's first drain.
pub fn connect_early(url: &str) -> Result<SocketEvents, named_websocket::Error> {
    open(&format!("{NAME_PREFIX}0"), url)
}

fn open(name: &str, url: &str) -> Result<SocketEvents, named_websocket::Error> {
    websocket_client_connect_polled(name, url, &ConnectOptions::new())
}

/// Where the connection is, as the status label says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// No connection was attempted yet.
    Idle,
    /// The connect runs in the background.
    Connecting,
    /// Messages can be sent.
    Open,
    /// Disconnect was clicked; the close handshake runs.
    Closing,
    /// The connection is over, with the close code and reason (1006: lost without a Close).
    Closed { code: u16, reason: String },
}

impl Status {
    fn can_connect(&self) -> bool {
        matches!(self, Status::Idle | Status::Closed { .. })
    }

    fn can_disconnect(&self) -> bool {
        matches!(self, Status::Connecting | Status::Open)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Idle => f.write_str("not connected"),
            Status::Connecting => f.write_str("connecting…"),
            Status::Open => f.write_str("open"),
            Status::Closing => f.write_str("closing…"),
            Status::Closed { code, reason } if reason.is_empty() => {
                write!(f, "closed with code {code}")
            }
            Status::Closed { code, reason } => write!(f, "closed with code {code}: {reason}"),
        }
    }
}

/// How each kind of log line starts; the self-test reads the log by them.
pub const SENT: &str = "→ ";
pub const RECEIVED: &str = "← ";
pub const NOTE: &str = "· ";
pub const ERROR: &str = "error: ";

/// The widgets, and the state of the connection they show.
pub struct Chat {
    pub window: gtk::ApplicationWindow,
    pub url: gtk::Entry,
    pub connect: gtk::Button,
    pub disconnect: gtk::Button,
    pub status_label: gtk::Label,
    pub log: gtk::TextBuffer,
    log_view: gtk::TextView,
    pub input: gtk::Entry,
    pub send: gtk::Button,
    status: RefCell<Status>,
    /// The current socket's events (and name), once connected.
    events: RefCell<Option<SocketEvents>>,
    connects: Cell<u64>,
    /// Called after each drain that took events (the self-test's driver).
    observer: RefCell<Option<Rc<dyn Fn()>>>,
}

impl Chat {
    /// Builds the window, makes it the one the drain updates, and shows it. `events`: a socket
    /// opened before the window existed (its events waited in its queue), or `None`.
    pub fn install(app: &gtk::Application, url: &str, events: Option<SocketEvents>) -> Rc<Chat> {
        let chat = Rc::new(Chat::build(app, url));
        if let Some(events) = events {
            chat.note(&format!("connecting to {url}"));
            chat.set_status(Status::Connecting);
            chat.events.replace(Some(events));
        }
        chat.wire();
        CHAT.set(Some(Rc::clone(&chat)));
        chat.refresh();
        chat.window.present();
        // What arrived before the window existed: the wake-up it caused found no window.
        chat.drain();
        chat
    }

    fn build(app: &gtk::Application, url: &str) -> Chat {
        let url_entry = gtk::Entry::builder()
            .text(url)
            .placeholder_text("ws://host:port/path")
            .hexpand(true)
            .build();
        let connect = gtk::Button::with_label("Connect");
        let disconnect = gtk::Button::with_label("Disconnect");
        let top = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        top.append(&gtk::Label::new(Some("URL")));
        top.append(&url_entry);
        top.append(&connect);
        top.append(&disconnect);

        let status_label = gtk::Label::builder().xalign(0.0).hexpand(true).build();
        let status_row = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        status_row.append(&gtk::Label::new(Some("Status:")));
        status_row.append(&status_label);

        let log_view = gtk::TextView::builder()
            .editable(false)
            .cursor_visible(false)
            .monospace(true)
            .wrap_mode(gtk::WrapMode::WordChar)
            .left_margin(6)
            .top_margin(4)
            .build();
        let log = log_view.buffer();
        for (kind, color) in [(RECEIVED, "#2e8b57"), (NOTE, "#808080"), (ERROR, "#c0392b")] {
            log.create_tag(Some(kind), &[("foreground", &color)]);
        }
        let scroller = gtk::ScrolledWindow::builder()
            .child(&log_view)
            .vexpand(true)
            .has_frame(true)
            .build();

        let input = gtk::Entry::builder()
            .placeholder_text("a message to send")
            .hexpand(true)
            .build();
        let send = gtk::Button::with_label("Send");
        let bottom = gtk::Box::new(gtk::Orientation::Horizontal, 6);
        bottom.append(&input);
        bottom.append(&send);

        let column = gtk::Box::builder()
            .orientation(gtk::Orientation::Vertical)
            .spacing(6)
            .margin_top(8)
            .margin_bottom(8)
            .margin_start(8)
            .margin_end(8)
            .build();
        column.append(&top);
        column.append(&status_row);
        column.append(&scroller);
        column.append(&bottom);

        let window = gtk::ApplicationWindow::builder()
            .application(app)
            .title(crate::TITLE)
            .default_width(720)
            .default_height(460)
            .child(&column)
            .build();
        Chat {
            window,
            url: url_entry,
            connect,
            disconnect,
            status_label,
            log,
            log_view,
            input,
            send,
            status: RefCell::new(Status::Idle),
            events: RefCell::new(None),
            connects: Cell::new(0),
            observer: RefCell::new(None),
        }
    }

    /// Connects the widgets' signals. The handlers hold the window weakly: it owns them.
    fn wire(self: &Rc<Self>) {
        let on = |chat: &Rc<Chat>, action: fn(&Chat)| {
            let chat = Rc::downgrade(chat);
            move || {
                if let Some(chat) = Weak::upgrade(&chat) {
                    action(&chat);
                }
            }
        };
        let connect = on(self, Chat::connect);
        self.connect.connect_clicked(move |_| connect());
        let connect = on(self, Chat::connect);
        self.url.connect_activate(move |_| connect());
        let disconnect = on(self, Chat::disconnect);
        self.disconnect.connect_clicked(move |_| disconnect());
        let send = on(self, Chat::send_input);
        self.send.connect_clicked(move |_| send());
        let send = on(self, Chat::send_input);
        self.input.connect_activate(move |_| send());
        let refresh = on(self, Chat::refresh);
        self.input.connect_changed(move |_| refresh());
    }

    /// `observer` runs after each drain that took events.
    pub fn observe(&self, observer: impl Fn() + 'static) {
        self.observer.replace(Some(Rc::new(observer)));
    }

    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Takes the events that wait into the widgets. Runs on the GUI thread.
    pub fn drain(&self) {
        let mut took = false;
        // One event at a time, so that no borrow is held while the widgets change.
        while let Some(event) = self.next_event() {
            self.apply(event);
            took = true;
        }
        if took {
            let observer = self.observer.borrow().clone();
            if let Some(observer) = observer {
                observer();
            }
        }
    }

    fn next_event(&self) -> Option<Event> {
        self.events.borrow().as_ref().and_then(SocketEvents::next)
    }

    fn apply(&self, event: Event) {
        match event {
            Event::Open { protocol } => {
                self.set_status(Status::Open);
                self.note(&match protocol {
                    Some(protocol) => format!("open (subprotocol {protocol})"),
                    None => "open".to_owned(),
                });
            }
            Event::Message(Message::Text(text)) => self.line(RECEIVED, &text),
            Event::Message(Message::Binary(bytes)) => {
                self.line(RECEIVED, &format!("({} bytes of binary)", bytes.len()))
            }
            // The socket's final Close: nothing follows, Connect makes sense again.
            Event::Close {
                code,
                reason,
                ended: true,
                ..
            } => {
                self.set_status(Status::Closed { code, reason });
                self.note(&self.status().to_string());
            }
            // A lost connection or a failed attempt: a reconnect follows.
            Event::Close { code, reason, .. } => {
                let closed = Status::Closed { code, reason };
                self.note(&format!("{closed}; will reconnect"));
            }
            Event::Error(error) => self.line(ERROR, &error.to_string()),
            // Event is non-exhaustive (Reconnecting, and kinds to come): a line each.
            other => self.note(&format!("{other:?}")),
        }
    }

    /// Starts connecting in the background; the outcome arrives through the drain.
    fn connect(&self) {
        if !self.status().can_connect() {
            return;
        }
        // A socket that ended keeps its name until closed: free the previous one.
        if let Some(events) = self.events.take() {
            if socket_exist(events.name()) {
                let _ = socket_close(events.name());
            }
        }
        self.connects.set(self.connects.get() + 1);
        let name = format!("{NAME_PREFIX}{}", self.connects.get());
        let url = self.url.text().trim().to_owned();
        match open(&name, &url) {
            Ok(events) => {
                self.events.replace(Some(events));
                self.note(&format!("connecting to {url}"));
                self.set_status(Status::Connecting);
            }
            Err(error) => self.line(ERROR, &error.to_string()),
        }
    }

    /// Starts the close handshake and returns at once: the final Close arrives through the
    /// drain.
    fn disconnect(&self) {
        if !self.status().can_disconnect() {
            return;
        }
        if let Some(events) = self.events.borrow().as_ref() {
            // Never waits on the network; an error only means the socket was gone already.
            let _ = socket_close(events.name());
        }
        self.set_status(Status::Closing);
    }

    /// Sends the input line; it goes into the log once the library has taken it.
    fn send_input(&self) {
        let text = self.input.text().to_string();
        if text.is_empty() || self.status() != Status::Open {
            return;
        }
        let Some(name) = self.events.borrow().as_ref().map(|e| e.name().to_owned()) else {
            return;
        };
        // Never waits on the network: what the server does not take at once is queued.
        match socket_write(&name, &text) {
            Ok(()) => {
                self.line(SENT, &text);
                self.input.set_text("");
            }
            Err(error) => self.line(ERROR, &error.to_string()),
        }
        self.input.grab_focus();
    }

    fn set_status(&self, status: Status) {
        self.status.replace(status);
        self.refresh();
    }

    /// Makes the labels and the buttons' sensitivity match the status.
    fn refresh(&self) {
        let status = self.status();
        self.status_label.set_text(&status.to_string());
        self.url.set_sensitive(status.can_connect());
        self.connect.set_sensitive(status.can_connect());
        self.disconnect.set_sensitive(status.can_disconnect());
        self.send
            .set_sensitive(status == Status::Open && !self.input.text().is_empty());
    }

    fn note(&self, text: &str) {
        self.line(NOTE, text);
    }

    /// Adds a line at the end of the log and scrolls to it.
    fn line(&self, kind: &str, text: &str) {
        let mut end = self.log.end_iter();
        if self.log.char_count() > 0 {
            self.log.insert(&mut end, "\n");
        }
        let line = format!("{kind}{text}");
        if self.log.tag_table().lookup(kind).is_some() {
            self.log.insert_with_tags_by_name(&mut end, &line, &[kind]);
        } else {
            self.log.insert(&mut end, &line);
        }
        let end = self.log.create_mark(None, &self.log.end_iter(), false);
        self.log_view.scroll_mark_onscreen(&end);
        self.log.delete_mark(&end);
    }
}

//! Sockets run by a worker thread, as the registry holds them: asynchronous sockets, and
//! blocking sockets with keepalive, an idle timeout or auto-reconnect.
//!
//! The worker (see [`crate::worker`]) is the connection's only reader. Writes and closes come
//! from the application's threads through the shared [`Socket`], whose lock discipline lets
//! them proceed while the worker waits for data.

use std::sync::{Arc, Weak};
use std::thread;
use std::time::Duration;

use crate::callback::Callback;
use crate::dispatch;
use crate::error::{CloseInfo, Error, Result};
use crate::event::Event;
use crate::handover::HandOver;
use crate::info::ConnectionInfo;
use crate::managed_state::{ManagedState, Phase};
use crate::message::Message;
use crate::options::{Checked, ConnectOptions};
use crate::socket::Socket;
use crate::state::State;
use crate::target::Target;
use crate::wait::Wait;
use crate::worker::{self, Plan, Start};

/// A handle on a worker-run socket.
#[derive(Clone)]
pub(crate) struct ManagedSocket {
    shared: Arc<ManagedState>,
}

/// A reference to a managed socket that does not keep it alive (for caches).
#[derive(Clone)]
pub(crate) struct WeakManaged(Weak<ManagedState>);

impl WeakManaged {
    pub(crate) fn upgrade(&self) -> Option<ManagedSocket> {
        self.0.upgrade().map(|shared| ManagedSocket { shared })
    }
}

impl std::fmt::Debug for ManagedSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedSocket")
            .field("name", &self.shared.name)
            .field("state", &self.state())
            .finish()
    }
}

impl ManagedSocket {
    /// An asynchronous socket: events go to `callback`; the worker connects.
    pub(crate) fn start_async(
        name: &str,
        callback: Callback,
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<ManagedSocket> {
        let handover = HandOver::to_callback(name, callback, options.backlog());
        // Counted live before the worker can post its last event.
        dispatch::socket_started();
        ManagedSocket::start_connecting(name, handover, target, options, checked)
            .inspect_err(|_| dispatch::socket_stopped())
    }

    /// An asynchronous socket without a callback: its events wait in its mailbox; the worker
    /// connects.
    pub(crate) fn start_polled(
        name: &str,
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<ManagedSocket> {
        let handover = HandOver::to_mailbox(name, options.backlog());
        ManagedSocket::start_connecting(name, handover, target, options, checked)
    }

    /// An asynchronous socket, whose worker connects.
    fn start_connecting(
        name: &str,
        handover: HandOver,
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<ManagedSocket> {
        let phase = Phase::Connecting { retry: false };
        ManagedSocket::start(
            name,
            handover,
            phase,
            Start::Connect,
            target,
            options,
            checked,
        )
    }

    /// A blocking socket whose connection `socket` is already open: reads take messages from
    /// the inbox the worker fills.
    pub(crate) fn start_blocking(
        name: &str,
        socket: Socket,
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<ManagedSocket> {
        let handover = HandOver::to_inbox(name, options.backlog());
        let phase = Phase::Open(socket.clone());
        let start = Start::Connected(socket);
        ManagedSocket::start(name, handover, phase, start, target, options, checked)
    }

    fn start(
        name: &str,
        handover: HandOver,
        phase: Phase,
        start: Start,
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<ManagedSocket> {
        let reconnect = options.reconnect.clone();
        let url = target.url.as_str().to_owned();
        let shared = Arc::new(ManagedState::new(name, &url, handover, phase, reconnect));
        let plan = Plan::new(target, options, checked);
        let handle = worker::spawn(Arc::clone(&shared), start, plan).map_err(Error::Io)?;
        *shared.worker.lock() = Some(handle);
        Ok(ManagedSocket { shared })
    }

    pub(crate) fn downgrade(&self) -> WeakManaged {
        WeakManaged(Arc::downgrade(&self.shared))
    }

    /// True for an asynchronous socket, whose events go to its callback or its mailbox.
    pub(crate) fn is_asynchronous(&self) -> bool {
        self.shared.is_asynchronous()
    }

    /// The next event of an asynchronous socket opened without a callback, without waiting.
    pub(crate) fn next_event(&self) -> Result<Option<Event>> {
        match self.shared.handover.mailbox() {
            Some(mailbox) => Ok(mailbox.next_event()),
            None if self.is_asynchronous() => Err(Error::WrongMode(
                format!(
                    "socket {:?} has a callback: its events go to the callback",
                    self.shared.name
                )
                .into(),
            )),
            None => Err(Error::WrongMode(
                format!(
                    "socket {:?} is a blocking socket: read its messages with socket_read",
                    self.shared.name
                )
                .into(),
            )),
        }
    }

    pub(crate) fn state(&self) -> State {
        self.shared.state()
    }

    pub(crate) fn write(&self, message: Message) -> Result<()> {
        match self.shared.socket()?.write(message) {
            // The write found the link broken before the worker did: the socket is already
            // reconnecting, whatever the write saw first.
            Err(Error::Closed(info)) if self.shared.reconnects_after_close(info.code) => {
                Err(Error::NotOpen(State::Reconnecting))
            }
            result => result,
        }
    }

    /// What is known of the socket, in every state.
    pub(crate) fn info(&self) -> ConnectionInfo {
        self.shared.info()
    }

    /// Sends a ping on the open connection and waits for the answer, which the worker reads.
    pub(crate) fn ping(&self, timeout: Duration) -> Result<Duration> {
        self.shared.socket()?.ping_read_by_another(timeout)
    }

    pub(crate) fn protocol(&self) -> Result<Option<String>> {
        if let Some(info) = self.shared.last_info() {
            return Ok(info.protocol);
        }
        match self.shared.socket() {
            Ok(socket) => Ok(socket.protocol().map(str::to_owned)),
            Err(Error::Closed(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A blocking read from the inbox: messages in order, then how the connection ended.
    pub(crate) fn read(&self, wait: Wait) -> Result<Option<Message>> {
        match self.shared.handover.inbox() {
            Some(inbox) => inbox.read(wait),
            None => Err(Error::asynchronous(&self.shared.name)),
        }
    }

    /// Closes the connection and stops any reconnect. An asynchronous socket returns at once:
    /// its worker finishes the close handshake and ends by itself. A blocking one closes here
    /// and waits for its worker to end, except while it opens a connection: then the worker
    /// closes what it opens and ends by itself, within the connect timeout.
    pub(crate) fn close(&self, code: u16, reason: &str) -> Result<()> {
        self.shared.handover.close();
        let Some(open) = self.shared.open_or_idle() else {
            // The worker is inside a connect: it closes what it opens and ends by itself.
            self.shared.handover.end_inbox(CloseInfo {
                code,
                reason: reason.to_owned(),
            });
            return Ok(());
        };
        if self.is_asynchronous() {
            // Asynchronous: nothing here waits on the network. Our Close goes out now; the
            // worker finishes the handshake (within the close timeout, whatever the peer
            // does), posts the final Close, and ends by itself.
            if let Some(socket) = open {
                socket.begin_close_for_worker(code, reason);
            }
            return Ok(());
        }
        if let Some(socket) = open {
            socket.close_with(code, reason)?;
        }
        let worker = self.shared.worker.lock().take();
        if let Some(worker) = worker {
            // A wake hook runs on the worker: it cannot wait for its own thread.
            if worker.thread().id() != thread::current().id() {
                let _ = worker.join();
            }
        }
        Ok(())
    }
}

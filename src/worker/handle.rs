//! Sockets run by a worker thread, as the registry holds them: asynchronous sockets, and
//! blocking sockets with keepalive, an idle timeout or auto-reconnect.
//!
//! The worker (see [`crate::worker::worker_thread`]) is the connection's only reader. Writes and closes come
//! from the application's threads through the shared [`Socket`], whose lock discipline lets
//! them proceed while the worker waits for data.

use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::blocking::socket::Socket;
use crate::blocking::wait::Wait;
use crate::error::{CloseInfo, Error, Result};
use crate::event::Event;
use crate::info::ConnectionInfo;
use crate::message::Message;
use crate::settings::options::{Checked, ConnectOptions};
use crate::settings::target::Target;
use crate::socket_id::SocketId;
use crate::state::State;
use crate::worker::backlog::Backlog;
use crate::worker::callback::Callback;
use crate::worker::dispatch;
use crate::worker::handover::HandOver;
use crate::worker::shared::{Link, Phase, WorkerShared};
use crate::worker::worker_socket::WorkerSocket;
use crate::worker::worker_thread::{self, Plan, Start};

/// A handle on a worker-run socket.
#[derive(Clone)]
pub(crate) struct WorkerHandle {
    shared: Arc<WorkerShared>,
}

/// A reference to a worker-run socket that does not keep it alive (for caches).
#[derive(Clone)]
pub(crate) struct WeakWorkerHandle(Weak<WorkerShared>);

impl WeakWorkerHandle {
    pub(crate) fn upgrade(&self) -> Option<WorkerHandle> {
        self.0.upgrade().map(|shared| WorkerHandle { shared })
    }
}

impl std::fmt::Debug for WorkerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerHandle")
            .field("name", &self.shared.name)
            .field("state", &self.state())
            .finish()
    }
}

impl WorkerHandle {
    /// An asynchronous socket: events go to `callback`; the worker connects.
    pub(crate) fn start_async(
        (name, id): (&str, SocketId),
        callback: Callback,
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<WorkerHandle> {
        let handover = HandOver::to_callback(name, callback, Backlog::for_options(options));
        // Counted live before the worker can post its last event.
        dispatch::socket_started();
        let plan = Plan::new(target, options, checked);
        WorkerHandle::start_connecting((name, id), handover, plan)
            .inspect_err(|_| dispatch::socket_stopped())
    }

    /// An asynchronous socket without a callback: its events wait in its mailbox; the worker
    /// connects.
    pub(crate) fn start_polled(
        (name, id): (&str, SocketId),
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<WorkerHandle> {
        let handover = HandOver::to_mailbox(name, Backlog::for_options(options));
        let plan = Plan::new(target, options, checked);
        WorkerHandle::start_connecting((name, id), handover, plan)
    }

    /// An asynchronous socket, whose worker connects.
    fn start_connecting(
        named: (&str, SocketId),
        handover: HandOver,
        plan: Plan,
    ) -> Result<WorkerHandle> {
        let phase = Phase::Connecting { retry: false };
        WorkerHandle::start(named, handover, phase, Start::Connect, plan)
    }

    /// A blocking socket whose connection `socket` is already open: reads take messages from
    /// the inbox the worker fills.
    pub(crate) fn start_blocking(
        (name, id): (&str, SocketId),
        socket: Socket,
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<WorkerHandle> {
        let handover = HandOver::to_inbox(name, Backlog::for_options(options));
        let socket = WorkerSocket::new(socket);
        let phase = Phase::Open(socket.clone());
        let start = Start::Connected(socket);
        let plan = Plan::new(target, options, checked);
        WorkerHandle::start((name, id), handover, phase, start, plan)
    }

    fn start(
        (name, id): (&str, SocketId),
        handover: HandOver,
        phase: Phase,
        start: Start,
        plan: Plan,
    ) -> Result<WorkerHandle> {
        let reconnect = plan.reconnect().cloned();
        let url = plan.url().to_owned();
        let shared = Arc::new(WorkerShared::new(
            name, id, &url, handover, phase, reconnect,
        ));
        let handle = worker_thread::spawn(Arc::clone(&shared), start, plan).map_err(Error::Io)?;
        *shared.worker.lock() = handle;
        Ok(WorkerHandle { shared })
    }

    /// Which socket this is.
    pub(crate) fn id(&self) -> SocketId {
        self.shared.id
    }

    pub(crate) fn downgrade(&self) -> WeakWorkerHandle {
        WeakWorkerHandle(Arc::downgrade(&self.shared))
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
        self.shared.begin_closing(code, reason);
        let open = match self.shared.link() {
            Link::Connecting => {
                // The worker is inside a connect, cut short: it closes what it opened, if
                // anything, and ends by itself.
                self.shared.handover.end_inbox(CloseInfo {
                    code,
                    reason: reason.to_owned(),
                });
                return Ok(());
            }
            Link::Open(socket) => Some(socket),
            Link::None => None,
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
            if !worker.is_current() {
                worker.wait();
            }
        }
        Ok(())
    }
}

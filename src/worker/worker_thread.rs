//! The threads of a socket run by a worker. An asynchronous socket's first connect runs on a
//! connecting thread, which then hands the connection over; a blocking connect hands over the
//! connection it opened. The worker thread then reads, sends keepalive pings, notices a dead
//! peer, reconnects by policy (each connect again on a connecting thread), and hands each
//! [`Event`] over (see [`crate::worker::handover`]), until the socket's last connection ends.

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use crate::blocking::socket::Socket;
use crate::blocking::wait::Wait;
use crate::deadline::deadline_after;
use crate::error::{CloseInfo, Error, Timeout};
use crate::event::Event;
use crate::settings::options::{Checked, ConnectOptions};
use crate::settings::reconnect::{is_retryable, random_unit, Reconnect};
use crate::settings::target::Target;
use crate::user_code::panic_message;
use crate::worker::handover::Standing;
use crate::worker::keepalive::{Due, Keepalive};
use crate::worker::shared::{Phase, WorkerShared};
use crate::worker::worker_pool::{self, Running, CONNECTORS, WORKERS};
use crate::worker::worker_socket::WorkerSocket;

/// How the worker starts.
pub(crate) enum Start {
    /// Connect first, on a connecting thread (asynchronous sockets: the caller does not wait).
    Connect,
    /// A blocking connect already opened the connection.
    Connected(WorkerSocket),
}

/// What the worker needs to connect again.
pub(crate) struct Plan {
    target: Target,
    options: ConnectOptions,
    checked: Checked,
    keepalive: Keepalive,
    reconnect: Option<Reconnect>,
}

impl Plan {
    pub(crate) fn new(target: Target, options: &ConnectOptions, checked: Checked) -> Plan {
        Plan {
            target,
            keepalive: Keepalive::for_options(options),
            reconnect: options.reconnect.clone(),
            options: options.clone(),
            checked,
        }
    }

    /// Where the socket connects.
    pub(crate) fn url(&self) -> &str {
        self.target.url.as_str()
    }

    pub(crate) fn reconnect(&self) -> Option<&Reconnect> {
        self.reconnect.as_ref()
    }
}

/// Starts the socket's worker. A connection a blocking connect opened goes to a thread of
/// [`crate::worker::worker_pool::WORKERS`] at once. An asynchronous socket first connects on
/// a thread of [`CONNECTORS`], which then hands the open connection to a worker thread whose
/// stack the connect never touched (see [`connect_elsewhere`]); the caller waits for neither.
/// `None` for the latter: nothing waits for an asynchronous socket's threads.
pub(crate) fn spawn(
    shared: Arc<WorkerShared>,
    start: Start,
    plan: Plan,
) -> io::Result<Option<Running>> {
    let plan = Arc::new(plan);
    match start {
        Start::Connected(socket) => WORKERS
            .run(move || supervise(&shared, || run(&shared, socket, &plan, 0)))
            .map(Some),
        Start::Connect => CONNECTORS
            .run(move || connect_first(&shared, &plan))
            .map(|_| None),
    }
}

/// Runs `body` (true when it ended the socket's work), then ends the socket. The application's
/// hooks contain their own panics; a panic here is a bug of ours, after which the socket still
/// ends as every socket does, with Error and Close. Not a guard's Drop: nothing of the
/// application may run while a panic unwinds.
fn supervise(shared: &WorkerShared, body: impl FnOnce() -> bool) {
    let ended = match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(ended) => ended,
        Err(payload) => {
            let text = panic_message(payload.as_ref()).to_owned();
            log::error!("{}: the socket's thread stopped: {text}", shared.name);
            shared.end_after_panic(&text);
            true
        }
    };
    if ended {
        shared.finish();
    }
}

/// An asynchronous socket's first connect, on a connecting thread; then its connection goes
/// to a worker thread (or stays on this one when no thread can be started).
fn connect_first(shared: &Arc<WorkerShared>, plan: &Arc<Plan>) {
    supervise(shared, || {
        let mut steps = 0;
        let Some(socket) = open(shared, plan, false, &mut steps) else {
            return true;
        };
        let (worker_shared, worker_plan) = (Arc::clone(shared), Arc::clone(plan));
        let handed = socket.clone();
        let started = WORKERS.run(move || {
            supervise(&worker_shared, || {
                run(&worker_shared, handed, &worker_plan, steps)
            })
        });
        match started {
            // The worker ends the socket.
            Ok(_) => false,
            Err(error) => {
                log::debug!("{}: no worker thread ({error}): running here", shared.name);
                run(shared, socket, plan, steps)
            }
        }
    });
}

/// How a connection ended: the Error still to report, if any (a violation is reported as
/// soon as it is read), and the close.
struct Ending {
    error: Option<Error>,
    close: CloseInfo,
}

/// The worker: run the connection, reconnect by policy, until the end (true: it ended the
/// socket's work). `steps` counts the backoff steps taken so far: they keep growing across
/// connections that drop again quickly.
fn run(
    shared: &Arc<WorkerShared>,
    mut socket: WorkerSocket,
    plan: &Arc<Plan>,
    mut steps: u32,
) -> bool {
    loop {
        let opened = Instant::now();
        let ending = drive(shared, &socket, &plan.keepalive);
        shared.remember(&socket);
        let again = shared.reconnects_after(&socket);
        if let Some(policy) = &plan.reconnect {
            if opened.elapsed() >= policy.steady_after() {
                steps = 0;
            }
        }
        if again {
            shared.set_phase(Phase::Waiting);
        }
        if let Some(error) = ending.error {
            shared.post(Event::Error(error), Standing::of_end(again));
        }
        shared.post_close(ending.close, again);
        if !again {
            return true;
        }
        socket = match open(shared, plan, true, &mut steps) {
            Some(socket) => socket,
            None => return true,
        };
    }
}

/// Opens a connection, retrying by policy (`retry`: a connection was lost just before, and
/// this is the socket's worker).
/// Each failed attempt posts Error and Close, each new one Reconnecting. `None` when the
/// socket gives up or is being closed, after its final Close. `steps` counts the backoff
/// steps taken so far.
fn open(
    shared: &Arc<WorkerShared>,
    plan: &Arc<Plan>,
    retry: bool,
    steps: &mut u32,
) -> Option<WorkerSocket> {
    let mut attempt: u32 = 0;
    let mut waiting = retry;
    // How long the server asked us to wait (Retry-After) when it refused the last attempt.
    let mut asked = None;
    loop {
        if waiting {
            attempt += 1;
            *steps = steps.saturating_add(1);
            let policy = plan.reconnect.as_ref()?;
            let delay = policy.delay_after(*steps, random_unit(), asked);
            shared.set_phase(Phase::Waiting);
            shared.post(Event::Reconnecting { attempt, delay }, Standing::Ordinary);
            log::debug!("{}: reconnect attempt {attempt} in {delay:?}", shared.name);
            if shared.sleep_unless_closing(deadline_after(delay)) {
                shared.post_close(shared.asked_close(CLOSED_WAITING), false);
                return None;
            }
        }
        shared.set_phase(Phase::Connecting { retry: attempt > 0 });
        // `close` sets `closing` before it looks at the phase, and the phase is set before we
        // look at `closing`: a close that saw `Waiting` is seen here, and one that sees
        // `Connecting` cuts the connect.
        if shared.closing() {
            let situation = if waiting {
                CLOSED_WAITING
            } else {
                "closed before connecting"
            };
            shared.post_close(shared.asked_close(situation), false);
            return None;
        }
        // A reconnect comes from the worker, which has the connect made elsewhere; the first
        // connect runs on a connecting thread already.
        let opened = match retry {
            true => connect_elsewhere(shared, plan),
            false => connect_here(shared, plan),
        }
        .map(WorkerSocket::new);
        shared.connecting.forget();
        let error = match opened {
            Ok(socket) => {
                // Before anyone can see the connection (Open wakes the application): its
                // writers must not wait on the network, and its violations wait for the worker.
                prepare(shared, &socket);
                shared.set_phase(Phase::Open(socket.clone()));
                // `close` sets `closing` before it looks at the phase, and the phase is set
                // before we look at `closing`: one of the two sees the other. A connection
                // that `close` did not see is closed here.
                if shared.closing() {
                    let _ = socket.close();
                    shared.post_close(shared.asked_close(CLOSED_CONNECTING), false);
                    return None;
                }
                let protocol = socket.protocol().map(str::to_owned);
                shared.post(Event::Open { protocol }, Standing::Ordinary);
                return Some(socket);
            }
            Err(error) => error,
        };
        log::debug!("{}: connect failed: {error}", shared.name);
        if shared.closing() {
            // socket_close cut the connect (or it failed meanwhile): the close asked for ends
            // the socket, without an Error for what the application itself stopped.
            shared.post_close(shared.asked_close(CLOSED_CONNECTING), false);
            return None;
        }
        let again = is_retryable(&error)
            && plan
                .reconnect
                .as_ref()
                .is_some_and(|policy| policy.allows(attempt + 1));
        let reason = error.to_string();
        asked = error.retry_after();
        // What a write or socket_info says once the socket gave up: this attempt's cause.
        shared.attempt_failed(&reason);
        let close = CloseInfo::abnormal(reason);
        shared.post(Event::Error(error), Standing::of_end(again));
        shared.post_close(close, again);
        if !again {
            return None;
        }
        waiting = true;
    }
}

/// Opens one connection on a thread of [`CONNECTORS`], while this one (a worker that
/// reconnects) waits: the stack the connect and its handshake need stays with that thread,
/// and the worker's (one per live socket) keeps only what reading needs. `socket_close` cuts
/// it short as it would here.
fn connect_elsewhere(shared: &Arc<WorkerShared>, plan: &Arc<Plan>) -> Result<Socket, Error> {
    let (shared, plan) = (Arc::clone(shared), Arc::clone(plan));
    worker_pool::run_and_wait(&CONNECTORS, move || connect_here(&shared, &plan))
}

/// Opens one connection on this thread; `socket_close` cuts it short.
fn connect_here(shared: &WorkerShared, plan: &Plan) -> Result<Socket, Error> {
    Socket::open(
        plan.target.clone(),
        &plan.options,
        &plan.checked,
        &shared.name,
        Some(&shared.connecting),
    )
}

/// The reason of a final Close asked for while the socket waited to reconnect (unless
/// `socket_close_with` gave one).
const CLOSED_WAITING: &str = "closed while waiting to reconnect";

/// The reason of a final Close asked for while the socket connected.
const CLOSED_CONNECTING: &str = "closed while connecting";

/// The most messages a worker gathers for one hand-over while more keep arriving: fewer
/// hand-overs (and wake-ups of the dispatcher) for a fast sender, at the cost of holding the
/// first of them back while the rest are read (docs/performance.md has the figures).
const GATHER: usize = 256;

/// Sets a connection up for its worker: the worker reads ahead of the application, so a
/// violation must not cut off the application's answers; and an asynchronous socket's writers
/// never wait on the network.
fn prepare(shared: &WorkerShared, socket: &WorkerSocket) {
    socket.defer_failures();
    if shared.is_asynchronous() {
        socket.queue_writes();
    }
}

/// Runs one connection: reads and posts its messages, keeps it alive, until it ends.
fn drive(shared: &WorkerShared, socket: &WorkerSocket, keepalive: &Keepalive) -> Ending {
    // The worker reads ahead of the application: a violation must not cut off its answers.
    prepare(shared, socket);
    let mut clock = keepalive.start(Instant::now());
    loop {
        let deadline = keepalive.next_deadline(&clock, socket.last_received());
        let wait = deadline.map_or(Wait::Forever, Wait::Until);
        let due = match socket.read_batch(wait, shared.limit().min(GATHER)) {
            Ok(Some(messages)) => {
                // Everything read ahead: one hand-over for the lot.
                shared.post_messages(messages);
                // A busy connection keeps the reads from timing out: look at the clock
                // anyway, so pings still go out on time.
                deadline.is_some_and(|deadline| Instant::now() >= deadline)
            }
            Ok(None) => false,
            Err(Error::Timeout(Timeout::Read)) => true,
            Err(Error::Closed(info)) => {
                if shared.closing() && shared.is_asynchronous() {
                    // socket_close sent our Close and returned: the handshake is ours to end,
                    // and the final Close says whether the peer answered in time.
                    return Ending {
                        error: None,
                        close: socket.end_close_on_worker(),
                    };
                }
                if !shared.closing() {
                    // The peer closed: finish the handshake and release the connection now.
                    let _ = socket.close();
                }
                // A connection lost without a Close frame is abnormal: an Error comes first.
                // Output that stalled for the write timeout is a write timeout, whichever
                // thread cut the connection for it.
                let lost = info.code == 1006 && !shared.closing();
                let error = match socket.output_timed_out() {
                    true => Error::Timeout(Timeout::Write),
                    false => Error::Closed(info.clone()),
                };
                return Ending {
                    error: lost.then_some(error),
                    close: *info,
                };
            }
            Err(error) => {
                // A violation or a broken link: reported at once, after the messages that came
                // before it. The application may still be answering those (as it would in
                // blocking mode, where it reads the violation only after them): let it, then
                // fail the connection with the matching code and wait for the peer's answer,
                // which may take the close timeout; the Close event follows.
                let again = match socket.owed_failure_code() {
                    Some(code) => shared.reconnects_after_close(code),
                    None => shared.reconnects_after(socket),
                };
                shared.post(Event::Error(error), Standing::of_end(again));
                shared.wait_until_taken();
                socket.fail_deferred();
                let _ = socket.close();
                return Ending {
                    close: socket.close_info(),
                    error: None,
                };
            }
        };
        if due {
            match keepalive.check(&mut clock, Instant::now(), socket.last_received()) {
                Due::Nothing => {}
                Due::Ping => socket.keepalive_ping(),
                Due::Dead(phase) => {
                    let error = Error::Timeout(phase);
                    log::debug!("{}: {error}", shared.name);
                    socket.abort(&error.to_string());
                    return Ending {
                        close: socket.close_info(),
                        error: Some(error),
                    };
                }
            }
        }
    }
}

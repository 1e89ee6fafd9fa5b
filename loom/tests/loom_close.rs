//! A loom model of a close against the worker: `socket_close` sends our Close and returns,
//! the worker waits for the peer's answer, and the background thread cuts the connection at
//! the close timeout (src/blocking/close.rs, src/worker/worker_thread.rs,
//! src/worker/background.rs). The worker posts one final Close, whose code says whether the
//! peer answered (1000) or the close was cut (1006): an answer that came just before the deadline is an answer, even if the timer
//! fired too.
//!
//! An extracted model, not the code itself (parking_lot and real sockets are invisible to
//! loom): the peer's answer and the cut are flags under one lock with a condition variable,
//! as the worker's wait in poll(2) would see them. A change to how the worker decides the
//! final Close must be made here too.
//!
//! Run by scripts/loom.sh. `LOOM_MUTANT=<name>` puts back an old defect; the script checks
//! that the model then fails.

#![cfg(loom)]

use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

fn mutant(name: &str) -> bool {
    std::env::var("LOOM_MUTANT").is_ok_and(|mutant| mutant == name)
}

#[derive(Default)]
struct Connection {
    peer_answered: bool,
    cut: bool,
    ended: bool,
}

#[derive(Default)]
struct Shared {
    connection: Mutex<Connection>,
    changed: Condvar,
    events: Mutex<Vec<u16>>,
}

#[test]
fn one_final_close_that_says_whether_the_peer_answered() {
    loom::model(|| {
        let shared = Arc::new(Shared::default());
        // The peer answers our Close.
        let peer = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let mut connection = shared.connection.lock().unwrap();
                if !connection.ended {
                    connection.peer_answered = true;
                    shared.changed.notify_all();
                }
            })
        };
        // The background thread at the close timeout: cuts a close that has not ended.
        let timer = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let mut connection = shared.connection.lock().unwrap();
                if !connection.ended {
                    connection.cut = true;
                    shared.changed.notify_all();
                }
            })
        };
        // The worker: waits for the answer or the cut, then posts the one final Close.
        let (code, answered) = {
            let mut connection = shared.connection.lock().unwrap();
            while !connection.peer_answered && !connection.cut {
                connection = shared.changed.wait(connection).unwrap();
            }
            let code = if mutant("close_code_from_the_timer") {
                if connection.cut {
                    1006
                } else {
                    1000
                }
            } else if connection.peer_answered {
                1000
            } else {
                1006
            };
            connection.ended = true;
            shared.events.lock().unwrap().push(code);
            (code, connection.peer_answered)
        };
        peer.join().unwrap();
        timer.join().unwrap();
        assert_eq!(
            *shared.events.lock().unwrap(),
            vec![code],
            "one final Close"
        );
        assert_eq!(
            code == 1000,
            answered,
            "the code says whether the peer answered"
        );
    });
}

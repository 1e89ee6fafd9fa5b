//! Running the application's hooks (the wake hook, the access policy) so that a panic in them
//! is contained: logged and reported, never unwound through the library's threads and locks,
//! and never started while the thread is already unwinding (a second panic would abort).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread;

/// Runs `hook`; `None` when it panicked (the panic is logged) or when the thread is already
/// unwinding from another panic (the hook is then not run at all).
pub(crate) fn run_hook<T>(what: &str, hook: impl FnOnce() -> T) -> Option<T> {
    if thread::panicking() {
        log::warn!("{what} not called: this thread is unwinding from a panic");
        return None;
    }
    match catch_unwind(AssertUnwindSafe(hook)) {
        Ok(value) => Some(value),
        Err(payload) => {
            log::error!("{what} panicked: {}", panic_message(payload.as_ref()));
            None
        }
    }
}

/// The text of a panic, when it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_hook_is_contained_and_a_quiet_one_returns_its_value() {
        assert_eq!(run_hook("test hook", || 7), Some(7));
        assert_eq!(run_hook("test hook", || -> u8 { panic!("boom") }), None);
    }

    #[test]
    fn no_hook_runs_while_the_thread_unwinds() {
        struct RunsHookOnDrop(std::sync::mpsc::Sender<Option<()>>);
        impl Drop for RunsHookOnDrop {
            fn drop(&mut self) {
                let ran = run_hook("test hook", || panic!("would abort"));
                let _ = self.0.send(ran);
            }
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        let result = catch_unwind(AssertUnwindSafe(|| {
            let _guard = RunsHookOnDrop(sender);
            panic!("first panic");
        }));
        assert!(result.is_err());
        assert_eq!(receiver.recv().unwrap(), None);
    }
}

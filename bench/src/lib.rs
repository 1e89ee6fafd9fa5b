//! Benchmark support for `named-websocket`: what the benchmark binaries share.
//!
//! - [`common`]: the two benchmark clients' command line, workloads, statistics and JSON line
//!   (also included by `examples/bench_client.rs` in the root package, see there);
//! - [`proc_status`]: the process's resident memory and thread count, from `/proc/self/status`.
//!
//! The binaries: `bench_server` (loopback echo / sink / source server), `raw_client` (the
//! benchmark client on raw tungstenite), `scale` (thousands of concurrent named sockets).
//! `scripts/bench.sh` builds and runs them all and writes `docs/benchmarks.md`.

pub mod common;

pub use common::*;

/// Figures from `/proc/self/status` (Linux).
pub mod proc_status {
    /// A field of `/proc/self/status` in its unit (kB for memory), `None` where unavailable.
    pub fn field(name: &str) -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        status.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse().ok()
        })
    }

    /// Resident set size in KiB (`VmRSS`).
    pub fn rss_kib() -> Option<u64> {
        field("VmRSS")
    }

    /// Number of threads of this process (`Threads`).
    pub fn threads() -> Option<u64> {
        field("Threads")
    }

    /// The soft limit on open files, from `/proc/self/limits`.
    pub fn open_files_limit() -> Option<u64> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        line["Max open files".len()..]
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn reads_this_process() {
            assert!(super::rss_kib().unwrap() > 0);
            assert!(super::threads().unwrap() >= 1);
            assert!(super::open_files_limit().unwrap() > 0);
        }
    }
}

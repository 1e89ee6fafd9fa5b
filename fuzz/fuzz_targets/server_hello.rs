//! The TLS server hello, read for the version the server chose: any bytes.
//!
//! Checks: no panic; a version is found only in a handshake record holding a server hello.

#![no_main]

use libfuzzer_sys::fuzz_target;
use named_websocket::fuzzing::server_hello_version;

fuzz_target!(|data: &[u8]| {
    if let Some(version) = server_hello_version(data) {
        assert!((10..=13).contains(&version));
        assert_eq!(data[0], 22);
        assert_eq!(data[5], 2);
    }
});

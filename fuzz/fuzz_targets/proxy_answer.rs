//! The proxy's answer to `CONNECT`: any bytes.
//!
//! Checks: no panic; the parser reads no byte past the answer's head (the tunnel's first
//! bytes belong to TLS or to the upgrade); only a 2xx opens the tunnel; errors never show
//! the proxy's password.

#![no_main]

use libfuzzer_sys::fuzz_target;
use named_websocket::fuzzing::proxy_connect;

fuzz_target!(|data: &[u8]| {
    let (read, result) = proxy_connect(data);
    let head_end = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4);
    match head_end {
        Some(end) => assert!(read <= end, "read {read} bytes, the head ends at {end}"),
        None => assert!(read <= data.len()),
    }
    match &result {
        Ok(()) => {
            let end = head_end.expect("a tunnel opens only after a whole head");
            assert_eq!(read, end);
            // Control characters count as spaces, as in the parser's status line.
            let head = String::from_utf8_lossy(&data[..end]);
            let status_line: String = head
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            let mut words = status_line.split_whitespace();
            assert!(
                words
                    .next()
                    .is_some_and(|version| version.starts_with("HTTP/1.")),
                "{head:?}"
            );
            // Any 2xx answer to CONNECT opens the tunnel (RFC 9110 §9.3.6).
            let status = words.next().unwrap_or_default();
            let code = status.parse::<u16>();
            assert!(
                code.is_ok_and(|code| (200..300).contains(&code)),
                "{head:?}"
            );
        }
        Err(error) => {
            // The proxy URL's password (src/fuzzing.rs), unless the answer itself holds it.
            let password = "pw-Zq81xK";
            let echoed = String::from_utf8_lossy(data).contains(password);
            assert!(echoed || !error.contains(password), "{error}");
        }
    }
});

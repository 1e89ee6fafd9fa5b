//! `Sec-WebSocket-Extensions`: the offer we build and the server's answer we parse and check.
//!
//! Input: `[offer flags, server window, client window, header lines separated by \n...]`.
//! Checks: no panic; an offer we build parses back to what was asked; an agreement honours
//! the offer, and its normalised form agrees to the same again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use named_websocket::fuzzing::{negotiate, offer, parse_extensions, Offer};

fuzz_target!(|data: &[u8]| {
    let [flags, server_bits, client_bits, header @ ..] = data else {
        return;
    };
    let asked = Offer {
        server_no_context_takeover: flags & 1 != 0,
        client_no_context_takeover: flags & 2 != 0,
        server_max_window_bits: (flags & 4 != 0).then_some(server_bits % 20),
        client_max_window_bits: (flags & 8 != 0).then_some(client_bits % 20),
    };
    let lines: Vec<&[u8]> = header.split(|&b| b == b'\n').collect();
    let _ = parse_extensions(&lines);

    let Ok(sent) = offer(asked) else { return };
    let elements = parse_extensions(&[sent.as_bytes()]).expect("our own offer parses");
    assert_eq!(elements.len(), 1, "{sent}");
    let (name, params) = &elements[0];
    assert_eq!(name, "permessage-deflate");
    let has = |param: &str| params.iter().any(|(name, _)| name == param);
    assert_eq!(
        has("server_no_context_takeover"),
        asked.server_no_context_takeover
    );
    assert_eq!(
        has("client_no_context_takeover"),
        asked.client_no_context_takeover
    );
    assert_eq!(
        has("server_max_window_bits"),
        asked.server_max_window_bits.is_some()
    );

    let Ok(Some(agreed)) = negotiate(asked, &lines) else {
        return;
    };
    for bits in [agreed.server_max_window_bits, agreed.client_max_window_bits] {
        assert!((8..=15).contains(&bits), "{agreed:?}");
    }
    if let Some(bits) = asked.server_max_window_bits {
        assert!(
            agreed.server_max_window_bits <= bits,
            "{agreed:?} for {sent}"
        );
    }
    if let Some(bits) = asked.client_max_window_bits {
        assert!(
            agreed.client_max_window_bits <= bits,
            "{agreed:?} for {sent}"
        );
    }
    if asked.server_no_context_takeover {
        assert!(agreed.server_no_context_takeover, "{agreed:?} for {sent}");
    }
    if asked.client_no_context_takeover {
        assert!(agreed.client_no_context_takeover, "{agreed:?} for {sent}");
    }
    let again = negotiate(asked, &[agreed.response.as_bytes()]);
    assert_eq!(
        again,
        Ok(Some(agreed.clone())),
        "the normalised answer {:?}",
        agreed.response
    );
});

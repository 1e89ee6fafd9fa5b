//! What SChannel's error codes mean (Windows).
//!
//! native-tls reports SChannel's failures as operating system errors that Windows cannot put
//! in words ("OS Error -2146762481 (FormatMessageW() returned error 317)"). The code is read
//! from the standard library's rendering of an OS error, "(os error N)": the certificate
//! failures become a [`TlsProblem`], the other common codes a sentence. Built on Windows, and
//! for the tests everywhere.

use crate::transport::tls_problem::TlsProblem;

/// The problem a certificate code in a TLS error's text names.
pub(crate) fn problem(text: &str) -> Option<TlsProblem> {
    Some(match os_error_code(text)? {
        // CERT_E_CN_NO_MATCH, SEC_E_WRONG_PRINCIPAL
        0x800B_010F | 0x8009_0322 => TlsProblem::WrongHost,
        // CERT_E_UNTRUSTEDROOT, SEC_E_UNTRUSTED_ROOT, CERT_E_CHAINING
        0x800B_0109 | 0x8009_0325 | 0x800B_010A => TlsProblem::Untrusted,
        // CERT_E_EXPIRED, SEC_E_CERT_EXPIRED
        0x800B_0101 | 0x8009_0328 => TlsProblem::Expired,
        _ => return None,
    })
}

/// Words for the other common codes in a TLS error's text, with the code's name.
pub(crate) fn describe(text: &str) -> Option<String> {
    let code = os_error_code(text)?;
    let (name, meaning) = match code {
        0x800B_010C => (
            "CERT_E_REVOKED",
            "the server's certificate has been revoked",
        ),
        0x8009_0327 => (
            "SEC_E_CERT_UNKNOWN",
            "the server's certificate could not be checked",
        ),
        0x8009_0331 => (
            "SEC_E_ALGORITHM_MISMATCH",
            "no TLS version or cipher suite in common with the server",
        ),
        0x8009_0302 => (
            "SEC_E_UNSUPPORTED_FUNCTION",
            "this system's TLS does not support what was asked, such as TLS 1.3 before \
             Windows 11 and Windows Server 2022",
        ),
        0x8009_0326 => (
            "SEC_E_ILLEGAL_MESSAGE",
            "the server sent a TLS message that cannot be accepted, or an alert that ended the \
             handshake",
        ),
        0x8009_0308 => (
            "SEC_E_INVALID_TOKEN",
            "the server's answer is not valid TLS",
        ),
        _ => return None,
    };
    Some(format!("{meaning} (SChannel {name}, 0x{code:08X})"))
}

/// The code in "(os error N)", as Windows writes HRESULTs: unsigned.
fn os_error_code(text: &str) -> Option<u32> {
    let start = text.rfind("(os error ")? + "(os error ".len();
    let end = start + text[start..].find(')')?;
    let code: i32 = text[start..end].trim().parse().ok()?;
    Some(code as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schannel_codes_in_an_os_error_name_the_problem() {
        // What native-tls's SChannel error prints is the standard library's OS error.
        let windows = std::io::Error::from_raw_os_error(0x800B_010F_u32 as i32).to_string();
        assert_eq!(problem(&windows), Some(TlsProblem::WrongHost));
        let wine = "OS Error -2146762487 (FormatMessageW() returned error 317) \
                    (os error -2146762487)";
        assert_eq!(problem(wine), Some(TlsProblem::Untrusted));
        let unsupported = std::io::Error::from_raw_os_error(0x8009_0302_u32 as i32).to_string();
        assert_eq!(problem(&unsupported), None);
        let words = describe(&unsupported).unwrap();
        assert!(words.contains("TLS 1.3"), "{words}");
        assert!(words.ends_with("(SChannel SEC_E_UNSUPPORTED_FUNCTION, 0x80090302)"));
        assert_eq!(problem("unknown code (os error 5)"), None);
        assert_eq!(describe("certificate verify failed"), None);
    }
}

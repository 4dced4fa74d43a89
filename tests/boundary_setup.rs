//! The notebook crate without a usable library: no socket set, a socket nobody listens on, and a program that is
//! not the library give a clear error with the fix, never a hang or a crash; a later call succeeds once the
//! library serves the socket.

use std::io::Read;
use std::os::unix::net::UnixListener;

use sourcelab_notebook::ErrorKind;

fn set_socket(path: Option<&std::path::Path>) {
    // SAFETY: this binary's only test sets it, on its only thread that reads the environment.
    match path {
        Some(p) => unsafe { std::env::set_var("SOURCELAB_SOCKET", p) },
        None => unsafe { std::env::remove_var("SOURCELAB_SOCKET") },
    }
}

#[test]
fn a_missing_or_foreign_socket_is_a_clear_error_and_the_fix_takes_effect() {
    set_socket(None);
    let err = sourcelab_notebook::load_env().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Setup);
    assert!(err.to_string().contains("SOURCELAB_SOCKET is not set"), "{err}");
    assert!(err.hint_text().is_some_and(|h| h.contains("Rust (sourcelab)")), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let nobody = dir.path().join("nobody.sock");
    set_socket(Some(&nobody));
    let err = sourcelab_notebook::load_env().unwrap_err();
    assert!(err.to_string().contains("nobody.sock"), "{err}");

    // A program that accepts the connection, reads the call and hangs up without answering.
    let foreign = dir.path().join("foreign.sock");
    let listener = UnixListener::bind(&foreign).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut buf = [0u8; 16];
            let _ = (&stream).read(&mut buf);
        }
    });
    set_socket(Some(&foreign));
    let err = sourcelab_notebook::load_env().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Setup);
    assert!(err.to_string().contains("foreign.sock"), "{err}");

    // The library's own socket: the next call works, in the same process.
    let server = sourcelab::kernel::CallServer::start().unwrap();
    set_socket(Some(server.socket()));
    assert!(sourcelab_notebook::ready());
}

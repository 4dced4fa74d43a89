//! The notebook crate without a usable library: a missing file and a library that is not ours give a clear error
//! with the fix, never a hang or a crash, and a later call succeeds once the library is there.

use sourcelab_notebook::ErrorKind;

fn set_library(path: &std::path::Path) {
    // SAFETY: this binary's only test sets it, on its only thread that reads the environment.
    unsafe { std::env::set_var("SOURCELAB_LIBRARY", path) };
}

#[test]
fn a_missing_or_foreign_library_is_a_clear_error_and_the_fix_takes_effect() {
    set_library(std::path::Path::new("/no/such/libsourcelab.so"));
    let err = sourcelab_notebook::load_env().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Setup);
    assert!(err.to_string().contains("/no/such/libsourcelab.so"), "{err}");
    assert!(err.to_string().contains("sourcelab kernel install"), "{err}");

    // A shared library that is not sourcelab's: it lacks the boundary's functions.
    let foreign =
        ["/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libm.so.6"]
            .into_iter()
            .map(std::path::Path::new)
            .find(|p| p.is_file())
            .expect("a system shared library to load");
    set_library(foreign);
    let err = sourcelab_notebook::load_env().unwrap_err();
    assert!(err.to_string().contains("sourcelab_protocol"), "{err}");
    assert!(err.hint_text().is_some_and(|h| h.contains("sourcelab kernel install")), "{err}");

    // The real library: the next call works, in the same process.
    set_library(&sourcelab::kernel::library_path().unwrap());
    assert!(sourcelab_notebook::ready());
}

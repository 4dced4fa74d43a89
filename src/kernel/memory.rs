//! What a kernel's memory holds over a long session, and what we give back.
//!
//! A kernel is two processes (measured by `benches/kernel.sh`, part 3):
//!
//! - **The kernel process** (ours, with evcxr's engine in it): mostly rust-analyzer's database, which evcxr asks
//!   for the types of new variables and for completions. Loading the toolchain's library sources leaves well over
//!   100 MB of freed-but-kept heap behind; [`give_back_heap`] returns such pages to the system after the start and
//!   after every cell. What stays grows a little with each cell (evcxr names every cell's function anew, and
//!   rust-analyzer keeps what it learnt about each): a cost of evcxr's engine we measure and report.
//! - **The engine process** (where cells run): every cell is a small shared library (`libcode_N.so`, about
//!   0.5 MB) that stays loaded for the whole session — the cell's values may still point into it (a `&'static str`,
//!   a vtable), so it can never be unloaded. Before each cell runs, [`page_out_earlier_cells`] tells Linux that the
//!   earlier cells' pages may go: they are clean copies of files on disk, read back only if that code runs again.
//!   What each cell keeps for good is its few pages of relocated data.

/// Returns the heap's free pages to the system (glibc keeps them otherwise). Takes a few milliseconds.
pub(crate) fn give_back_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim only releases memory the allocator holds free; it takes no pointers of ours.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// In the engine process: lets Linux reclaim the pages of every cell library loaded so far except `keep` (the
/// one about to run). Nothing is unloaded; a page that is needed again is read back from its file.
pub(crate) fn page_out_earlier_cells(keep: &str) {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else { return };
    for line in maps.lines() {
        // address perms offset dev inode path
        let mut fields = line.split_whitespace();
        let (Some(range), Some(_), Some(_), Some(_), Some(_), Some(path)) =
            (fields.next(), fields.next(), fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let is_cell = path.rsplit('/').next().is_some_and(|f| f.starts_with("libcode_") && f.ends_with(".so"));
        if !is_cell || path == keep {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else { continue };
        let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16)) else {
            continue;
        };
        // SAFETY: MADV_PAGEOUT changes no contents: the range stays mapped, and its file-backed pages are read
        // back on the next access (pages that cannot be reclaimed are left as they are). An error (an old Linux
        // without MADV_PAGEOUT) only means the pages stay.
        let _ = unsafe {
            rustix::mm::madvise(start as *mut std::ffi::c_void, end - start, rustix::mm::Advice::LinuxPageOut)
        };
    }
}

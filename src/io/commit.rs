//! How an output file comes into being: written to a temporary file in its folder (mode 0600),
//! synced, and linked into place only when the whole run has succeeded.
//!
//! - On Linux the temporary file is unnamed (`O_TMPFILE`): a run that is killed, even by
//!   `kill -9`, leaves nothing at all. It gets a name by `linkat` from `/proc/self/fd` to a fresh
//!   `.kk-*.tmp` name, then `rename` over the target (linkat refuses an existing file).
//! - Where the file system has no `O_TMPFILE` (some network file systems, other systems), a named
//!   `.kk-*.tmp` file is used and removed on SIGTERM, SIGINT and SIGHUP.
//! - A run's outputs are committed together ([`group`]): each [`Pending`] file waits until the
//!   tool has finished without error, then all are linked one after another, with SIGTERM, SIGINT
//!   and SIGHUP held back until the last is in place. The window that remains — in which only
//!   SIGKILL, a crash of the system or a failing disk could leave some outputs renamed and others
//!   not — is the few system calls of that last loop, after every byte was written and synced; a
//!   kill there between `linkat` and `rename` can leave one `.kk-*.tmp` file (mode 0600).

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// A temporary file being written in the folder of `target`.
pub struct TempFile {
    file: File,
    /// None: unnamed (O_TMPFILE); Some: the named temporary file.
    named: Option<PathBuf>,
    target: PathBuf,
    /// bytes written, and how many of them the system was asked to start writing to disk
    written: u64,
    flushing: u64,
}

/// How many written bytes are handed to the disk at a time while a file is still being written,
/// so that the sync at the end waits only for the last of them.
const WRITEBACK_BYTES: u64 = 8 << 20;

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A fresh name `.kk-XXXXXXXXXXXX.tmp` in `dir`.
fn temp_name(dir: &Path) -> PathBuf {
    dir.join(format!(".kk-{:012x}.tmp", fastrand::u64(..) & 0xFFFF_FFFF_FFFF))
}

#[cfg(target_os = "linux")]
fn open_unnamed(dir: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).mode(0o600).custom_flags(libc::O_TMPFILE).open(dir)
}

#[cfg(not(target_os = "linux"))]
fn open_unnamed(_dir: &Path) -> io::Result<File> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

impl TempFile {
    fn new(file: File, named: Option<PathBuf>, target: &Path) -> TempFile {
        TempFile { file, named, target: target.to_path_buf(), written: 0, flushing: 0 }
    }

    /// Asks the system to start writing what has been written so far to the disk (without
    /// waiting), once enough has gathered: the bytes of a large output go to the disk while the
    /// run goes on, not all in the final sync.
    fn start_writeback(&mut self) {
        if self.written - self.flushing < WRITEBACK_BYTES {
            return;
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let (from, len) = (self.flushing as libc::off64_t, (self.written - self.flushing) as libc::off64_t);
            // SAFETY: a plain system call on a descriptor this file owns; a failure only means
            // the final sync does all the work, as without this call
            unsafe { libc::sync_file_range(self.file.as_raw_fd(), from, len, libc::SYNC_FILE_RANGE_WRITE) };
        }
        self.flushing = self.written;
    }

    /// Opens a temporary file for `target` in its folder.
    pub fn create(target: &Path) -> Result<TempFile> {
        let dir = folder_of(target);
        if target.is_dir() {
            return Err(Error::io(target, io::Error::other("フォルダです (ファイル名を指定してください)")));
        }
        match open_unnamed(&dir) {
            Ok(file) => return Ok(TempFile::new(file, None, target)),
            // the folder is missing or not writable: the same error the named file would give
            Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied) => {
                return Err(Error::io(target, e));
            }
            Err(_) => {}
        }
        for _ in 0..16 {
            let name = temp_name(&dir);
            let opened = {
                use std::os::unix::fs::OpenOptionsExt;
                std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&name)
            };
            match opened {
                Ok(file) => {
                    signals::remember(&name);
                    return Ok(TempFile::new(file, Some(name), target));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(target, e)),
            }
        }
        Err(Error::io(target, io::Error::other("一時ファイルの名前を作れません")))
    }

    /// Writes `buf` (all of it, or an error).
    pub fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)?;
        self.written += buf.len() as u64;
        self.start_writeback();
        Ok(())
    }

    /// Syncs the file's bytes: after this only the link is left to do.
    pub fn sync(self) -> Result<Pending> {
        self.file.sync_all().map_err(|e| Error::io(&self.target, e))?;
        Ok(Pending(self))
    }
}

/// A written and synced output that waits for its name.
pub struct Pending(TempFile);

impl Pending {
    /// Gives the file its name (replacing what was there), then syncs the folder.
    fn link(mut self) -> Result<()> {
        let t = &mut self.0;
        let target = t.target.clone();
        let dir = folder_of(&target);
        let named = match t.named.take() {
            Some(n) => n,
            None => link_unnamed(&t.file, &dir).map_err(|e| Error::io(&target, e))?,
        };
        let renamed = std::fs::rename(&named, &target);
        signals::forget(&named);
        if let Err(e) = renamed {
            let _ = std::fs::remove_file(&named);
            return Err(Error::io(&target, e));
        }
        File::open(&dir).and_then(|d| d.sync_all()).map_err(|e| Error::io(&dir, e))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // an unnamed file vanishes with its descriptor; a named one is removed
        if let Some(n) = self.named.take() {
            let _ = std::fs::remove_file(&n);
            signals::forget(&n);
        }
    }
}

/// Links an unnamed file into `dir` under a fresh temporary name, returned.
#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, dir: &Path) -> io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).map_err(io::Error::other)?;
    for _ in 0..16 {
        let name = temp_name(dir);
        let to = CString::new(name.as_os_str().as_bytes()).map_err(io::Error::other)?;
        signals::remember(&name);
        // SAFETY: both paths are NUL-terminated C strings that outlive the call.
        let r = unsafe {
            libc::linkat(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), libc::AT_SYMLINK_FOLLOW)
        };
        if r == 0 {
            return Ok(name);
        }
        signals::forget(&name);
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::AlreadyExists {
            return Err(e);
        }
    }
    Err(io::Error::other("一時ファイルの名前を作れません"))
}

#[cfg(not(target_os = "linux"))]
fn link_unnamed(_file: &File, _dir: &Path) -> io::Result<PathBuf> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// The outputs waiting for the end of the run, when a run groups them (None: each output is
/// committed as soon as it is finished, as a library caller expects).
static GROUP: Mutex<Option<Vec<Pending>>> = Mutex::new(None);

/// Commits `p` now, or keeps it for the end of the run inside [`group`].
pub fn commit(p: Pending) -> Result<()> {
    let mut group = GROUP.lock().unwrap_or_else(|e| e.into_inner());
    match group.as_mut() {
        Some(waiting) => {
            waiting.push(p);
            Ok(())
        }
        None => {
            drop(group);
            p.link()
        }
    }
}

/// Commits `p` now, even inside a group (kk-backup restore writes each file as it is extracted).
pub fn commit_now(p: Pending) -> Result<()> {
    p.link()
}

/// Runs `run` with its outputs grouped: all are committed after it returns Ok, none if it fails.
pub fn group(run: impl FnOnce() -> Result<u8>) -> Result<u8> {
    *GROUP.lock().unwrap_or_else(|e| e.into_inner()) = Some(Vec::new());
    let result = run();
    let waiting = GROUP.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_default();
    let code = result?;
    // SIGTERM, SIGINT and SIGHUP wait until every output is in place (SIGKILL cannot)
    let _held = signals::Held::new();
    for p in waiting {
        p.link()?;
    }
    Ok(code)
}

/// Checks, before anything is read, that `path` can be written: its folder exists and takes a
/// new file, and it is not a folder itself (devices, FIFOs and stdout are always fine).
pub fn check_writable(path: &Path) -> Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Ok(());
    }
    TempFile::create(path).map(drop)
}

/// Removing named temporary files when the run is interrupted (only where O_TMPFILE is missing),
/// and holding signals back while a run's outputs are committed.
mod signals {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::sync::Once;
    use std::sync::atomic::{AtomicPtr, Ordering};

    const SLOTS: usize = 64;
    static NAMES: [AtomicPtr<libc::c_char>; SLOTS] = [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];
    static INSTALL: Once = Once::new();

    extern "C" fn on_signal(sig: libc::c_int) {
        for slot in &NAMES {
            let p = slot.swap(std::ptr::null_mut(), Ordering::SeqCst);
            if !p.is_null() {
                // SAFETY: `p` came from CString::into_raw; unlink is async-signal-safe.
                unsafe { libc::unlink(p) };
            }
        }
        // SAFETY: restoring the default action and raising again ends the process as the signal would.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
    }

    /// SIGTERM, SIGINT and SIGHUP held back while it lives, delivered when it is dropped.
    pub struct Held(libc::sigset_t);

    impl Held {
        pub fn new() -> Held {
            // SAFETY: sigset_t is plain data, filled by sigemptyset/sigaddset before use; the
            // mask only changes for this thread (the one that commits).
            unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
                    libc::sigaddset(&mut set, sig);
                }
                let mut old: libc::sigset_t = std::mem::zeroed();
                libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
                Held(old)
            }
        }
    }

    impl Drop for Held {
        fn drop(&mut self) {
            // SAFETY: restores the mask saved by `new`.
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
        }
    }

    pub fn remember(path: &Path) {
        INSTALL.call_once(|| {
            for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
                // SAFETY: the handler only calls async-signal-safe functions.
                unsafe { libc::signal(sig, on_signal as *const () as libc::sighandler_t) };
            }
        });
        let Ok(c) = CString::new(path.as_os_str().as_bytes()) else { return };
        let raw = c.into_raw();
        for slot in &NAMES {
            if slot.compare_exchange(std::ptr::null_mut(), raw, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                return;
            }
        }
        // every slot taken (64 outputs at once): this name is not cleaned up on a signal
        // SAFETY: `raw` came from into_raw just above and was not stored.
        drop(unsafe { CString::from_raw(raw) });
    }

    pub fn forget(path: &Path) {
        let want = path.as_os_str().as_bytes();
        for slot in &NAMES {
            let p = slot.load(Ordering::SeqCst);
            // SAFETY: a non-null slot holds a live CString from `remember`.
            if !p.is_null()
                && unsafe { std::ffi::CStr::from_ptr(p) }.to_bytes() == want
                && slot.compare_exchange(p, std::ptr::null_mut(), Ordering::SeqCst, Ordering::SeqCst).is_ok()
            {
                // SAFETY: the slot owned it; it is taken out exactly once.
                drop(unsafe { CString::from_raw(p) });
                return;
            }
        }
    }
}

//! The audit spool: entries on local disk before their calls are answered.
//!
//! Entries are appended to numbered segment files by one writer thread
//! that syncs each batch it takes with one `fdatasync`, as a database's
//! group commit does: callers that arrive during a sync share the next one.
//! A reader hands the drainer what is durable, in order, from a cursor kept
//! in the `cursor` file; segments wholly behind the cursor are deleted.
//!
//! The directory is locked while open: two gateways never share a spool.
//! Opened again after a crash, the last segment's torn tail (a frame whose
//! length or checksum fails) is cut off; nothing acknowledged is in it.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use proto::store::AuditEntry;
use tokio::sync::{Notify, mpsc, oneshot};

use super::frame::{self, Decoded};

/// A segment is sealed and a new one begun past this size (small in tests,
/// so that they cross segments).
#[cfg(not(test))]
const SEGMENT_BYTES: u64 = 8 * 1024 * 1024;
#[cfg(test)]
const SEGMENT_BYTES: u64 = 4 * 1024;
/// Appends one sync takes at most.
const GROUP: usize = 1024;
/// Appends waiting for the writer at most; callers beyond wait their turn.
const WAITING: usize = 4096;
/// The most the reader reads at once.
const READ_BYTES: u64 = 1024 * 1024;

/// Where the spool lives and how large it may grow.
#[derive(Clone, Debug)]
pub struct SpoolSettings {
    pub dir: PathBuf,
    /// Bytes not yet drained to the store at most; past them new calls are
    /// refused with `UNAVAILABLE` (an audit log fails closed).
    pub max_bytes: u64,
}

/// Why the spool failed.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("audit spool {path}: {error}")]
    Io { path: PathBuf, error: io::Error },
    #[error("audit spool {0} is in use by another gateway")]
    Locked(PathBuf),
    #[error("the audit spool is full")]
    Full,
    #[error("the audit spool cannot be written: {0}")]
    Broken(String),
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> SpoolError + '_ {
    move |error| SpoolError::Io {
        path: path.to_owned(),
        error,
    }
}

/// A place in the spool: a segment and an offset in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    segment: u64,
    offset: u64,
}

/// What the writer and the reader share.
#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    max_bytes: u64,
    state: Mutex<State>,
    /// Woken when entries become durable.
    durable: Notify,
}

#[derive(Debug)]
struct State {
    /// The segment being appended to, and how much of it is durable.
    active: Position,
    /// Bytes durable and not yet drained.
    undrained: u64,
    /// Set once a write failed: the spool takes nothing more.
    broken: Option<String>,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock leaves plain numbers behind.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Opens (or creates) the spool in `settings.dir`; returns the writer and
/// the reader.
pub fn open(settings: &SpoolSettings) -> Result<(SpoolWriter, SpoolReader), SpoolError> {
    let dir = &settings.dir;
    create_private_dir(dir)?;
    let lock_path = dir.join("LOCK");
    let lock = File::create(&lock_path).map_err(io_error(&lock_path))?;
    if lock.try_lock().is_err() {
        return Err(SpoolError::Locked(dir.clone()));
    }
    let segments = list_segments(dir)?;
    let cursor = read_cursor(dir)?.unwrap_or(Position {
        segment: segments.first().copied().unwrap_or(0),
        offset: 0,
    });
    let mut undrained = 0;
    for &segment in &segments {
        let path = segment_path(dir, segment);
        if segment < cursor.segment {
            fs::remove_file(&path).map_err(io_error(&path))?;
        }
    }
    let active_segment = segments.last().copied().unwrap_or(0).max(cursor.segment);
    let active_len = recover(&segment_path(dir, active_segment))?;
    for &segment in segments.iter().filter(|&&s| s >= cursor.segment) {
        undrained += if segment == active_segment {
            active_len
        } else {
            segment_len(dir, segment)?
        };
    }
    undrained = undrained.saturating_sub(cursor.offset);
    let shared = Arc::new(Shared {
        dir: dir.clone(),
        max_bytes: settings.max_bytes,
        state: Mutex::new(State {
            active: Position {
                segment: active_segment,
                offset: active_len,
            },
            undrained,
            broken: None,
        }),
        durable: Notify::new(),
    });
    if undrained > 0 {
        tracing::info!(
            bytes = undrained,
            dir = %dir.display(),
            "audit spool holds entries from before: draining them to the store"
        );
    }
    let (appends, waiting) = mpsc::channel(WAITING);
    let file = append_to(&segment_path(dir, active_segment))?;
    let writer = Writer {
        shared: shared.clone(),
        file,
        at: Position {
            segment: active_segment,
            offset: active_len,
        },
        _lock: lock,
    };
    std::thread::Builder::new()
        .name("audit-spool".into())
        .spawn(move || writer.run(waiting))
        .map_err(io_error(dir))?;
    Ok((
        SpoolWriter {
            appends,
            shared: shared.clone(),
        },
        SpoolReader { shared, cursor },
    ))
}

fn create_private_dir(dir: &Path) -> Result<(), SpoolError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_error(dir))
}

fn segment_path(dir: &Path, segment: u64) -> PathBuf {
    dir.join(format!("{segment:016}.audit"))
}

fn segment_len(dir: &Path, segment: u64) -> Result<u64, SpoolError> {
    let path = segment_path(dir, segment);
    match fs::metadata(&path) {
        Ok(metadata) => Ok(metadata.len()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(error) => Err(io_error(&path)(error)),
    }
}

fn list_segments(dir: &Path) -> Result<Vec<u64>, SpoolError> {
    let mut segments = Vec::new();
    for item in fs::read_dir(dir).map_err(io_error(dir))? {
        let name = item.map_err(io_error(dir))?.file_name();
        let name = name.to_string_lossy();
        if let Some(number) = name.strip_suffix(".audit")
            && let Ok(segment) = number.parse()
        {
            segments.push(segment);
        }
    }
    segments.sort_unstable();
    Ok(segments)
}

/// Cuts a torn tail off the segment at `path`; returns its sound length.
fn recover(path: &Path) -> Result<u64, SpoolError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(io_error(path)(error)),
    };
    let sound = frame::sound_prefix(&bytes);
    if sound < bytes.len() {
        tracing::warn!(
            segment = %path.display(),
            cut = bytes.len() - sound,
            "audit spool: a write torn by a crash was cut off (it was never acknowledged)"
        );
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io_error(path))?;
        file.set_len(sound as u64).map_err(io_error(path))?;
        file.sync_all().map_err(io_error(path))?;
    }
    Ok(sound as u64)
}

fn append_to(path: &Path) -> Result<File, SpoolError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(io_error(path))?;
    // The new file's name must survive a crash too.
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error(dir))?;
    }
    Ok(file)
}

fn read_cursor(dir: &Path) -> Result<Option<Position>, SpoolError> {
    let path = dir.join("cursor");
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error(&path)(error)),
    };
    let mut numbers = text.split_whitespace().map(str::parse::<u64>);
    match (numbers.next(), numbers.next()) {
        (Some(Ok(segment)), Some(Ok(offset))) => Ok(Some(Position { segment, offset })),
        _ => Err(SpoolError::Io {
            path,
            error: io::Error::new(io::ErrorKind::InvalidData, "not `<segment> <offset>`"),
        }),
    }
}

fn write_cursor(dir: &Path, cursor: Position) -> Result<(), SpoolError> {
    let path = dir.join("cursor");
    let fresh = dir.join("cursor.new");
    fs::write(&fresh, format!("{} {}\n", cursor.segment, cursor.offset))
        .map_err(io_error(&fresh))?;
    // No sync: a cursor lost in a crash only sends entries again, and the
    // store keeps the first write of each idempotency key.
    fs::rename(&fresh, &path).map_err(io_error(&path))
}

/// One append: a frame, and who waits for it to be durable.
struct Append {
    frame: Vec<u8>,
    durable: Option<oneshot::Sender<Result<(), String>>>,
}

/// Appends entries; clone it freely. The writer thread ends once every
/// clone is gone.
#[derive(Clone, Debug)]
pub struct SpoolWriter {
    appends: mpsc::Sender<Append>,
    shared: Arc<Shared>,
}

impl SpoolWriter {
    /// Returns the bytes durable and not yet drained.
    pub(crate) fn undrained(&self) -> u64 {
        self.shared.state().undrained
    }

    /// Returns whether the spool takes new entries: not full, not broken.
    pub(crate) fn has_room(&self) -> bool {
        let state = self.shared.state();
        state.broken.is_none() && state.undrained < self.shared.max_bytes
    }

    /// Appends `entry` and waits until it is on disk.
    pub async fn append(&self, entry: &AuditEntry) -> Result<(), SpoolError> {
        let (durable, done) = oneshot::channel();
        let append = Append {
            frame: frame::encode(entry),
            durable: Some(durable),
        };
        self.appends
            .send(append)
            .await
            .map_err(|_| SpoolError::Broken("the spool writer stopped".into()))?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(SpoolError::Broken(error)),
            Err(_) => Err(SpoolError::Broken("the spool writer stopped".into())),
        }
    }

    /// Appends `entry` without waiting: for calls that ended with no one
    /// left to answer (cancelled, timed out).
    pub(crate) fn append_detached(&self, entry: &AuditEntry) {
        let append = Append {
            frame: frame::encode(entry),
            durable: None,
        };
        if let Err(mpsc::error::TrySendError::Full(append)) = self.appends.try_send(append) {
            // Waiting appends are bounded by the calls in flight.
            let appends = self.appends.clone();
            tokio::spawn(async move { appends.send(append).await });
        }
    }
}

/// The writer thread's own state.
struct Writer {
    shared: Arc<Shared>,
    file: File,
    at: Position,
    /// Held for as long as the writer runs.
    _lock: File,
}

impl Writer {
    fn run(mut self, mut waiting: mpsc::Receiver<Append>) {
        let mut group = Vec::with_capacity(GROUP);
        let mut bytes = Vec::new();
        while let Some(first) = waiting.blocking_recv() {
            group.push(first);
            while group.len() < GROUP {
                match waiting.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) => break,
                }
            }
            bytes.clear();
            for append in &group {
                bytes.extend_from_slice(&append.frame);
            }
            let outcome = self.write(&bytes);
            for append in group.drain(..) {
                if let Some(durable) = append.durable {
                    let _ = durable.send(outcome.clone());
                }
            }
        }
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        if let Some(broken) = self.shared.state().broken.clone() {
            return Err(broken);
        }
        if let Err(error) = self
            .file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data())
        {
            // Leave no partial frame behind for the reader.
            let _ = self.file.set_len(self.at.offset);
            let reason = error.to_string();
            tracing::error!(
                error = reason,
                "audit spool write failed: refusing new calls"
            );
            self.shared.state().broken = Some(reason.clone());
            return Err(reason);
        }
        self.at.offset += bytes.len() as u64;
        {
            let mut state = self.shared.state();
            state.active = self.at;
            state.undrained += bytes.len() as u64;
        }
        self.shared.durable.notify_one();
        if self.at.offset >= SEGMENT_BYTES {
            self.roll()?;
        }
        Ok(())
    }

    /// Seals the active segment and begins the next.
    fn roll(&mut self) -> Result<(), String> {
        let next = Position {
            segment: self.at.segment + 1,
            offset: 0,
        };
        match append_to(&segment_path(&self.shared.dir, next.segment)) {
            Ok(file) => {
                self.file = file;
                self.at = next;
                self.shared.state().active = next;
                Ok(())
            }
            Err(error) => {
                let reason = error.to_string();
                self.shared.state().broken = Some(reason.clone());
                Err(reason)
            }
        }
    }
}

/// Entries read from the spool, and where the reader stands after them.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) entries: Vec<AuditEntry>,
    next: Position,
    bytes: u64,
}

/// Reads what is durable, in order, for the drainer.
#[derive(Debug)]
pub struct SpoolReader {
    shared: Arc<Shared>,
    cursor: Position,
}

impl SpoolReader {
    /// Returns whether everything durable has been drained.
    pub(crate) fn is_empty(&self) -> bool {
        self.shared.state().undrained == 0
    }

    /// Returns the bytes not yet drained.
    pub(crate) fn undrained(&self) -> u64 {
        self.shared.state().undrained
    }

    /// Waits for durable entries past the cursor; returns up to `max`.
    pub(crate) async fn next_batch(&mut self, max: usize) -> Result<Batch, SpoolError> {
        let mut at = self.cursor;
        let mut skipped = 0;
        loop {
            let active = self.shared.state().active;
            let end = if at.segment == active.segment {
                active.offset
            } else {
                segment_len(&self.shared.dir, at.segment)?
            };
            if at.offset < end {
                let (entries, read) = self.read(at, end, max)?;
                if !entries.is_empty() {
                    let next = Position {
                        segment: at.segment,
                        offset: at.offset + read,
                    };
                    return Ok(Batch {
                        entries,
                        bytes: skipped + read,
                        next,
                    });
                }
                // A damaged sealed segment: what is left of it is lost.
                tracing::error!(
                    segment = at.segment,
                    offset = at.offset,
                    lost_bytes = end - at.offset,
                    "audit spool segment is damaged past this point: skipping the rest of it"
                );
                skipped += end - at.offset;
                at.offset = end;
            }
            if at.segment < active.segment {
                at = Position {
                    segment: at.segment + 1,
                    offset: 0,
                };
                continue;
            }
            if skipped > 0 {
                return Ok(Batch {
                    entries: Vec::new(),
                    next: at,
                    bytes: skipped,
                });
            }
            // Nothing durable yet: wait for the writer (the timeout only
            // guards against a missed wake-up).
            let _ =
                tokio::time::timeout(Duration::from_secs(1), self.shared.durable.notified()).await;
        }
    }

    /// Reads whole frames of segment `at.segment` from `at.offset` up to
    /// `end`; returns them and the bytes they took.
    fn read(
        &self,
        at: Position,
        end: u64,
        max: usize,
    ) -> Result<(Vec<AuditEntry>, u64), SpoolError> {
        let path = segment_path(&self.shared.dir, at.segment);
        let mut file = File::open(&path).map_err(io_error(&path))?;
        file.seek(SeekFrom::Start(at.offset))
            .map_err(io_error(&path))?;
        let mut bytes = Vec::new();
        file.take((end - at.offset).min(READ_BYTES.max(frame::MAX_ENTRY as u64 * 2)))
            .read_to_end(&mut bytes)
            .map_err(io_error(&path))?;
        let mut entries = Vec::new();
        let mut read = 0;
        while entries.len() < max {
            match frame::decode(&bytes[read..]) {
                Decoded::Entry(entry, length) => {
                    entries.push(entry);
                    read += length;
                }
                Decoded::Incomplete | Decoded::Corrupt => break,
            }
        }
        Ok((entries, read as u64))
    }

    /// Moves the cursor past `batch` once the store has it: the cursor file
    /// is rewritten and segments wholly behind it deleted.
    pub(crate) fn commit(&mut self, batch: &Batch) -> Result<(), SpoolError> {
        write_cursor(&self.shared.dir, batch.next)?;
        for segment in self.cursor.segment..batch.next.segment {
            let path = segment_path(&self.shared.dir, segment);
            if let Err(error) = fs::remove_file(&path)
                && error.kind() != io::ErrorKind::NotFound
            {
                return Err(io_error(&path)(error));
            }
        }
        self.cursor = batch.next;
        let mut state = self.shared.state();
        state.undrained = state.undrained.saturating_sub(batch.bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests;

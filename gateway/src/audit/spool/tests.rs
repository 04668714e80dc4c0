use super::*;

fn settings(dir: &Path, max_bytes: u64) -> SpoolSettings {
    SpoolSettings {
        dir: dir.to_owned(),
        max_bytes,
    }
}

fn entry(n: usize) -> AuditEntry {
    AuditEntry {
        idempotency_key: format!("key-{n}"),
        method: "/forecastmesh.gateway.v1.GatewayService/GetKpis".into(),
        status_code: "OK".into(),
        principal: "p".repeat(40),
        ..Default::default()
    }
}

fn keys(entries: &[AuditEntry]) -> Vec<String> {
    entries.iter().map(|e| e.idempotency_key.clone()).collect()
}

/// Reads everything durable, committing as it goes when `commit` is set.
async fn read_all(reader: &mut SpoolReader, commit: bool) -> anyhow::Result<Vec<AuditEntry>> {
    let mut all = Vec::new();
    while !reader.is_empty() {
        let batch = reader.next_batch(50).await?;
        all.extend(batch.entries.iter().cloned());
        if commit {
            reader.commit(&batch)?;
        } else {
            reader.cursor = batch.next;
            reader.shared.state().undrained -= batch.bytes;
        }
    }
    Ok(all)
}

/// Opens the spool at `dir`, retrying while the last one's writer thread
/// still holds the lock.
async fn reopen(dir: &Path) -> anyhow::Result<(SpoolWriter, SpoolReader)> {
    for _ in 0..100 {
        match open(&settings(dir, u64::MAX)) {
            Err(SpoolError::Locked(_)) => tokio::time::sleep(Duration::from_millis(20)).await,
            opened => return Ok(opened?),
        }
    }
    anyhow::bail!("the spool stayed locked")
}

#[tokio::test]
async fn entries_come_back_in_order_across_segments_and_once_drained_are_gone() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let (writer, mut reader) = reopen(dir.path()).await?;
    // Enough entries to fill several 4 KiB test segments.
    for n in 0..200 {
        writer.append(&entry(n)).await?;
    }
    assert!(list_segments(dir.path())?.len() > 3, "several segments");
    let drained = read_all(&mut reader, true).await?;
    assert_eq!(
        keys(&drained),
        keys(&(0..200).map(entry).collect::<Vec<_>>())
    );
    assert!(
        list_segments(dir.path())?.len() <= 1,
        "drained segments deleted"
    );
    drop((writer, reader));

    let (_writer, mut reader) = reopen(dir.path()).await?;
    assert!(reader.is_empty(), "nothing drained comes back");
    assert!(read_all(&mut reader, true).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn what_was_not_drained_before_a_restart_is_drained_after_it() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (writer, mut reader) = reopen(dir.path()).await?;
    for n in 0..30 {
        writer.append(&entry(n)).await?;
    }
    // Ten reach the store; the process dies before the rest do.
    let batch = reader.next_batch(10).await?;
    reader.commit(&batch)?;
    drop((writer, reader));

    let (_writer, mut reader) = reopen(dir.path()).await?;
    let drained = read_all(&mut reader, true).await?;
    assert_eq!(
        keys(&drained),
        keys(&(10..30).map(entry).collect::<Vec<_>>())
    );
    Ok(())
}

#[tokio::test]
async fn a_torn_tail_is_cut_off_and_appends_continue_after_it() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (writer, reader) = reopen(dir.path()).await?;
    writer.append(&entry(0)).await?;
    drop((writer, reader));
    // A crash mid-write leaves half a frame at the end of the segment.
    let last = *list_segments(dir.path())?.last().expect("a segment");
    let path = segment_path(dir.path(), last);
    let half = &frame::encode(&entry(1))[..20];
    OpenOptions::new()
        .append(true)
        .open(&path)?
        .write_all(half)?;

    let (writer, mut reader) = reopen(dir.path()).await?;
    writer.append(&entry(2)).await?;
    let drained = read_all(&mut reader, false).await?;
    assert_eq!(keys(&drained), vec!["key-0", "key-2"]);
    Ok(())
}

#[tokio::test]
async fn a_full_spool_says_so_until_drained() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (writer, mut reader) = open(&settings(dir.path(), 1000))?;
    assert!(writer.has_room());
    for n in 0..10 {
        writer.append(&entry(n)).await?;
    }
    assert!(!writer.has_room(), "past 1000 bytes undrained");
    read_all(&mut reader, true).await?;
    assert!(writer.has_room(), "room again once drained");
    Ok(())
}

#[tokio::test]
async fn two_gateways_never_share_a_spool() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let _first = open(&settings(dir.path(), u64::MAX))?;
    let second = open(&settings(dir.path(), u64::MAX));
    assert!(matches!(second, Err(SpoolError::Locked(_))), "{second:?}");
    Ok(())
}

#[tokio::test]
async fn segments_and_the_directory_are_private() -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir()?;
    let spool = dir.path().join("spool");
    let (writer, _reader) = open(&settings(&spool, u64::MAX))?;
    writer.append(&entry(0)).await?;
    assert_eq!(fs::metadata(&spool)?.permissions().mode() & 0o777, 0o700);
    let segment = segment_path(&spool, list_segments(&spool)?[0]);
    assert_eq!(fs::metadata(segment)?.permissions().mode() & 0o777, 0o600);
    Ok(())
}

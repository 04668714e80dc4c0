use super::*;

fn entry(key: &str) -> AuditEntry {
    AuditEntry {
        idempotency_key: key.into(),
        method: "/m".into(),
        status_code: "OK".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn appends_are_idempotent_and_survive_a_restart() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("store.sqlite");
    let store = EmbeddedStore::open(&path).await?;
    let first = store.append_audit_entry(entry("k1")).await?;
    assert!(first.created);
    assert!(!first.record.id.is_empty());
    let retry = store
        .append_audit_entry(AuditEntry {
            method: "/other".into(),
            ..entry("k1")
        })
        .await?;
    assert!(!retry.created);
    assert_eq!(
        retry.record, first.record,
        "a retry returns the first write"
    );
    drop(store);

    let reopened = EmbeddedStore::open(&path).await?;
    let page = reopened
        .list_audit_entries(PageRequest::parse(0, "")?)
        .await?;
    assert_eq!(page.records, vec![first.record]);
    assert_eq!(page.next_cursor, "");
    Ok(())
}

#[tokio::test]
async fn listings_page_newest_first() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = EmbeddedStore::open(&dir.path().join("store.sqlite")).await?;
    for i in 0..5 {
        store.append_audit_entry(entry(&format!("k{i}"))).await?;
    }
    let mut keys = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = store
            .list_audit_entries(PageRequest::parse(2, &cursor)?)
            .await?;
        assert!(page.records.len() <= 2);
        keys.extend(page.records.into_iter().map(|e| e.idempotency_key));
        if page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }
    assert_eq!(keys, ["k4", "k3", "k2", "k1", "k0"]);
    Ok(())
}

#[test]
fn bad_page_requests_are_invalid_arguments() {
    for (size, cursor) in [
        (-1, ""),
        (501, ""),
        (10, "garbage"),
        (10, "seq:-3"),
        (10, "seq:"),
    ] {
        assert!(
            matches!(
                PageRequest::parse(size, cursor),
                Err(StoreError::InvalidArgument(_))
            ),
            "{size} {cursor}"
        );
    }
}

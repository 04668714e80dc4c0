use std::collections::{BTreeMap, BTreeSet};

use prost::Message;
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorSet};

use super::*;

/// Every message and enum of the contracts, by full name (no leading dot).
struct Contracts {
    messages: BTreeMap<String, DescriptorProto>,
    enums: BTreeMap<String, EnumDescriptorProto>,
}

impl Contracts {
    fn load() -> anyhow::Result<Self> {
        let set = FileDescriptorSet::decode(proto::FILE_DESCRIPTOR_SET)?;
        let mut contracts = Self {
            messages: BTreeMap::new(),
            enums: BTreeMap::new(),
        };
        for file in set.file {
            let package = file.package().to_owned();
            for message in file.message_type {
                contracts.add(&package, message);
            }
            for enumeration in file.enum_type {
                contracts
                    .enums
                    .insert(format!("{package}.{}", enumeration.name()), enumeration);
            }
        }
        Ok(contracts)
    }

    fn add(&mut self, scope: &str, message: DescriptorProto) {
        let name = format!("{scope}.{}", message.name());
        for nested in message.nested_type.clone() {
            self.add(&name, nested);
        }
        for enumeration in message.enum_type.clone() {
            self.enums
                .insert(format!("{name}.{}", enumeration.name()), enumeration);
        }
        self.messages.insert(name, message);
    }
}

/// Returns a type's name without its package: `RankingRun.Entry`.
fn local(full: &str) -> &str {
    let full = full.trim_start_matches('.');
    full.match_indices(".v1.")
        .next()
        .map_or(full, |(at, _)| &full[at + 4..])
}

/// Collects every way `public` is not the twin of `internal`, following the
/// messages and enums they name. With `outbound`, every internal field must
/// be in the twin or reserved there.
fn compare(
    contracts: &Contracts,
    internal: &str,
    public: &str,
    outbound: bool,
    seen: &mut BTreeSet<String>,
    problems: &mut Vec<String>,
) {
    if !seen.insert(format!("{internal}>{public}")) {
        return;
    }
    if let (Some(i), Some(p)) = (contracts.enums.get(internal), contracts.enums.get(public)) {
        let values = |e: &EnumDescriptorProto| -> Vec<(i32, String)> {
            e.value
                .iter()
                .map(|v| (v.number(), v.name().to_owned()))
                .collect()
        };
        if values(i) != values(p) {
            problems.push(format!("enum {public} is numbered unlike {internal}"));
        }
        return;
    }
    let (Some(i), Some(p)) = (
        contracts.messages.get(internal),
        contracts.messages.get(public),
    ) else {
        problems.push(format!("{internal} or {public} is not in the contracts"));
        return;
    };
    for field in &p.field {
        let Some(twin) = i.field.iter().find(|f| f.number() == field.number()) else {
            problems.push(format!("{public}.{} has no internal twin", field.name()));
            continue;
        };
        if twin.name() != field.name()
            || twin.r#type() != field.r#type()
            || twin.label() != field.label()
            || local(twin.type_name()) != local(field.type_name())
            || twin.oneof_index.is_some() != field.oneof_index.is_some()
        {
            problems.push(format!(
                "{public}.{} differs from {internal}.{}",
                field.name(),
                twin.name()
            ));
        } else if !field.type_name().is_empty() {
            compare(
                contracts,
                twin.type_name().trim_start_matches('.'),
                field.type_name().trim_start_matches('.'),
                outbound,
                seen,
                problems,
            );
        }
    }
    if outbound {
        for field in &i.field {
            let public_has = p.field.iter().any(|f| f.number() == field.number());
            let reserved = p
                .reserved_range
                .iter()
                .any(|r| (r.start()..r.end()).contains(&field.number()));
            if !public_has && !reserved {
                problems.push(format!(
                    "{internal}.{} is neither in {public} nor reserved there: decide whether it is public",
                    field.name()
                ));
            }
        }
    }
}

#[test]
fn every_pair_is_a_twin_and_every_internal_field_is_decided() -> anyhow::Result<()> {
    let contracts = Contracts::load()?;
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (internal, public) in PAIRS {
        compare(&contracts, internal, public, true, &mut seen, &mut problems);
    }
    // Inbound, the caller's series: every public field reaches the forecaster.
    compare(
        &contracts,
        "forecastmesh.forecaster.v1.InlineSeries",
        "forecastmesh.gateway.v1.InlineSeries",
        false,
        &mut seen,
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(seen.len() > PAIRS.len(), "nested messages were followed");
    Ok(())
}

#[test]
fn a_field_missing_from_both_twin_and_reserved_is_caught() -> anyhow::Result<()> {
    let mut contracts = Contracts::load()?;
    // As if a new internal field were added without a decision.
    if let Some(entry) = contracts
        .messages
        .get_mut("forecastmesh.store.v1.AuditEntry")
    {
        let mut added = entry.field[0].clone();
        added.name = Some("new_internal_field".into());
        added.number = Some(99);
        entry.field.push(added);
    }
    let mut problems = Vec::new();
    compare(
        &contracts,
        "forecastmesh.store.v1.AuditEntry",
        "forecastmesh.gateway.v1.AuditEntry",
        true,
        &mut BTreeSet::new(),
        &mut problems,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("new_internal_field"));
    Ok(())
}

#[test]
fn audit_entries_lose_their_idempotency_key_and_revocation_ids() -> Result<(), ApiError> {
    let entry = store::AuditEntry {
        id: "a1".into(),
        idempotency_key: "secret-key".into(),
        principal: "p".into(),
        method: "/m".into(),
        status_code: "OK".into(),
        trace_id: "t".into(),
        revocation_ids: vec!["secret-revocation".into()],
        recorded_at_unix_ms: 42,
    }
    .into_public()?;
    assert_eq!(entry.id, "a1");
    assert_eq!(entry.status_code, "OK");
    assert_eq!(entry.recorded_at_unix_ms, 42);
    let shown = format!("{entry:?}");
    assert!(!shown.contains("secret-key") && !shown.contains("secret-revocation"));
    // Nor do they travel hidden among the twin's unknown fields.
    assert!(
        !String::from_utf8_lossy(&entry.encode_to_vec()).contains("secret"),
        "re-encoded without them"
    );
    Ok(())
}

#[test]
fn runs_keep_their_figures_nested_messages_and_enums() -> Result<(), ApiError> {
    let run = store::RecommendationRun {
        id: "r1".into(),
        idempotency_key: "secret-key".into(),
        recommendations: vec![store::Recommendation {
            action: store::RecommendationAction::Promote as i32,
            stock_item_id: 7,
            name: "Item 7".into(),
            reason: "growing".into(),
            figures: [("growth".to_owned(), 0.25)].into(),
        }],
        ..Default::default()
    }
    .into_public()?;
    let recommendation = &run.recommendations[0];
    assert_eq!(
        recommendation.action,
        public::RecommendationAction::Promote as i32
    );
    assert_eq!(recommendation.stock_item_id, 7);
    assert_eq!(recommendation.figures.get("growth"), Some(&0.25));
    Ok(())
}

#[test]
fn inline_series_reach_the_forecaster_whole() -> Result<(), ApiError> {
    let sent = public::InlineSeries {
        points: vec![
            public::SeriesPoint {
                date: "2025-01-01".into(),
                value: 1.0,
                missing: false,
            },
            public::SeriesPoint {
                date: "2025-02-01".into(),
                value: 0.0,
                missing: true,
            },
        ],
        frequency: public::Frequency::Monthly as i32,
        missing_values: public::MissingValues::Interpolate as i32,
    };
    let internal = inline_series(&sent)?;
    assert_eq!(internal.points.len(), 2);
    assert!(internal.points[1].missing);
    assert_eq!(internal.frequency, forecaster::Frequency::Monthly as i32);
    assert_eq!(
        internal.missing_values,
        forecaster::MissingValues::Interpolate as i32
    );
    Ok(())
}

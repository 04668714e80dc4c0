//! The OpenAPI 3 document of the REST surface, built from the route table
//! and the contracts' descriptors, so it cannot drift from what is served:
//! each route's parameters with their bounds, its answer as the proto3 JSON
//! mapping of the method's response message (field names as declared,
//! 64-bit integers as strings, enums by name), and the error body.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message;
use prost_types::{
    DescriptorProto, FieldDescriptorProto, FileDescriptorSet,
    field_descriptor_proto::{Label, Type},
};
use serde_json::{Value, json};

use super::routes::{ParamKind, ROUTES};

/// Why the document could not be built.
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    #[error("the embedded descriptor set does not decode: {0}")]
    Descriptors(#[from] prost::DecodeError),
    #[error("{0} is not in the contracts")]
    Missing(String),
    #[error("the document does not serialize: {0}")]
    Json(#[from] serde_json::Error),
}

/// The HTTP statuses a REST call may answer with besides 200.
const ERRORS: &[(&str, &str)] = &[
    ("400", "a parameter is invalid; the message names it"),
    ("401", "no bearer token, or one that is not valid"),
    ("403", "the token lacks the scope this path needs"),
    ("404", "no such path"),
    ("429", "too many calls; retry after Retry-After seconds"),
    ("500", "the gateway failed; quote the trace id"),
    ("503", "a service behind the gateway is unavailable"),
    ("504", "a service behind the gateway did not answer in time"),
];

/// Returns the document, serialized.
pub fn document() -> Result<Vec<u8>, OpenApiError> {
    let descriptors = FileDescriptorSet::decode(proto::FILE_DESCRIPTOR_SET)?;
    let contracts = Contracts::new(&descriptors);
    let mut paths = serde_json::Map::new();
    let mut wanted = BTreeSet::new();
    for route in ROUTES {
        let output = contracts.output_of(route.method)?;
        wanted.insert(output.clone());
        let parameters: Vec<Value> = route
            .params
            .iter()
            .map(|param| {
                let schema = match param.kind {
                    ParamKind::Integer { min, max } => {
                        json!({"type": "integer", "format": "int32", "minimum": min, "maximum": max})
                    }
                    // Tokens are opaque to clients; the pattern states what
                    // the store issues, so generated tokens are ones it could.
                    ParamKind::PageToken => {
                        json!({"type": "string", "pattern": "^(seq:[1-9][0-9]{0,17})?$"})
                    }
                    // Empty means every one: the same as leaving it out.
                    ParamKind::GatewayMethod => {
                        let names = proto::methods::ALL
                            .iter()
                            .filter(|m| m.service == proto::methods::gateway_service::SERVICE)
                            .map(|m| m.name);
                        json!({"type": "string", "enum": std::iter::once("").chain(names).collect::<Vec<_>>()})
                    }
                    ParamKind::StatusCode => {
                        let names = (0..=16).map(mesh_core::metrics::rpc::code_name);
                        json!({"type": "string", "enum": std::iter::once("").chain(names).collect::<Vec<_>>()})
                    }
                    ParamKind::TraceId => {
                        json!({"type": "string", "pattern": "^([0-9a-fA-F]{32})?$"})
                    }
                };
                json!({"name": param.name, "in": "query", "required": false,
                       "description": param.description, "schema": schema})
            })
            .collect();
        let mut responses = serde_json::Map::new();
        responses.insert(
            "200".into(),
            json!({"description": "the answer",
                   "content": {"application/json": {"schema": reference(&output)}}}),
        );
        for (status, _) in ERRORS {
            responses.insert(
                (*status).into(),
                json!({"$ref": format!("#/components/responses/{status}")}),
            );
        }
        let name = route.method.rsplit('/').next().unwrap_or(route.method);
        let operation = if route.body {
            let input = contracts.input_of(route.method)?;
            wanted.insert(input.clone());
            json!({"post": {"operationId": name, "summary": format!("{name} over REST"),
                            "requestBody": {"required": true, "description": "the request message; a point's value may be null: missing, never 0",
                                            "content": {"application/json": {"schema": reference(&input)}}},
                            "responses": responses}})
        } else {
            json!({"get": {"operationId": name, "summary": format!("{name} over REST"),
                           "parameters": parameters, "responses": responses}})
        };
        paths.insert(route.path.into(), operation);
    }
    paths.insert(
        "/api/health".into(),
        json!({"get": {"operationId": "Health", "summary": "whether the gateway and its upstreams serve",
                       "security": [],
                       "responses": {
                           "200": {"description": "serving", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}},
                           "503": {"description": "not serving", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}}}),
    );
    let mut schemas = contracts.schemas(wanted)?;
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "required": ["code", "message", "trace_id"],
               "properties": {
                   "code": {"type": "string", "description": "the gRPC status code name, e.g. INVALID_ARGUMENT"},
                   "message": {"type": "string"},
                   "trace_id": {"type": "string", "description": "32 hex digits: the call's trace"}}}),
    );
    schemas.insert(
        "Health".into(),
        json!({"type": "object", "required": ["status"],
               "properties": {"status": {"type": "string", "enum": ["SERVING", "NOT_SERVING"]}}}),
    );
    let responses: serde_json::Map<String, Value> = ERRORS
        .iter()
        .map(|(status, description)| {
            (
                (*status).to_owned(),
                json!({"description": description,
                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}),
            )
        })
        .collect();
    let document = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "forecast-mesh gateway REST API",
            "version": "1",
            "description": "The replaced system's /api paths, over the same operations as the gRPC API (forecastmesh.gateway.v1.GatewayService). Bodies follow the proto3 JSON mapping of the public messages with their declared field names."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": responses,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
        },
        "security": [{"bearer": []}]
    });
    Ok(serde_json::to_vec_pretty(&document)?)
}

fn reference(message: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{message}")})
}

/// Every message and enum of the contracts, by full name (no leading dot).
struct Contracts<'a> {
    messages: BTreeMap<String, &'a DescriptorProto>,
    enums: BTreeMap<String, Vec<String>>,
    outputs: BTreeMap<String, String>,
    inputs: BTreeMap<String, String>,
}

impl<'a> Contracts<'a> {
    fn new(set: &'a FileDescriptorSet) -> Self {
        let mut contracts = Self {
            messages: BTreeMap::new(),
            enums: BTreeMap::new(),
            outputs: BTreeMap::new(),
            inputs: BTreeMap::new(),
        };
        for file in &set.file {
            let package = file.package();
            for message in &file.message_type {
                contracts.add_message(package, message);
            }
            for enumeration in &file.enum_type {
                contracts.add_enum(package, enumeration);
            }
            for service in &file.service {
                for method in &service.method {
                    let path = format!("/{package}.{}/{}", service.name(), method.name());
                    contracts.outputs.insert(
                        path.clone(),
                        method.output_type().trim_start_matches('.').to_owned(),
                    );
                    contracts
                        .inputs
                        .insert(path, method.input_type().trim_start_matches('.').to_owned());
                }
            }
        }
        contracts
    }

    fn add_message(&mut self, scope: &str, message: &'a DescriptorProto) {
        let name = format!("{scope}.{}", message.name());
        for nested in &message.nested_type {
            self.add_message(&name, nested);
        }
        for enumeration in &message.enum_type {
            self.add_enum(&name, enumeration);
        }
        self.messages.insert(name, message);
    }

    fn add_enum(&mut self, scope: &str, enumeration: &prost_types::EnumDescriptorProto) {
        self.enums.insert(
            format!("{scope}.{}", enumeration.name()),
            enumeration
                .value
                .iter()
                .map(|value| value.name().to_owned())
                .collect(),
        );
    }

    fn output_of(&self, method: &str) -> Result<String, OpenApiError> {
        self.outputs
            .get(method)
            .cloned()
            .ok_or_else(|| OpenApiError::Missing(method.to_owned()))
    }

    fn input_of(&self, method: &str) -> Result<String, OpenApiError> {
        self.inputs
            .get(method)
            .cloned()
            .ok_or_else(|| OpenApiError::Missing(method.to_owned()))
    }

    /// Returns the schemas of `wanted` and of everything they contain.
    fn schemas(
        &self,
        mut wanted: BTreeSet<String>,
    ) -> Result<serde_json::Map<String, Value>, OpenApiError> {
        let mut schemas = serde_json::Map::new();
        while let Some(name) = wanted.pop_first() {
            if schemas.contains_key(&name) {
                continue;
            }
            if let Some(values) = self.enums.get(&name) {
                schemas.insert(name, json!({"type": "string", "enum": values}));
                continue;
            }
            let message = self
                .messages
                .get(&name)
                .ok_or_else(|| OpenApiError::Missing(name.clone()))?;
            let mut properties = serde_json::Map::new();
            for field in &message.field {
                let (schema, nested) = self.field_schema(field);
                if let Some(nested) = nested
                    && !schemas.contains_key(&nested)
                {
                    wanted.insert(nested);
                }
                properties.insert(field.name().to_owned(), schema);
            }
            schemas.insert(name, json!({"type": "object", "properties": properties}));
        }
        Ok(schemas)
    }

    /// Returns a field's schema in the proto3 JSON mapping, and the message
    /// or enum it names, if any. A map is an object keyed by strings.
    fn field_schema(&self, field: &FieldDescriptorProto) -> (Value, Option<String>) {
        let named = field.type_name().trim_start_matches('.').to_owned();
        if let Some(entry) = self.messages.get(&named)
            && entry.options.as_ref().is_some_and(|o| o.map_entry())
            && let Some(value) = entry.field.iter().find(|f| f.number() == 2)
        {
            let (value, nested) = self.field_schema(value);
            return (
                json!({"type": "object", "additionalProperties": value}),
                nested,
            );
        }
        let (item, nested) = match field.r#type() {
            Type::Double | Type::Float => (json!({"type": "number"}), None),
            Type::Int32 | Type::Sint32 | Type::Sfixed32 => {
                (json!({"type": "integer", "format": "int32"}), None)
            }
            Type::Uint32 | Type::Fixed32 => (json!({"type": "integer", "minimum": 0}), None),
            Type::Int64 | Type::Sint64 | Type::Sfixed64 => {
                (json!({"type": "string", "pattern": "^-?[0-9]+$"}), None)
            }
            Type::Uint64 | Type::Fixed64 => {
                (json!({"type": "string", "pattern": "^[0-9]+$"}), None)
            }
            Type::Bool => (json!({"type": "boolean"}), None),
            Type::String => (json!({"type": "string"}), None),
            Type::Bytes => (json!({"type": "string", "format": "byte"}), None),
            Type::Enum | Type::Message | Type::Group => (reference(&named), Some(named)),
        };
        if field.label() == Label::Repeated {
            (json!({"type": "array", "items": item}), nested)
        } else {
            (item, nested)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_every_route_and_every_message_it_names() -> anyhow::Result<()> {
        let document: Value = serde_json::from_slice(&document()?)?;
        for route in ROUTES {
            let verb = if route.body { "post" } else { "get" };
            let get = &document["paths"][route.path][verb];
            assert!(get.is_object(), "{} is documented", route.path);
            for param in route.params {
                assert!(
                    get["parameters"]
                        .as_array()
                        .is_some_and(|p| p.iter().any(|p| p["name"] == param.name)),
                    "{} documents {}",
                    route.path,
                    param.name
                );
            }
        }
        let schemas = document["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let text = serde_json::to_string(&document)?;
        for (start, _) in text.match_indices("#/components/schemas/") {
            let name: String = text[start + 21..]
                .chars()
                .take_while(|c| *c != '"')
                .collect();
            assert!(schemas.contains_key(&name), "{name} is defined");
        }
        assert_eq!(
            document["components"]["schemas"]["forecastmesh.gateway.v1.GetKpisResponse"]["type"],
            "object"
        );
        Ok(())
    }
}

//! Health and reflection: beside every service's routes, and alone on the
//! plaintext probe port (kubelet gRPC probes cannot present certificates).

use super::ServeError;

const HEALTH_SERVICE: &str = "grpc.health.v1.Health";

/// Returns the plaintext probe server: health, and reflection of health only
/// so grpcurl can call it without a schema.
pub fn probe_server(
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
) -> Result<tonic::transport::server::Router, ServeError> {
    let (reflection_v1, reflection_v1alpha) = reflection(&[])?;
    Ok(tonic::transport::Server::builder()
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha))
}

/// Returns reflection v1 and v1alpha (grpcurl 1.8 speaks v1alpha) listing
/// `services` and health, with every contract's descriptors.
pub fn reflection(
    services: &[&'static str],
) -> Result<
    (
        tonic_reflection::server::v1::ServerReflectionServer<
            impl tonic_reflection::server::v1::ServerReflection,
        >,
        tonic_reflection::server::v1alpha::ServerReflectionServer<
            impl tonic_reflection::server::v1alpha::ServerReflection,
        >,
    ),
    ServeError,
> {
    let builder = || {
        let builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name(HEALTH_SERVICE);
        services.iter().fold(builder, |builder, service| {
            builder.with_service_name(*service)
        })
    };
    Ok((builder().build_v1()?, builder().build_v1alpha()?))
}

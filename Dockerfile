# syntax=docker/dockerfile:1
# One image holding the four services and the `mesh` command:
#   /usr/local/bin/{gateway,warehouse,forecaster,store,mesh}
# The Helm chart (helm/forecast-mesh) runs each service from it by command.
# Build:  docker build -t forecast-mesh:0.1.0 .
# Not built on the project's machines (no image registry there): see the
# README's "Deploy it".

# The build: Rust at the workspace's minimum version or newer (rust-version
# 1.88); protox compiles the contracts, so no protoc is needed.
FROM rust:1.88-slim-bookworm AS build
WORKDIR /src
# The registry and target directories are build caches, kept between builds.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
      -p gateway -p warehouse -p forecaster -p store -p mesh \
 && mkdir -p /out \
 && cp target/release/gateway target/release/warehouse target/release/forecaster \
       target/release/store target/release/mesh /out/

# The run: glibc and libgcc only, no shell, no package manager, and the
# distroless "nonroot" user (65532), as the chart's securityContext expects.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532
# Each service's defaults; the chart sets every port it uses explicitly.
EXPOSE 8080 50052 50053 50054 51051 51052 51053 51054
CMD ["/usr/local/bin/mesh", "--help"]

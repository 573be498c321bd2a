//! The packaging, checked without a container builder (none can run on this machine): the
//! Dockerfile's stages and settings, the compose example, and the systemd unit through
//! `systemd-analyze verify`.

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The settings the binary knows, from its own help (`[env: NAME=…]`).
fn known_settings() -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kabinet"))
        .args(["run", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    help.split("[env: ")
        .skip(1)
        .filter_map(|s| s.split(['=', ']']).next().map(str::to_owned))
        .collect()
}

#[test]
fn the_dockerfile_builds_with_the_pinned_rust_and_runs_unprivileged_with_a_health_check() {
    let docker = read("Dockerfile");
    let cargo = read("Cargo.toml");
    let rust = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    assert!(
        docker.contains(&format!("FROM rust:{rust}-bookworm AS build")),
        "the pinned {rust}"
    );
    assert!(docker.contains("cargo build --release --locked"));
    assert!(docker.contains("FROM debian:bookworm-slim"));
    let user = docker.lines().rev().find_map(|l| l.strip_prefix("USER ")).unwrap();
    assert!(user != "root" && user != "0", "runs as {user}");
    assert!(docker.contains("VOLUME [\"/data\"]"));
    assert!(docker.contains("HEALTHCHECK") && docker.contains("/healthz"));
    // Every setting it sets is one the binary reads.
    let known = known_settings();
    let env_block = docker.split("ENV ").nth(1).unwrap().split("VOLUME").next().unwrap();
    for name in env_block
        .split_whitespace()
        .filter_map(|w| w.split_once('=').map(|(k, _)| k.to_owned()))
    {
        assert!(known.contains(&name), "{name} is not a setting of kabinet");
    }
    assert!(docker.contains("METRICS_LISTEN=127.0.0.1:") && docker.contains("DATABASE_URL=sqlite:///data/"));
    assert!(!docker.contains("EXPOSE 9090"), "the image keeps /metrics on loopback");
}

#[test]
fn the_compose_example_keeps_metrics_on_loopback_and_data_in_a_volume() {
    let compose: serde_yaml::Value = serde_yaml::from_str(&read("docker-compose.yml")).unwrap();
    let svc = &compose["services"]["kabinet"];
    let ports: Vec<&str> = svc["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert!(
        !ports.is_empty() && ports.iter().all(|p| p.starts_with("127.0.0.1:")),
        "{ports:?}"
    );
    let volumes: Vec<&str> = svc["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(volumes.iter().any(|v| v.ends_with(":/data")), "{volumes:?}");
}

/// The PostgreSQL example: the database, two replicas of one image on it (webhook on every one,
/// metrics on loopback only) and nginx passing each update to one of them, the next one when
/// the first is down or answers 503; the systemd drop-in starts after the database.
#[test]
fn the_postgres_example_runs_two_replicas_behind_nginx() {
    let mut compose: serde_yaml::Value = serde_yaml::from_str(&read("deploy/compose.postgres.yml")).unwrap();
    // `kabinet-2` is `kabinet-1` (a YAML merge key) with its own port.
    compose.apply_merge().unwrap();
    let services = compose["services"].as_mapping().unwrap();
    let replicas: Vec<&serde_yaml::Value> = services
        .iter()
        .filter(|(k, _)| k.as_str().is_some_and(|k| k.starts_with("kabinet-")))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(replicas.len(), 2);
    for r in &replicas {
        let env = &r["environment"];
        assert!(env["DATABASE_URL"].as_str().unwrap().contains("postgres://"), "{env:?}");
        assert_eq!(env["WEBHOOK_LISTEN"].as_str(), Some("0.0.0.0:8443"));
        assert_eq!(r["image"].as_str(), Some("kabinet:latest"));
        let ports: Vec<&str> = r["ports"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .collect();
        assert!(ports.iter().all(|p| p.starts_with("127.0.0.1:")), "{ports:?}");
        assert_eq!(
            r["depends_on"]["postgres"]["condition"].as_str(),
            Some("service_healthy")
        );
    }
    assert!(services.contains_key("postgres") && services.contains_key("nginx"));
    let nginx = read("deploy/nginx.replicas.conf");
    for name in ["kabinet-1:8443", "kabinet-2:8443"] {
        assert!(nginx.contains(&format!("server {name}")), "{name}");
    }
    assert!(nginx.contains("proxy_next_upstream error timeout http_503"));
    let dropin = read("deploy/kabinet-postgres.conf");
    assert!(dropin.contains("After=postgresql.service"));
    assert!(dropin.contains("WEBHOOK_LISTEN="));
}

#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let unit = read("deploy/kabinet.service");
    for line in [
        "Restart=on-failure",
        "EnvironmentFile=/etc/kabinet/kabinet.env",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/kabinet",
        "NoNewPrivileges=yes",
        "User=kabinet",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line}");
    }
    // systemd's own check, with the binary of this build in place of the installed one.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("kabinet.service");
    std::fs::write(
        &copy,
        unit.replace("/usr/local/bin/kabinet", env!("CARGO_BIN_EXE_kabinet")),
    )
    .unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", copy.to_str().unwrap()])
        .output()
        .expect("systemd-analyze (package systemd)");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}

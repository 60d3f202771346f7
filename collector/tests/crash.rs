//! Durability of the real `manyi` binary: a 2xx means committed.
//!
//! Each test starts the binary on a fresh data folder, fires valid responses
//! from several tasks at once, stops the process in the middle of the load
//! (SIGKILL: a crash; SIGTERM: a graceful stop) and checks that every
//! response that was answered 201/200 is in the database, which must still
//! pass `PRAGMA integrity_check`.

mod common;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// Concurrent clients.
const CLIENTS: usize = 8;
/// Upper bound on the load, whatever happens to the server.
const LOAD_FOR: Duration = Duration::from_secs(2);
/// How long the load runs before the process is stopped.
const STOP_AFTER: Duration = Duration::from_millis(700);

/// A running `manyi serve`.
struct Server {
    child: Child,
    base: String,
}

/// Starts `manyi serve` on port 0 over `data` and reads the bound address
/// from its "manyi listening on http://ADDR" line.
async fn start(data: &Path) -> Server {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.join("server.log"))
        .expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_manyi"))
        .arg("serve")
        .args(["--addr", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data)
        .arg("--dist")
        .arg(data.join("no-dist"))
        .args(["--seed-demo", "--rate-limit", "off"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        // A failing test must not leave a server behind.
        .kill_on_drop(true)
        .spawn()
        .expect("start manyi");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if let Some(rest) = line.strip_prefix("manyi listening on http://") {
                return rest.split_whitespace().next().map(str::to_owned);
            }
        }
        None
    })
    .await
    .expect("manyi reports its address in time")
    .unwrap_or_else(|| panic!("manyi exited; log: {}", log_of(data)));
    // Keep reading stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Server {
        child,
        base: format!("http://{addr}"),
    }
}

fn log_of(data: &Path) -> String {
    std::fs::read_to_string(data.join("server.log")).unwrap_or_default()
}

/// One acknowledged response: the payload and the 2xx body.
struct Ack {
    payload: Value,
    received_at: String,
}

/// Posts fresh valid responses from [`CLIENTS`] tasks until the server stops
/// answering (or [`LOAD_FOR`] passes); returns every acknowledged one.
async fn load(base: &str) -> Vec<Ack> {
    let deadline = Instant::now() + LOAD_FOR;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let url = format!("{base}/v1/responses");
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut acks = Vec::new();
                while Instant::now() < deadline {
                    let payload = common::valid_payload();
                    let sent = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(payload.to_string())
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await;
                    let Ok(response) = sent else { break };
                    let status = response.status();
                    let Ok(body) = response.json::<Value>().await else {
                        break;
                    };
                    if status == StatusCode::CREATED || status == StatusCode::OK {
                        let received_at = body["received_at"].as_str().unwrap_or("").to_owned();
                        acks.push(Ack {
                            payload,
                            received_at,
                        });
                    } else {
                        // Only "shutting down" is an acceptable refusal here.
                        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
                    }
                }
                acks
            })
        })
        .collect();
    let mut acks = Vec::new();
    for task in tasks {
        acks.extend(task.await.expect("client task"));
    }
    acks
}

/// Opens the database read-only.
async fn open_db(data: &Path) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(data.join("manyi.db"))
        .read_only(true);
    SqlitePool::connect_with(options).await.expect("open db")
}

/// Asserts that every acknowledged response is stored, with the receive time
/// it was acknowledged with, and that the database is sound.
async fn assert_all_stored(data: &Path, acks: &[Ack]) {
    let db = open_db(data).await;
    let (integrity,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&db)
        .await
        .expect("integrity_check");
    assert_eq!(integrity, "ok");
    for ack in acks {
        let id = ack.payload["response_id"].as_str().expect("id");
        let stored: Option<(String,)> =
            sqlx::query_as("SELECT received_at FROM responses WHERE response_id = ?")
                .bind(id)
                .fetch_optional(&db)
                .await
                .expect("select");
        assert_eq!(
            stored.map(|(r,)| r).as_deref(),
            Some(ack.received_at.as_str()),
            "acknowledged response {id} is not stored"
        );
    }
    db.close().await;
}

/// Sends SIGTERM (what `docker stop` and systemd send).
fn sigterm(child: &Child) {
    let pid = child.id().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

fn data_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("data dir");
    let path = dir.path().to_owned();
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_response_survives_a_sigkill_mid_load() {
    let (_dir, data) = data_dir();
    let mut server = start(&data).await;
    let base = server.base.clone();
    let load = tokio::spawn(async move { load(&base).await });
    tokio::time::sleep(STOP_AFTER).await;
    // SIGKILL: no chance to flush or drain anything.
    server.child.start_kill().expect("kill");
    server.child.wait().await.expect("wait");
    let acks = load.await.expect("load");
    assert!(!acks.is_empty(), "nothing was acknowledged before the kill");

    // Restart on the same folder: recovery of the WAL, migrations, seeding.
    let mut again = start(&data).await;
    // A retry of an acknowledged response is recognised as the same one.
    let client = reqwest::Client::new();
    for ack in acks.iter().take(20) {
        let reply = client
            .post(format!("{}/v1/responses", again.base))
            .header("content-type", "application/json")
            .body(ack.payload.to_string())
            .send()
            .await
            .expect("retry");
        assert_eq!(reply.status(), StatusCode::OK);
        let body: Value = reply.json().await.expect("json");
        assert_eq!(body["received_at"], ack.received_at.as_str());
    }
    sigterm(&again.child);
    let status = again.child.wait().await.expect("wait");
    assert!(status.success(), "{status}; log: {}", log_of(&data));
    assert_all_stored(&data, &acks).await;
    eprintln!(
        "{} responses acknowledged before SIGKILL, all stored",
        acks.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_mid_load_drains_the_queue_and_loses_nothing_acknowledged() {
    let (_dir, data) = data_dir();
    let mut server = start(&data).await;
    let base = server.base.clone();
    let load = tokio::spawn(async move { load(&base).await });
    tokio::time::sleep(STOP_AFTER).await;
    sigterm(&server.child);
    let status = tokio::time::timeout(Duration::from_secs(30), server.child.wait())
        .await
        .expect("manyi stops in time after SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status}; log: {}", log_of(&data));
    let acks = load.await.expect("load");
    assert!(!acks.is_empty(), "nothing was acknowledged before SIGTERM");
    assert_all_stored(&data, &acks).await;
    eprintln!(
        "{} responses acknowledged before SIGTERM, all stored",
        acks.len()
    );
}

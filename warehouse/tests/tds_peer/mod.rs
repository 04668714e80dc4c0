//! A TDS peer on loopback: enough of SQL Server's wire protocol (MS-TDS) to
//! let tiberius log in and run queries, recording what the client really
//! sends — the LOGIN7 record with its read-only intent, every SQL text and
//! every parameter — and answering with scripted result sets. No SQL Server
//! can run here; this checks our side of the conversation, not SQL Server's.
//!
//! It answers PRELOGIN with "encryption not supported", so only a client that
//! explicitly allows plaintext gets further.

#![allow(dead_code, unreachable_pub)]

use std::sync::{Arc, Mutex};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

const PRELOGIN: u8 = 0x12;
const LOGIN7: u8 = 0x10;
const SQL_BATCH: u8 = 0x01;
const RPC: u8 = 0x03;
const TABULAR_RESULT: u8 = 0x04;
const END_OF_MESSAGE: u8 = 0x01;
const PACKET: usize = 4096;
/// The read-only intent bit of LOGIN7's TypeFlags (MS-TDS 2.2.6.4).
const READ_ONLY_INTENT: u8 = 0x20;
const TYPE_FLAGS_OFFSET: usize = 26;
const LATIN1_CI_AS: [u8; 5] = [0x09, 0x04, 0xD0, 0x00, 0x34];

/// What a LOGIN7 record said.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Login {
    pub read_only_intent: bool,
    pub user: String,
    pub database: String,
    pub app_name: String,
}

/// One statement the client sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    pub sql: String,
    /// Parameters after `@stmt` and `@params`, as text.
    pub params: Vec<String>,
    /// True for `sp_executesql` (parameterized), false for a plain batch.
    pub rpc: bool,
}

/// A value in a scripted answer.
#[derive(Clone, Debug)]
pub enum Cell {
    Int(i64),
    Float(f64),
    Text(String),
    Null,
}

/// A column's type in a scripted answer.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Int,
    Float,
    Text,
}

/// One result set.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    pub columns: Vec<(String, Kind)>,
    pub rows: Vec<Vec<Cell>>,
}

/// Picks the answer to a statement.
pub type Script = Arc<dyn Fn(&Received) -> Answer + Send + Sync>;

/// What the peer saw, for assertions.
#[derive(Debug, Default)]
pub struct Seen {
    pub prelogins: usize,
    pub logins: Vec<Login>,
    pub statements: Vec<Received>,
}

/// A running peer.
pub struct TdsPeer {
    pub port: u16,
    pub seen: Arc<Mutex<Seen>>,
}

impl TdsPeer {
    pub async fn start(script: Script) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = seen.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (state, script) = (state.clone(), script.clone());
                tokio::spawn(async move {
                    let _ = serve(socket, state, script).await;
                });
            }
        });
        Ok(Self { port, seen })
    }

    pub fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn serve(
    mut socket: TcpStream,
    seen: Arc<Mutex<Seen>>,
    script: Script,
) -> std::io::Result<()> {
    loop {
        let (kind, payload) = read_message(&mut socket).await?;
        let reply = match kind {
            PRELOGIN => {
                seen.lock().map_err(poisoned)?.prelogins += 1;
                prelogin_response()
            }
            LOGIN7 => {
                seen.lock()
                    .map_err(poisoned)?
                    .logins
                    .push(parse_login(&payload));
                login_response()
            }
            SQL_BATCH | RPC => {
                let received = if kind == RPC {
                    parse_rpc(&payload)?
                } else {
                    parse_batch(&payload)
                };
                let answer = script(&received);
                seen.lock().map_err(poisoned)?.statements.push(received);
                result_response(&answer)
            }
            other => {
                return Err(std::io::Error::other(format!(
                    "unexpected packet type {other:#x}"
                )));
            }
        };
        write_message(&mut socket, &reply).await?;
    }
}

fn poisoned<T>(_: T) -> std::io::Error {
    std::io::Error::other("poisoned")
}

async fn read_message(socket: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut payload = Vec::new();
    loop {
        let mut header = [0u8; 8];
        socket.read_exact(&mut header).await?;
        let length = u16::from_be_bytes([header[2], header[3]]) as usize;
        let mut body = vec![0u8; length.saturating_sub(8)];
        socket.read_exact(&mut body).await?;
        payload.extend(body);
        if header[1] & END_OF_MESSAGE != 0 {
            return Ok((header[0], payload));
        }
    }
}

async fn write_message(socket: &mut TcpStream, payload: &[u8]) -> std::io::Result<()> {
    let chunks: Vec<&[u8]> = payload.chunks(PACKET - 8).collect();
    let count = chunks.len().max(1);
    for (index, chunk) in chunks.iter().enumerate() {
        let last = index + 1 == count;
        let mut packet = vec![TABULAR_RESULT, if last { END_OF_MESSAGE } else { 0 }];
        packet.extend(((chunk.len() + 8) as u16).to_be_bytes());
        packet.extend([0, 0, (index + 1) as u8, 0]);
        packet.extend_from_slice(chunk);
        socket.write_all(&packet).await?;
    }
    socket.flush().await
}

fn prelogin_response() -> Vec<u8> {
    // Options: VERSION, ENCRYPTION (not supported), INSTOPT, MARS; then data.
    let data: [&[u8]; 4] = [&[15, 0, 0x07, 0xD0, 0, 0], &[0x02], &[0x00], &[0x00]];
    let mut table = Vec::new();
    let mut offset = 4 * 5 + 1;
    for (token, value) in [0x00u8, 0x01, 0x02, 0x04].iter().zip(data) {
        table.push(*token);
        table.extend((offset as u16).to_be_bytes());
        table.extend((value.len() as u16).to_be_bytes());
        offset += value.len();
    }
    table.push(0xFF);
    data.iter().for_each(|value| table.extend_from_slice(value));
    table
}

fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn login_field(payload: &[u8], at: usize) -> String {
    let read = |i: usize| u16::from_le_bytes([payload[i], payload[i + 1]]) as usize;
    let (offset, chars) = (read(at), read(at + 2));
    payload
        .get(offset..offset + 2 * chars)
        .map(utf16)
        .unwrap_or_default()
}

fn parse_login(payload: &[u8]) -> Login {
    Login {
        read_only_intent: payload[TYPE_FLAGS_OFFSET] & READ_ONLY_INTENT != 0,
        user: login_field(payload, 40),
        app_name: login_field(payload, 48),
        database: login_field(payload, 68),
    }
}

fn b_varchar(text: &str) -> Vec<u8> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut out = vec![units.len() as u8];
    units.iter().for_each(|unit| out.extend(unit.to_le_bytes()));
    out
}

fn done(rows: u64) -> Vec<u8> {
    let mut out = vec![0xFD];
    out.extend(0x0010u16.to_le_bytes()); // DONE_COUNT
    out.extend(0x00C1u16.to_le_bytes()); // SELECT
    out.extend(rows.to_le_bytes());
    out
}

fn login_response() -> Vec<u8> {
    let mut body = vec![0x01]; // SQL_TSQL
    body.extend(0x7400_0004u32.to_be_bytes());
    body.extend(b_varchar("forecast-mesh TDS peer"));
    body.extend([15, 0, 0x07, 0xD0]);
    let mut out = vec![0xAD];
    out.extend((body.len() as u16).to_le_bytes());
    out.extend(body);
    out.extend(done(0));
    out
}

fn result_response(answer: &Answer) -> Vec<u8> {
    let mut out = vec![0x81];
    out.extend((answer.columns.len() as u16).to_le_bytes());
    for (name, kind) in &answer.columns {
        out.extend(0u32.to_le_bytes()); // user type
        out.extend(0x0001u16.to_le_bytes()); // nullable
        match kind {
            Kind::Int => out.extend([0x26, 8]),
            Kind::Float => out.extend([0x6D, 8]),
            Kind::Text => {
                out.push(0xE7);
                out.extend(8000u16.to_le_bytes());
                out.extend(LATIN1_CI_AS);
            }
        }
        out.extend(b_varchar(name));
    }
    for row in &answer.rows {
        out.push(0xD1);
        for (cell, (_, kind)) in row.iter().zip(&answer.columns) {
            match cell {
                Cell::Int(v) => {
                    out.push(8);
                    out.extend(v.to_le_bytes());
                }
                Cell::Float(v) => {
                    out.push(8);
                    out.extend(v.to_le_bytes());
                }
                Cell::Text(v) => {
                    let units: Vec<u16> = v.encode_utf16().collect();
                    out.extend(((units.len() * 2) as u16).to_le_bytes());
                    units.iter().for_each(|unit| out.extend(unit.to_le_bytes()));
                }
                // NULL: a zero length for fixed types, 0xFFFF for strings.
                Cell::Null => match kind {
                    Kind::Text => out.extend(0xFFFFu16.to_le_bytes()),
                    Kind::Int | Kind::Float => out.push(0),
                },
            }
        }
    }
    out.extend(done(answer.rows.len() as u64));
    out
}

/// Skips ALL_HEADERS, which both batches and RPCs start with.
fn after_headers(payload: &[u8]) -> &[u8] {
    let total = u32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]) as usize;
    &payload[total.min(payload.len())..]
}

fn parse_batch(payload: &[u8]) -> Received {
    Received {
        sql: utf16(after_headers(payload)),
        params: Vec::new(),
        rpc: false,
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> std::io::Result<&[u8]> {
        let slice = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or_else(|| std::io::Error::other("rpc ends early"))?;
        self.at += n;
        Ok(slice)
    }
    fn u8(&mut self) -> std::io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> std::io::Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> std::io::Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Reads one RPC parameter's value as text.
fn parameter(reader: &mut Reader<'_>) -> std::io::Result<String> {
    let kind = reader.u8()?;
    match kind {
        0xE7 | 0xEF | 0xA7 | 0xAF => {
            let max = reader.u16()?;
            reader.take(5)?; // collation
            let bytes = if max == 0xFFFF {
                let total =
                    u64::from_le_bytes(reader.take(8)?.try_into().map_err(std::io::Error::other)?);
                let mut bytes = Vec::new();
                if total != u64::MAX {
                    loop {
                        let chunk = reader.u32()? as usize;
                        if chunk == 0 {
                            break;
                        }
                        bytes.extend_from_slice(reader.take(chunk)?);
                    }
                }
                bytes
            } else {
                match reader.u16()? {
                    0xFFFF => Vec::new(),
                    len => reader.take(len as usize)?.to_vec(),
                }
            };
            Ok(if kind == 0xE7 || kind == 0xEF {
                utf16(&bytes)
            } else {
                String::from_utf8_lossy(&bytes).into_owned()
            })
        }
        0x26 | 0x6D | 0x68 => {
            reader.u8()?; // declared size
            let len = reader.u8()? as usize;
            let bytes = reader.take(len)?;
            Ok(match (kind, len) {
                (0x26, 8) => {
                    i64::from_le_bytes(bytes.try_into().map_err(std::io::Error::other)?).to_string()
                }
                (0x26, 4) => {
                    i32::from_le_bytes(bytes.try_into().map_err(std::io::Error::other)?).to_string()
                }
                (0x6D, 8) => {
                    f64::from_le_bytes(bytes.try_into().map_err(std::io::Error::other)?).to_string()
                }
                (_, 0) => "NULL".into(),
                _ => format!("{bytes:?}"),
            })
        }
        other => Err(std::io::Error::other(format!(
            "parameter type {other:#x} not understood by the peer"
        ))),
    }
}

fn parse_rpc(payload: &[u8]) -> std::io::Result<Received> {
    let mut reader = Reader {
        bytes: after_headers(payload),
        at: 0,
    };
    let (switch, proc_id) = (reader.u16()?, reader.u16()?);
    if (switch, proc_id) != (0xFFFF, 10) {
        return Err(std::io::Error::other("only sp_executesql is understood"));
    }
    reader.u16()?; // option flags
    let mut values = Vec::new();
    while reader.at < reader.bytes.len() {
        let name_len = reader.u8()? as usize;
        reader.take(2 * name_len)?;
        reader.u8()?; // status flags
        values.push(parameter(&mut reader)?);
    }
    let mut values = values.into_iter();
    let sql = values.next().unwrap_or_default();
    let _declarations = values.next();
    Ok(Received {
        sql,
        params: values.collect(),
        rpc: true,
    })
}

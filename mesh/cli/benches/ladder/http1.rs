//! A keep-alive HTTP/1.1 client, just enough for gRPC-web and REST calls the
//! way a browser sends them: one request at a time per connection, answers
//! read whole (`Content-Length` or chunked).

use std::net::SocketAddr;

use anyhow::{Context, bail};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

/// One persistent connection.
pub(crate) struct Http1 {
    stream: BufReader<TcpStream>,
    host: String,
}

/// A whole response.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// Returns the first header named `name` (lowercase).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Http1 {
    pub(crate) async fn connect(address: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            host: address.to_string(),
        })
    }

    /// Sends one request and reads its whole response.
    pub(crate) async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<Response> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        self.stream.get_mut().write_all(&request).await?;
        self.read_response().await
    }

    async fn line(&mut self) -> anyhow::Result<String> {
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            bail!("connection closed");
        }
        Ok(line.trim_end().to_owned())
    }

    async fn read_response(&mut self) -> anyhow::Result<Response> {
        let status_line = self.line().await?;
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {status_line:?}"))?;
        let mut headers = Vec::new();
        loop {
            let line = self.line().await?;
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let mut response = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if response
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            loop {
                let size = usize::from_str_radix(self.line().await?.trim(), 16)?;
                if size == 0 {
                    // Trailer section (none expected), then the blank line.
                    while !self.line().await?.is_empty() {}
                    break;
                }
                let start = response.body.len();
                response.body.resize(start + size, 0);
                self.stream.read_exact(&mut response.body[start..]).await?;
                self.line().await?;
            }
        } else if let Some(length) = response.header("content-length") {
            let length: usize = length.parse()?;
            response.body.resize(length, 0);
            self.stream.read_exact(&mut response.body).await?;
        }
        Ok(response)
    }
}

//! The CONNECT request that opens a tunnel through an HTTP proxy, and the
//! proxy's answer, as websocket-driver 0.8.0 writes and reads them
//! (lib/websocket/driver/proxy.js).

use super::basic_authorization;
use crate::handshake::headers::{HeaderError, HeaderList};
use crate::handshake::http_response::{Progress, ResponseParser};

/// What the proxy answered so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConnectProgress {
    Pending,
    /// 200: the tunnel is open; anything after the head starts here.
    Established {
        body_offset: usize,
    },
    /// Any other status, or an unreadable answer.
    Refused,
}

/// The tunnel request to a proxy, and its answer.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProxyConnect {
    parser: ResponseParser,
}

impl ProxyConnect {
    /// proxy.js `start()`: `CONNECT hostname:port`, then `Host` (the origin's
    /// host), the keep-alive headers, `Proxy-Authorization` from the proxy
    /// URL's userinfo and the `proxy.headers` option (which cannot replace
    /// any of these; a custom `Host` is ignored).
    pub(crate) fn request(
        authority: &str,
        origin_host: &str,
        proxy_username: &str,
        proxy_password: &str,
        user_headers: &[(String, String)],
    ) -> Result<Vec<u8>, HeaderError> {
        let mut headers = HeaderList::new();
        headers.set("Host", origin_host)?;
        headers.set("Connection", "keep-alive")?;
        headers.set("Proxy-Connection", "keep-alive")?;
        if let Some(value) = basic_authorization(proxy_username, proxy_password) {
            headers.set("Proxy-Authorization", &value)?;
        }
        for (name, value) in user_headers {
            headers.set(name, value)?;
        }
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\n").into_bytes();
        headers.write_to(&mut request);
        request.extend_from_slice(b"\r\n");
        Ok(request)
    }

    pub(crate) fn new() -> ProxyConnect {
        ProxyConnect::default()
    }

    pub(crate) fn receive(&mut self, chunk: &[u8]) -> ConnectProgress {
        match self.parser.feed(chunk) {
            Progress::Incomplete => ConnectProgress::Pending,
            Progress::Failed => ConnectProgress::Refused,
            Progress::Complete(body_offset) => {
                if self.parser.status_code() == Some(200) {
                    ConnectProgress::Established { body_offset }
                } else {
                    ConnectProgress::Refused
                }
            }
        }
    }

    /// The proxy's status code, once its head is complete.
    pub(crate) fn status_code(&self) -> Option<u16> {
        self.parser.status_code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pairs;

    #[test]
    fn writes_the_connect_request() {
        let request = ProxyConnect::request(
            "localhost:40691",
            "localhost:40691",
            "pu",
            "pp",
            &pairs(&[
                ("Host", "ignored"),
                ("User-Agent", "ua"),
                ("user-agent", "dup"),
                ("Connection", "close"),
            ]),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(request).unwrap(),
            "CONNECT localhost:40691 HTTP/1.1\r\nHost: localhost:40691\r\nConnection: keep-alive\r\n\
             Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic cHU6cHA=\r\nUser-Agent: ua\r\n\r\n"
        );
    }

    #[test]
    fn connect_request_without_credentials() {
        let request = ProxyConnect::request("[::1]:443", "[::1]", "", "", &[]).unwrap();
        assert_eq!(
            String::from_utf8(request).unwrap(),
            "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]\r\nConnection: keep-alive\r\n\
             Proxy-Connection: keep-alive\r\n\r\n"
        );
        assert!(ProxyConnect::request("h:1", "h", "", "", &pairs(&[("X", "a\nb")])).is_err());
    }

    #[test]
    fn reads_the_proxy_answer() {
        let mut proxy = ProxyConnect::new();
        assert_eq!(
            proxy.receive(b"HTTP/1.1 200 Connection est"),
            ConnectProgress::Pending
        );
        assert_eq!(
            proxy.receive(b"ablished\r\n\r\nHTTP/1.1 101"),
            ConnectProgress::Established { body_offset: 12 }
        );
        assert_eq!(proxy.status_code(), Some(200));

        let mut proxy = ProxyConnect::new();
        assert_eq!(
            proxy.receive(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n"
            ),
            ConnectProgress::Refused
        );
        assert_eq!(proxy.status_code(), Some(407));

        let mut proxy = ProxyConnect::new();
        assert_eq!(
            proxy.receive(b"SSH-2.0-OpenSSH\r\n"),
            ConnectProgress::Refused
        );
        assert_eq!(proxy.status_code(), None);
    }
}

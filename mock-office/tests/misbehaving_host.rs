//! A host that misbehaves at the transport level gives a clear error within the configured timeout, never a
//! panic, and the transcript entry still says what happened (with the token redacted).

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use wopi_mock_office::client::{ClientConfig, ClientError, RawRequest, WopiClient, WopiTarget};
use wopi_mock_office::keys::KeyRing;
use wopi_protocol::transcript::RecordedOutcome;

const TOKEN: &str = "secret-token-123";

fn client(total: Duration, max_body: u64) -> WopiClient {
    let config = ClientConfig {
        connect_timeout: Duration::from_millis(500),
        total_timeout: total,
        max_body_bytes: max_body,
        ..ClientConfig::default()
    };
    WopiClient::new(config, KeyRing::fixed().expect("fixed keys").shared()).expect("client")
}

fn target(base: &str) -> WopiTarget {
    WopiTarget::new(Url::parse(&format!("{base}/wopi/files/f1")).expect("url"), TOKEN)
}

fn assert_token_absent(exchange: &wopi_protocol::transcript::Exchange) {
    let text = serde_json::to_string(exchange).expect("serialises");
    assert!(!text.contains(TOKEN), "token leaked into the transcript: {text}");
}

#[tokio::test]
async fn a_hanging_host_times_out_within_the_total_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/wopi/files/f1"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let c = client(Duration::from_millis(400), 1024);
    let started = Instant::now();
    let (result, exchange) = c
        .execute(RawRequest::to_target(
            "CheckFileInfo",
            http::Method::GET,
            &target(&server.uri()),
            "",
        ))
        .await;
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(ClientError::Timeout { after }) if after == Duration::from_millis(400)),
        "{result:?}"
    );
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert!(matches!(exchange.outcome, RecordedOutcome::TransportError { ref message } if message.contains("400 ms")));
    assert!(exchange.request.url.contains("access_token=[redacted]"));
    assert_token_absent(&exchange);
}

#[tokio::test]
async fn a_huge_declared_body_is_refused_before_reading() {
    // wiremock computes Content-Length from the body, so a raw socket declares 5 GB and sends a few bytes.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 4096];
        let _ = sock.read(&mut buf).await;
        let _ = sock
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 5368709120\r\n\r\nabc",
            )
            .await;
        // Keep the socket open so only the declared length can give the size away.
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let c = client(Duration::from_secs(3), 256 * 1024 * 1024);
    let started = Instant::now();
    let result = c.get_file(&target(&format!("http://{addr}")), None).await;
    assert_eq!(
        result.err(),
        Some(ClientError::BodyTooLarge {
            limit: 256 * 1024 * 1024,
            declared: Some(5_368_709_120)
        })
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refused only after {:?}",
        started.elapsed()
    );
    let transcript = c.take_transcript();
    assert_eq!(transcript.len(), 1);
    assert!(
        matches!(&transcript[0].outcome, RecordedOutcome::TransportError { message } if message.contains("5368709120"))
    );
    server.abort();
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_cut_off_while_streaming() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 4096];
        let _ = sock.read(&mut buf).await;
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await;
        let chunk = format!("400\r\n{}\r\n", "x".repeat(0x400));
        for _ in 0..64 {
            if sock.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
        let _ = sock.write_all(b"0\r\n\r\n").await;
    });
    let c = client(Duration::from_secs(3), 10_000);
    let result = c.get_file(&target(&format!("http://{addr}")), None).await;
    assert_eq!(
        result.err(),
        Some(ClientError::BodyTooLarge {
            limit: 10_000,
            declared: None
        })
    );
    server.abort();
}

#[tokio::test]
async fn malformed_json_is_a_clear_error_from_json() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/wopi/files/f1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"BaseFileName\": \"a.docx\",", "application/json"))
        .mount(&server)
        .await;
    let c = client(Duration::from_secs(3), 1024);
    let resp = c
        .check_file_info(&target(&server.uri()))
        .await
        .expect("the transport worked");
    assert_eq!(resp.status, 200);
    match resp.json() {
        Err(ClientError::InvalidJson { message, preview }) => {
            assert!(message.contains("EOF"), "{message}");
            assert!(preview.starts_with("{\"BaseFileName\""));
        }
        other => panic!("expected InvalidJson, got {other:?}"),
    }
}

#[tokio::test]
async fn a_redirect_loop_is_not_followed() {
    let server = MockServer::start().await;
    let loop_to = format!("{}/wopi/files/f1?access_token={TOKEN}", server.uri());
    Mock::given(method("GET"))
        .and(path("/wopi/files/f1"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", loop_to.as_str()))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(Duration::from_secs(3), 1024);
    let (result, exchange) = c
        .execute(RawRequest::to_target(
            "CheckFileInfo",
            http::Method::GET,
            &target(&server.uri()),
            "",
        ))
        .await;
    match result {
        Err(ClientError::Redirect { status, location }) => {
            assert_eq!(status, 302);
            assert_eq!(
                location,
                format!("{}/wopi/files/f1?access_token=[redacted]", server.uri())
            );
        }
        other => panic!("expected Redirect, got {other:?}"),
    }
    assert!(matches!(
        exchange.outcome,
        RecordedOutcome::Response { status: 302, .. }
    ));
    assert_token_absent(&exchange);
    // `expect(1)`: the redirect was requested once, not followed.
    server.verify().await;
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let c = client(Duration::from_secs(3), 1024);
    let result = c.check_file_info(&target(&format!("http://{addr}"))).await;
    assert!(matches!(result, Err(ClientError::Connect(_))), "{result:?}");
    let message = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        !message.contains(TOKEN),
        "the error must not carry the token: {message}"
    );
}

#[tokio::test]
async fn a_connection_closed_mid_response_is_an_io_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 4096];
        let _ = sock.read(&mut buf).await;
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a few")
            .await;
        // Dropping the socket closes the connection 90 bytes early.
    });
    let c = client(Duration::from_secs(3), 1024);
    let result = c.get_file(&target(&format!("http://{addr}")), None).await;
    assert!(matches!(result, Err(ClientError::Io(_))), "{result:?}");
    server.abort();
}

#[tokio::test]
async fn garbage_instead_of_http_is_an_io_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 4096];
        let _ = sock.read(&mut buf).await;
        let _ = sock.write_all(b"\x00\x01\x02 this is not HTTP\r\n\r\n").await;
    });
    let c = client(Duration::from_secs(3), 1024);
    let result = c.check_file_info(&target(&format!("http://{addr}"))).await;
    assert!(matches!(result, Err(ClientError::Io(_))), "{result:?}");
    server.abort();
}

#[tokio::test]
async fn requests_carry_the_headers_a_real_client_sends() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/wopi/files/f1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/json"))
        .mount(&server)
        .await;
    let c = client(Duration::from_secs(3), 1024);
    let resp = c
        .put_relative_suggested(
            &target(&server.uri()),
            "new_name.docx",
            bytes::Bytes::from_static(b"data"),
        )
        .await
        .expect("sent");
    assert_eq!(resp.status, 200);
    let received = server.received_requests().await.expect("recording on");
    let req = &received[0];
    let h = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(h("X-WOPI-Override").as_deref(), Some("PUT_RELATIVE"));
    assert_eq!(h("X-WOPI-SuggestedTarget").as_deref(), Some("new+AF8-name.docx"));
    assert_eq!(h("X-WOPI-Size").as_deref(), Some("4"));
    assert_eq!(h("Authorization"), Some(format!("Bearer {TOKEN}")));
    for name in [
        "X-WOPI-Proof",
        "X-WOPI-ProofOld",
        "X-WOPI-TimeStamp",
        "X-WOPI-ClientVersion",
        "X-WOPI-CorrelationId",
        "X-WOPI-SessionId",
        "X-WOPI-MachineName",
    ] {
        assert!(h(name).is_some_and(|v| !v.is_empty()), "{name} missing");
    }
    assert_eq!(req.url.query(), Some(format!("access_token={TOKEN}").as_str()));
    assert_eq!(&req.body[..], b"data");
    // The transcript keeps the headers but not the secrets.
    let transcript = c.take_transcript();
    assert_token_absent(&transcript[0]);
    let proof = transcript[0]
        .request
        .headers
        .iter()
        .find(|(n, _)| n == "X-WOPI-Proof")
        .expect("recorded");
    assert_eq!(proof.1, "[redacted]");
}

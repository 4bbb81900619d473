//! Proof timestamps relative to now, against the in-process reference host: what `suites/proof-rotation.xml`
//! cannot say yet, because `<ProofKey Timestamp>` is an absolute date.
//!
//! `online/scenarios/proofkeys.rst`: the host must 'Ensure that the X-WOPI-TimeStamp header is no more than 20
//! minutes old' and 'if a request is not signed properly, the host must return a 500.' Every request here is
//! validly signed over the timestamp it sends; only the age differs. The boundaries are approached to within ten
//! seconds on both sides (the host's clock and this test's are the same machine's, so ten seconds is ample).

use std::time::{Duration, SystemTime};

use http::Method;
use url::Url;
use wopi_harness::embedded::{EmbeddedOptions, EmbeddedTarget};
use wopi_mock_office::client::{ClientConfig, ProofMode, ProofSpec, RawRequest, WopiClient, WopiTarget};
use wopi_protocol::proof::Ticks;

async fn start() -> (EmbeddedTarget, WopiClient, WopiTarget) {
    let host = EmbeddedTarget::start(EmbeddedOptions::default())
        .await
        .expect("embedded host starts");
    let client = host.mock().client(ClientConfig::default()).expect("client");
    let file = host.provisioner().fresh_file().await.expect("fresh file");
    let target = WopiTarget::new(Url::parse(&file.wopisrc).expect("WOPISrc"), file.access_token);
    (host, client, target)
}

async fn check_file_info_status(client: &WopiClient, target: &WopiTarget, proof: ProofSpec) -> u16 {
    let req = RawRequest::to_target("CheckFileInfo", Method::GET, target, "").proof(proof);
    client.send(req).await.expect("the host answers").status
}

fn in_future(by: Duration) -> Ticks {
    Ticks::from_system_time(SystemTime::now() + by)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stamps_just_inside_twenty_minutes_pass_and_just_outside_fail() {
    let (host, client, target) = start().await;
    let just_under = Duration::from_secs(20 * 60 - 10);
    let just_over = Duration::from_secs(20 * 60 + 10);
    for mode in [
        ProofMode::Valid,
        ProofMode::Ahead,
        ProofMode::Behind,
        ProofMode::OldInvalid,
    ] {
        assert_eq!(
            check_file_info_status(&client, &target, ProofSpec::mode(mode.clone()).aged(just_under)).await,
            200,
            "{mode:?}: a stamp 19 min 50 s old is no more than 20 minutes old"
        );
        assert_eq!(
            check_file_info_status(&client, &target, ProofSpec::mode(mode.clone()).aged(just_over)).await,
            500,
            "{mode:?}: a stamp 20 min 10 s old is more than 20 minutes old"
        );
    }
    host.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn future_stamps_within_clock_skew_pass_and_far_ones_fail() {
    let (host, client, target) = start().await;
    assert_eq!(
        check_file_info_status(
            &client,
            &target,
            ProofSpec::valid().at(in_future(Duration::from_secs(60)))
        )
        .await,
        200,
        "a minute of clock skew is not a forged request"
    );
    assert_eq!(
        check_file_info_status(
            &client,
            &target,
            ProofSpec::valid().at(in_future(Duration::from_secs(60 * 60)))
        )
        .await,
        500,
        "an hour ahead would stay 'not old' long after it was captured"
    );
    host.shutdown().await;
}

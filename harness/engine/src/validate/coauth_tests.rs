//! The coauth-table checks of the validator's CoauthLocks cases (cspp-plus.md §6.4, §6.5), proven on synthetic
//! answers against the cases' own validators (TestCases.xml, read in place): a correct answer passes, and each
//! wrong one (an extra row member, a wrong metadata, a stale table where the version matched, a version that did
//! not change, a missing version header) fails naming the rule.

use std::sync::OnceLock;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::*;
use crate::suite::{self, Request, Suite, TestCase};

fn core() -> &'static Suite {
    static CORE: OnceLock<Suite> = OnceLock::new();
    CORE.get_or_init(|| {
        let p = suite::validator_dir().join("TestCases.xml");
        suite::load(&p).unwrap_or_else(|e| panic!("these tests read the validator's TestCases.xml: {e}"))
    })
}

fn request(case: &str, n: usize) -> (&'static TestCase, &'static Request) {
    let c = core()
        .cases()
        .map(|(_, c)| c)
        .find(|c| c.name == case)
        .unwrap_or_else(|| panic!("no case {case}"));
    (c, c.all_requests().nth(n).expect("request"))
}

/// All validators of request `n` of `case` on a 200 answer with `headers` and `body`, the case's state `saved`.
fn judge(case: &str, n: usize, headers: &[(&str, &str)], body: &str, saved: &[(&str, &str)]) -> Vec<String> {
    static SCHEMAS: OnceLock<SchemaStore> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| SchemaStore::load(&suite::validator_dir().join("JsonSchemas")));
    let (_, r) = request(case, n);
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).expect("name"),
            HeaderValue::from_str(v).expect("value"),
        );
    }
    h.append("content-length", HeaderValue::from(body.len()));
    let mut state = State::new();
    for (k, v) in saved {
        state.set(*k, Some((*v).to_string()));
    }
    let ctx = Context {
        label: "L",
        state: &state,
        suite: core(),
        schemas,
        now_ms: 1_780_000_000_000,
    };
    let view = ResponseView {
        status: 200,
        headers: &h,
        body: body.as_bytes(),
        binary: false,
    };
    check_response(r.validators.as_deref(), &view, &ctx)
        .into_iter()
        .map(|f| {
            format!(
                "{} | {} | {} | {}",
                f.check,
                f.expected,
                f.actual,
                f.rule.unwrap_or_default()
            )
        })
        .collect()
}

fn row(id: &str, metadata: &str, kind: &str) -> String {
    format!(
        r#"{{"CoauthLockId":"{id}","CoauthLockMetadata":"{metadata}","CoauthLockType":"{kind}","UserFriendlyName":"Validator User","CoauthLockTime":1780000000000}}"#
    )
}

fn table(rows: &[String]) -> String {
    format!(r#"{{"CoauthTable":[{}]}}"#, rows.join(","))
}

fn has(failures: &[String], needle: &str) -> bool {
    failures.iter().any(|f| f.contains(needle))
}

const SINGLE: &str = "CoauthLock.SingleLockInCoauthTable";

#[test]
fn get_coauth_table_rows_are_compared_deeply_with_wildcards() {
    let tv = [("X-WOPI-CoauthTableVersion", "3")];
    let good = table(&[row("Client1", "SingleLockInCoauthTable", "Coauth")]);
    assert_eq!(judge(SINGLE, 1, &tv, &good, &[]), Vec::<String>::new());
    // UserFriendlyName and CoauthLockTime are wildcards: any value passes.
    let other_user = good.replace("Validator User", "Someone").replace("1780000000000", "5");
    assert_eq!(judge(SINGLE, 1, &tv, &other_user, &[]), Vec::<String>::new());
    // A wildcard member must still be there.
    let no_time = good.replace(r#","CoauthLockTime":1780000000000"#, "");
    assert!(has(
        &judge(SINGLE, 1, &tv, &no_time, &[]),
        "ResponseBodyProperty CoauthTable"
    ));
    // An extra member (an expiry time) fails the deep comparison.
    let extra = good.replace(r#""CoauthLockTime""#, r#""ExpirationTime":1,"CoauthLockTime""#);
    assert!(has(
        &judge(SINGLE, 1, &tv, &extra, &[]),
        "ResponseBodyProperty CoauthTable"
    ));
    // A wrong metadata, a wrong type.
    let wrong = table(&[row("Client1", "other", "Coauth")]);
    assert!(has(
        &judge(SINGLE, 1, &tv, &wrong, &[]),
        "CoauthTable must equal the expected value"
    ));
    let excl = table(&[row("Client1", "SingleLockInCoauthTable", "CoauthExclusive")]);
    assert!(has(
        &judge(SINGLE, 1, &tv, &excl, &[]),
        "CoauthTable must equal the expected value"
    ));
    // No version header.
    assert!(has(
        &judge(SINGLE, 1, &[], &good, &[]),
        "the response must include X-WOPI-CoauthTableVersion"
    ));
    // A top-level member besides CoauthTable breaks CoauthTableSchema.
    let more = good.replacen('{', r#"{"Version":3,"#, 1);
    assert!(
        has(&judge(SINGLE, 1, &tv, &more, &[]), "JsonSchemaValidator"),
        "{:#?}",
        judge(SINGLE, 1, &tv, &more, &[])
    );
}

#[test]
fn rows_may_come_in_any_order_but_must_all_be_there() {
    let case = "CoauthLock.MultipleLocksInCoauthTable";
    let n = core()
        .cases()
        .find(|(_, c)| c.name == case)
        .map(|(_, c)| c.all_requests().count())
        .expect("case")
        - 1;
    let tv = [("X-WOPI-CoauthTableVersion", "4")];
    let (c1, c2) = (
        row("Client1", "MultipleLocksInCoauthTable1", "Coauth"),
        row("Client2", "MultipleLocksInCoauthTable2", "Coauth"),
    );
    let ok = judge(case, n, &tv, &table(&[c2.clone(), c1.clone()]), &[]);
    assert_eq!(
        ok,
        Vec::<String>::new(),
        "rows in reverse order; check the case's metadata: {ok:#?}"
    );
    assert!(has(&judge(case, n, &tv, &table(&[c1]), &[]), "CoauthTable"));
}

#[test]
fn a_matching_table_version_gets_an_empty_body_and_the_same_version() {
    let case = "CoauthLock.SingleLockInCoauthTable.GetCoauthTableWithSameVersionAsHost";
    let saved = [("CoauthTableVersionStateOverride", "7")];
    assert_eq!(
        judge(case, 1, &[("X-WOPI-CoauthTableVersion", "7")], "", &saved),
        Vec::<String>::new()
    );
    // The table sent again although the client's version is current.
    let stale = table(&[row("Client1", "SingleLockInCoauthTable", "Coauth")]);
    assert!(has(
        &judge(case, 1, &[("X-WOPI-CoauthTableVersion", "7")], &stale, &saved),
        "JsonResponseContentValidator"
    ));
    // Another version.
    assert!(has(
        &judge(case, 1, &[("X-WOPI-CoauthTableVersion", "8")], "", &saved),
        "must be '7'"
    ));
}

#[test]
fn the_table_version_changes_with_the_metadata_and_only_then() {
    let with = "CoauthLock.RefreshCoauthLockWithMetadata";
    let body = table(&[row("Client1", "RefreshCoauthLockWithMetadata2", "Coauth")]);
    let saved = [("CoauthTableVersionStateOverride", "5")];
    assert_eq!(
        judge(with, 1, &[("X-WOPI-CoauthTableVersion", "6")], &body, &saved),
        Vec::<String>::new()
    );
    assert!(has(
        &judge(with, 1, &[("X-WOPI-CoauthTableVersion", "5")], &body, &saved),
        "must differ from '5'"
    ));
    let without = "CoauthLock.RefreshCoauthLockWithoutMetadata";
    let body = table(&[row("Client1", "RefreshCoauthLockWithoutMetadata", "Coauth")]);
    let ok = judge(without, 1, &[("X-WOPI-CoauthTableVersion", "5")], &body, &saved);
    assert_eq!(ok, Vec::<String>::new());
    assert!(has(
        &judge(without, 1, &[("X-WOPI-CoauthTableVersion", "6")], &body, &saved),
        "must be '5'"
    ));
    // Metadata replaced although the refresh sent none.
    let changed = table(&[row("Client1", "", "Coauth")]);
    assert!(has(
        &judge(without, 1, &[("X-WOPI-CoauthTableVersion", "5")], &changed, &saved),
        "CoauthTable"
    ));
}

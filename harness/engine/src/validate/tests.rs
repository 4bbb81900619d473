//! One test (or more) per validator element, with hand-made responses.

use std::path::Path;

use http::{HeaderMap, HeaderName, HeaderValue};

use super::*;
use crate::suite::{self, Step, Suite};

/// A suite whose single request carries `validators` (the inside of `<Validators>`, or `None` for no element).
fn suite_with(validators: Option<&str>) -> Suite {
    let v = validators
        .map(|v| format!("<Validators>{v}</Validators>"))
        .unwrap_or_default();
    let text = format!(
        r#"<WopiValidation xmlns:ext="{}">
  <Resources><File Id="WordSimpleDocument" Name="WordSimpleDocument.docx" FilePath="Resources\WordSimpleDocument.docx" /></Resources>
  <TestGroup Name="G"><TestCases>
    <TestCase Name="C" Category="WopiCore"><Description>d</Description>
      <Requests><CheckFileInfo>{v}</CheckFileInfo></Requests>
    </TestCase>
  </TestCases></TestGroup>
</WopiValidation>"#,
        suite::EXT_NS
    );
    suite::parse_str(&text, Path::new("t.xml"), "t".into()).unwrap()
}

fn validators(s: &Suite) -> Option<&[Validator]> {
    let Step::Request(r) = &s.groups[0].cases[0].requests[0] else {
        panic!("not a request")
    };
    r.validators.as_deref()
}

struct Resp {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
    binary: bool,
}

fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Resp {
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    Resp {
        status,
        headers: h,
        body: body.as_bytes().to_vec(),
        binary: false,
    }
}

fn run_with_state(validators_xml: Option<&str>, r: &Resp, state: &State) -> Vec<Failure> {
    let s = suite_with(validators_xml);
    let schemas = SchemaStore::load(&crate::suite::validator_dir().join("JsonSchemas"));
    let ctx = Context {
        label: "CheckFileInfo",
        state,
        suite: &s,
        schemas: &schemas,
        now_ms: 1_780_000_000_000,
    };
    let view = ResponseView {
        status: r.status,
        headers: &r.headers,
        body: &r.body,
        binary: r.binary,
    };
    check_response(validators(&s), &view, &ctx)
}

fn run(validators_xml: Option<&str>, r: &Resp) -> Vec<Failure> {
    run_with_state(validators_xml, r, &State::new())
}

fn one(f: Vec<Failure>) -> Failure {
    assert_eq!(f.len(), 1, "expected one failure, got {f:#?}");
    f.into_iter().next().unwrap()
}

// --- implicit checks ---

#[test]
fn no_validators_element_means_status_must_be_200() {
    assert!(run(None, &resp(200, &[], "")).is_empty());
    let f = one(run(None, &resp(404, &[], "")));
    assert_eq!(f.check, "ResponseCodeValidator");
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("status 200", "status 404"));
    assert_eq!(f.request, "CheckFileInfo");
}

#[test]
fn an_empty_validators_element_drops_the_status_check() {
    assert!(run(Some(""), &resp(500, &[], "")).is_empty());
}

#[test]
fn content_length_is_always_checked() {
    let f = one(run(Some(""), &resp(200, &[("Content-Length", "10")], "abc")));
    assert_eq!(f.check, "ContentLengthValidator");
    assert_eq!(
        (f.expected.as_str(), f.actual.as_str()),
        ("10 bytes (Content-Length)", "3 bytes")
    );
    assert!(run(Some(""), &resp(200, &[("Content-Length", "3")], "abc")).is_empty());
    // The engine aborts the run on an unparseable value; we fail the request.
    assert_eq!(
        one(run(Some(""), &resp(200, &[("Content-Length", "x")], "abc"))).check,
        "ContentLengthValidator"
    );
}

// --- ResponseCodeValidator ---

#[test]
fn response_code_compares_exactly() {
    let v = r#"<ResponseCodeValidator ExpectedCode="409"/>"#;
    assert!(run(Some(v), &resp(409, &[], "")).is_empty());
    let f = one(run(Some(v), &resp(200, &[], "")));
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("status 409", "status 200"));
}

// --- ResponseHeaderValidator ---

#[test]
fn header_missing_fails_only_when_required() {
    let v = r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" IsRequired="true"/>"#;
    let f = one(run(Some(v), &resp(200, &[], "")));
    assert_eq!(f.check, "ResponseHeaderValidator X-WOPI-ItemVersion");
    assert_eq!(f.actual, "header absent");
    // IsRequired defaults to false (engine), whatever the expected value says.
    assert!(
        run(
            Some(r#"<ResponseHeaderValidator Header="X-WOPI-Lock" ExpectedValue="A"/>"#),
            &resp(200, &[], "")
        )
        .is_empty()
    );
}

#[test]
fn header_values_compare_ignoring_case_and_names_too() {
    let v = r#"<ResponseHeaderValidator Header="x-wopi-lock" ExpectedValue="LockA" IsRequired="true"/>"#;
    assert!(run(Some(v), &resp(200, &[("X-WOPI-Lock", "locka")], "")).is_empty());
    let f = one(run(Some(v), &resp(200, &[("X-WOPI-Lock", "LockB")], "")));
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("'LockA'", "'LockB'"));
}

#[test]
fn header_case_sensitive_compares_byte_for_byte() {
    let v = r#"<ResponseHeaderValidator Header="x-wopi-lock" ExpectedValue="LockA" IsRequired="true" ext:CaseSensitive="true"/>"#;
    // Header names still match ignoring case; only the value is exact.
    assert!(run(Some(v), &resp(200, &[("X-WOPI-Lock", "LockA")], "")).is_empty());
    let f = one(run(Some(v), &resp(200, &[("X-WOPI-Lock", "locka")], "")));
    assert_eq!(f.check, "ResponseHeaderValidator x-wopi-lock ext:CaseSensitive");
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("'LockA'", "'locka'"));
    assert!(
        f.rule.as_deref().unwrap_or_default().contains("compared exactly"),
        "{f:?}"
    );
    // ShouldMatch="false" with exact comparison: a value differing only in case is a different value.
    let v = r#"<ResponseHeaderValidator Header="X-WOPI-Lock" ExpectedValue="LockA" ShouldMatch="false" ext:CaseSensitive="true"/>"#;
    assert!(run(Some(v), &resp(200, &[("X-WOPI-Lock", "LOCKA")], "")).is_empty());
    assert_eq!(
        one(run(Some(v), &resp(200, &[("X-WOPI-Lock", "LockA")], ""))).expected,
        "anything but 'LockA'"
    );
}

#[test]
fn header_should_not_match_and_non_empty_rules() {
    let v = r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedValue="v1" ShouldMatch="false"/>"#;
    assert!(run(Some(v), &resp(200, &[("X-WOPI-ItemVersion", "v2")], "")).is_empty());
    assert_eq!(
        one(run(Some(v), &resp(200, &[("X-WOPI-ItemVersion", "V1")], ""))).expected,
        "anything but 'v1'"
    );
    let v = r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedValue="" ShouldMatch="false"/>"#;
    assert_eq!(
        one(run(Some(v), &resp(200, &[("X-WOPI-ItemVersion", "")], ""))).expected,
        "any non-empty value"
    );
}

#[test]
fn header_expected_value_comes_from_state_when_saved() {
    let v = r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" ExpectedStateKey="OriginalVersion" ExpectedValue="ignored"/>"#;
    let mut state = State::new();
    state.set("OriginalVersion", Some("7".into()));
    assert!(run_with_state(Some(v), &resp(200, &[("X-WOPI-ItemVersion", "7")], ""), &state).is_empty());
    let f = one(run_with_state(
        Some(v),
        &resp(200, &[("X-WOPI-ItemVersion", "8")], ""),
        &state,
    ));
    assert_eq!(f.expected, "'7'");
}

#[test]
fn numeric_comparators_parse_32_bit_integers() {
    let v = r#"<ResponseHeaderValidator Header="X-WOPI-SequenceNumber" ExpectedStateKey="Seq" Comparator="&gt;"/>"#;
    let mut state = State::new();
    state.set("Seq", Some("5".into()));
    assert!(run_with_state(Some(v), &resp(200, &[("X-WOPI-SequenceNumber", " 6 ")], ""), &state).is_empty());
    let f = one(run_with_state(
        Some(v),
        &resp(200, &[("X-WOPI-SequenceNumber", "5")], ""),
        &state,
    ));
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("> 5", "5"));
    // A state key never saved: the comparison cannot be made, which fails.
    let f = one(run(Some(v), &resp(200, &[("X-WOPI-SequenceNumber", "5")], "")));
    assert!(f.expected.contains("no expected value"), "{f:?}");
}

// --- LockMismatchValidator ---

#[test]
fn lock_mismatch_needs_409_and_the_current_lock() {
    let v = r#"<LockMismatchValidator ExpectedLock="LockA"/>"#;
    assert!(run(Some(v), &resp(409, &[("X-WOPI-Lock", "LockA")], "")).is_empty());
    let f = one(run(Some(v), &resp(409, &[], "")));
    assert_eq!(f.check, "LockMismatchValidator X-WOPI-Lock");
    assert_eq!(
        (f.expected.as_str(), f.actual.as_str()),
        ("header X-WOPI-Lock present", "header absent")
    );
    let f = run(Some(v), &resp(200, &[("X-WOPI-Lock", "LockB")], ""));
    assert_eq!(f.len(), 2, "{f:#?}");
    assert_eq!(
        (f[0].expected.as_str(), f[0].actual.as_str()),
        ("status 409", "status 200")
    );
    assert_eq!((f[1].expected.as_str(), f[1].actual.as_str()), ("'LockA'", "'LockB'"));
}

#[test]
fn lock_mismatch_with_empty_expected_lock_allows_absent_or_empty_header() {
    let v = r#"<LockMismatchValidator ExpectedLock=""/>"#;
    assert!(run(Some(v), &resp(409, &[], "")).is_empty());
    assert!(run(Some(v), &resp(409, &[("X-WOPI-Lock", "")], "")).is_empty());
    assert_eq!(
        one(run(Some(v), &resp(409, &[("X-WOPI-Lock", "Other")], ""))).actual,
        "'Other'"
    );
}

// --- JsonResponseContentValidator ---

fn jv(props: &str) -> String {
    format!("<JsonResponseContentValidator>{props}</JsonResponseContentValidator>")
}

#[test]
fn json_body_must_exist_and_be_an_object() {
    let v = jv(r#"<BooleanProperty Name="A"/>"#);
    assert_eq!(one(run(Some(&v), &resp(200, &[], ""))).actual, "no body");
    assert!(
        one(run(Some(&v), &resp(200, &[], "<html>")))
            .actual
            .starts_with("not JSON")
    );
    assert_eq!(one(run(Some(&v), &resp(200, &[], "[1]"))).actual, "a JSON Array");
    let none = r#"<JsonResponseContentValidator ShouldExist="false"/>"#;
    assert!(run(Some(none), &resp(200, &[], "")).is_empty());
    assert_eq!(one(run(Some(none), &resp(200, &[], "{}"))).expected, "no body");
}

#[test]
fn lenient_json_bodies_are_accepted_as_the_engine_does() {
    let v = jv(r#"<StringProperty Name="A" ExpectedValue="x" IsRequired="true"/>"#);
    assert!(run(Some(&v), &resp(200, &[], "{ A: 'x' }")).is_empty());
}

#[test]
fn boolean_property_rules() {
    let v = jv(r#"<BooleanProperty Name="UserCanWrite" ExpectedValue="true" IsRequired="true"/>"#);
    assert!(run(Some(&v), &resp(200, &[], r#"{"UserCanWrite": true}"#)).is_empty());
    // Convert.ChangeType leniency: the string "true" passes.
    assert!(run(Some(&v), &resp(200, &[], r#"{"UserCanWrite": "true"}"#)).is_empty());
    let f = one(run(Some(&v), &resp(200, &[], r#"{"UserCanWrite": false}"#)));
    assert_eq!(
        (f.check.as_str(), f.expected.as_str(), f.actual.as_str()),
        ("BooleanProperty UserCanWrite", "true", "false")
    );
    assert!(
        one(run(Some(&v), &resp(200, &[], r#"{}"#)))
            .rule
            .unwrap()
            .contains("required")
    );
    // A wrong JSON type (the engine aborts the run with InvalidCastException) fails this request.
    let f = one(run(Some(&v), &resp(200, &[], r#"{"UserCanWrite": {"a": 1}}"#)));
    assert_eq!(f.expected, "a boolean");
}

#[test]
fn missing_optional_property_passes_even_with_an_expected_value() {
    let v = jv(r#"<BooleanProperty Name="SupportsContainers" ExpectedValue="false"/>"#);
    for body in [
        r#"{}"#,
        r#"{"SupportsContainers": null}"#,
        r#"{"SupportsContainers": ""}"#,
    ] {
        assert!(run(Some(&v), &resp(200, &[], body)).is_empty(), "{body}");
    }
    assert_eq!(
        one(run(Some(&v), &resp(200, &[], r#"{"SupportsContainers": true}"#))).actual,
        "true"
    );
}

#[test]
fn integer_and_long_properties() {
    let v = jv(r#"<IntegerProperty Name="Size" ExpectedValue="5" IsRequired="true"/>"#);
    assert!(run(Some(&v), &resp(200, &[], r#"{"Size": 5}"#)).is_empty());
    assert!(run(Some(&v), &resp(200, &[], r#"{"Size": "5"}"#)).is_empty());
    assert_eq!(one(run(Some(&v), &resp(200, &[], r#"{"Size": 6}"#))).actual, "6");
    assert_eq!(
        one(run(Some(&v), &resp(200, &[], r#"{"Size": 99999999999}"#))).expected,
        "a 32-bit integer"
    );
    let ts = jv(r#"<LongProperty Name="ServerTime" IsRequired="true"/>"#);
    assert!(run(Some(&ts), &resp(200, &[], r#"{"ServerTime": 1780000000000}"#)).is_empty());
    // Seconds instead of milliseconds: out of the ±10-year window.
    let f = one(run(Some(&ts), &resp(200, &[], r#"{"ServerTime": 1780000000}"#)));
    assert_eq!(f.expected, "Unix milliseconds within 10 years of now");
}

#[test]
fn string_property_case_and_ends_with() {
    let v = jv(r#"<StringProperty Name="BaseFileName" EndsWith=".wopitest" IsRequired="true" IgnoreCase="true"/>"#);
    assert!(run(Some(&v), &resp(200, &[], r#"{"BaseFileName": "A.WOPITEST"}"#)).is_empty());
    let f = one(run(Some(&v), &resp(200, &[], r#"{"BaseFileName": "a.docx"}"#)));
    assert_eq!(
        (f.expected.as_str(), f.actual.as_str()),
        ("a value ending with '.wopitest'", "'a.docx'")
    );
    let exact = jv(r#"<StringProperty Name="Name" ExpectedValue="Abc" IsRequired="true"/>"#);
    assert_eq!(
        one(run(Some(&exact), &resp(200, &[], r#"{"Name": "abc"}"#))).actual,
        "'abc'"
    );
}

#[test]
fn string_property_from_state() {
    let v = jv(r#"<StringProperty Name="Version" ExpectedStateKey="V" IsRequired="true"/>"#);
    let mut state = State::new();
    state.set("V", Some("v9".into()));
    assert!(run_with_state(Some(&v), &resp(200, &[], r#"{"Version": "v9"}"#), &state).is_empty());
    assert_eq!(
        one(run_with_state(
            Some(&v),
            &resp(200, &[], r#"{"Version": "v1"}"#),
            &state
        ))
        .expected,
        "'v9'"
    );
}

#[test]
fn string_property_differs_from_state() {
    let v = jv(r#"<StringProperty Name="Version" IsRequired="true" ext:DiffersFromState="V0"/>"#);
    let mut state = State::new();
    state.set("V0", Some("v1".into()));
    assert!(run_with_state(Some(&v), &resp(200, &[], r#"{"Version": "v2"}"#), &state).is_empty());
    let f = one(run_with_state(
        Some(&v),
        &resp(200, &[], r#"{"Version": "v1"}"#),
        &state,
    ));
    assert_eq!(
        (f.expected.as_str(), f.actual.as_str()),
        ("anything but 'v1' (saved as 'V0')", "'v1'")
    );
    // Compared exactly unless IgnoreCase says otherwise.
    assert!(run_with_state(Some(&v), &resp(200, &[], r#"{"Version": "V1"}"#), &state).is_empty());
    let ci = jv(r#"<StringProperty Name="Version" IgnoreCase="true" ext:DiffersFromState="V0"/>"#);
    assert_eq!(
        one(run_with_state(
            Some(&ci),
            &resp(200, &[], r#"{"Version": "V1"}"#),
            &state
        ))
        .actual,
        "'V1'"
    );
    // Nothing saved: the comparison cannot be made, which fails rather than passing silently.
    let f = one(run(Some(&v), &resp(200, &[], r#"{"Version": "v2"}"#)));
    assert!(f.actual.contains("nothing saved under 'V0'"), "{f:?}");
    // A required property that is absent fails as usual.
    assert_eq!(
        one(run_with_state(Some(&v), &resp(200, &[], "{}"), &state)).expected,
        "property Version present"
    );
}

#[test]
fn string_regex_property_fails_present_null_even_when_optional() {
    let v = jv(
        r#"<StringRegexProperty Name="CloseUrl" ExpectedValue="^https:\/\/.*?\.officeapps(-df)?\.live\.com.+" ShouldMatch="false"/>"#,
    );
    assert!(run(Some(&v), &resp(200, &[], r#"{}"#)).is_empty());
    assert!(
        run(
            Some(&v),
            &resp(200, &[], r#"{"CloseUrl": "https://host.example/close"}"#)
        )
        .is_empty()
    );
    assert!(
        one(run(Some(&v), &resp(200, &[], r#"{"CloseUrl": null}"#)))
            .rule
            .unwrap()
            .contains("when present")
    );
    let f = one(run(
        Some(&v),
        &resp(200, &[], r#"{"CloseUrl": "https://x.officeapps.live.com/c"}"#),
    ));
    assert!(f.expected.starts_with("a value not matching"), "{f:?}");
    let req = jv(
        r#"<StringRegexProperty Name="BaseFileName" ExpectedValue="^\..*$" ShouldMatch="false" IsRequired="true"/>"#,
    );
    assert!(
        one(run(Some(&req), &resp(200, &[], r#"{}"#)))
            .rule
            .unwrap()
            .contains("required")
    );
}

#[test]
fn absolute_url_property() {
    let v = jv(r#"<AbsoluteUrlProperty Name="FileUrl" IsRequired="true" MustIncludeAccessToken="true"/>"#);
    assert!(
        run(
            Some(&v),
            &resp(200, &[], r#"{"FileUrl": "https://h/f?access_token=abc"}"#)
        )
        .is_empty()
    );
    let f = one(run(Some(&v), &resp(200, &[], r#"{"FileUrl": "/relative"}"#)));
    assert_eq!(f.expected, "an absolute URL");
    let f = one(run(Some(&v), &resp(200, &[], r#"{"FileUrl": "https://h/f"}"#)));
    assert_eq!(f.expected, "a URL with an access_token query parameter");
}

#[test]
fn array_properties() {
    let v = jv(r#"<ArrayProperty Name="SupportedShareUrlTypes" ContainsValue="ReadOnly" IsRequired="true"/>"#);
    assert!(run(Some(&v), &resp(200, &[], r#"{"SupportedShareUrlTypes": ["readonly"]}"#)).is_empty());
    assert!(
        one(run(Some(&v), &resp(200, &[], r#"{"SupportedShareUrlTypes": []}"#)))
            .rule
            .unwrap()
            .contains("required")
    );
    assert!(
        one(run(
            Some(&v),
            &resp(200, &[], r#"{"SupportedShareUrlTypes": ["ReadWrite"]}"#)
        ))
        .expected
        .contains("ReadOnly")
    );
    assert_eq!(
        one(run(
            Some(&v),
            &resp(200, &[], r#"{"SupportedShareUrlTypes": "ReadOnly"}"#)
        ))
        .actual,
        "a String"
    );
    let len = jv(r#"<ArrayLengthProperty Name="Children" ExpectedValue="2" IsRequired="true"/>"#);
    assert!(run(Some(&len), &resp(200, &[], r#"{"Children": [1, 2]}"#)).is_empty());
    assert_eq!(
        one(run(Some(&len), &resp(200, &[], r#"{"Children": [1]}"#))).actual,
        "1 elements"
    );
    assert_eq!(
        one(run(Some(&len), &resp(200, &[], r#"{"Children": 1}"#))).expected,
        "an array"
    );
}

#[test]
fn json_path_names_select_nested_values() {
    let v = jv(r#"<StringProperty Name="ActivityResponses[0].Status" ExpectedValue="Success" IsRequired="true"/>"#);
    assert!(
        run(
            Some(&v),
            &resp(200, &[], r#"{"ActivityResponses": [{"Status": "Success"}]}"#)
        )
        .is_empty()
    );
    assert!(!run(Some(&v), &resp(200, &[], r#"{"ActivityResponses": []}"#)).is_empty());
}

#[test]
fn response_body_property_with_wildcards_and_any_order() {
    let v = jv(
        r#"<ResponseBodyProperty Name="CoauthTable" IsRequired="true" ExpectedValue="[{CoauthLockId:'Client1', ExpirationTime:'*'},{CoauthLockId:'Client2', ExpirationTime:'*'}]"/>"#,
    );
    let ok = r#"{"CoauthTable": [{"CoauthLockId": "Client2", "ExpirationTime": 9}, {"CoauthLockId": "Client1", "ExpirationTime": 5}]}"#;
    assert!(run(Some(&v), &resp(200, &[], ok)).is_empty());
    let bad = r#"{"CoauthTable": [{"CoauthLockId": "Client3", "ExpirationTime": 9}, {"CoauthLockId": "Client1", "ExpirationTime": 5}]}"#;
    assert_eq!(
        one(run(Some(&v), &resp(200, &[], bad))).check,
        "ResponseBodyProperty CoauthTable"
    );
}

// --- JsonSchemaValidator ---

#[test]
fn json_schema_validator_reports_schema_errors() {
    let v = r#"<JsonSchemaValidator Schema="CsppCheckFileInfoSchema"/>"#;
    let good = r#"{"BaseFileName": "a.wopitest", "OwnerId": "o", "Size": 3, "UserId": "u", "Version": "1"}"#;
    assert!(run(Some(v), &resp(200, &[], good)).is_empty());
    let f = one(run(
        Some(v),
        &resp(
            200,
            &[],
            r#"{"BaseFileName": "a.wopitest", "OwnerId": "o", "Size": "3", "UserId": "u", "Version": "1"}"#,
        ),
    ));
    assert!(f.actual.contains("#/Size"), "{f:?}");
    assert_eq!(one(run(Some(v), &resp(200, &[], ""))).actual, "an empty body");
}

// --- ResponseContentValidator ---

#[test]
fn response_content_compares_with_the_fake_resource_bytes() {
    let v = r#"<ResponseContentValidator ExpectedResourceId="WordSimpleDocument"/>"#;
    let body = r"WordSimpleDocumentResources\WordSimpleDocument.docxWordSimpleDocument.docx";
    assert_eq!(body.len(), 74);
    let mut r = resp(200, &[], body);
    r.binary = true;
    assert!(run(Some(v), &r).is_empty());
    let mut r = resp(200, &[], "other");
    r.binary = true;
    let f = one(run(Some(v), &r));
    assert_eq!(f.expected, "the bytes of resource WordSimpleDocument (74 bytes)");
    assert!(f.actual.starts_with("5 bytes"), "{f:?}");
}

// --- Or / And / severity ---

#[test]
fn or_passes_when_any_child_passes_and_reports_all_otherwise() {
    let v = r#"<Or><ResponseCodeValidator ExpectedCode="401"/><ResponseCodeValidator ExpectedCode="404"/></Or>"#;
    assert!(run(Some(v), &resp(404, &[], "")).is_empty());
    let f = one(run(Some(v), &resp(200, &[], "")));
    assert_eq!(f.check, "Or");
    assert_eq!(
        f.expected,
        "ResponseCodeValidator: status 401 OR ResponseCodeValidator: status 404"
    );
}

#[test]
fn and_requires_every_child() {
    let v = r#"<And><ResponseCodeValidator ExpectedCode="200"/><ResponseHeaderValidator Header="X" IsRequired="true"/></And>"#;
    assert!(run(Some(v), &resp(200, &[("X", "1")], "")).is_empty());
    assert_eq!(run(Some(v), &resp(500, &[], "")).len(), 2);
}

#[test]
fn should_severity_marks_failures_as_should_only() {
    let v = r#"<ResponseHeaderValidator Header="X-WOPI-ItemVersion" IsRequired="true" ext:Severity="Should"/>"#;
    let f = one(run(Some(v), &resp(200, &[], "")));
    assert!(f.should_only);
}

#[test]
fn no_null_properties_reports_every_null_as_a_warning() {
    let body = r#"{"BaseFileName":"a.docx","CloseUrl":null,"Nested":{"Items":[1,null]},"Empty":""}"#;
    // Without the opt-in the engine's rules hold: an unchecked null is fine.
    assert!(run(Some("<JsonResponseContentValidator/>"), &resp(200, &[], body)).is_empty());
    let v = r#"<JsonResponseContentValidator ext:NoNullProperties="true"/>"#;
    let f = one(run(Some(v), &resp(200, &[], body)));
    assert_eq!(f.check, "JsonResponseContentValidator ext:NoNullProperties");
    assert_eq!(f.actual, "null: CloseUrl, Nested.Items[1]");
    assert!(f.should_only, "a SHOULD of the docs is a warning");
    // An empty string, false or 0 is not null.
    assert!(
        run(
            Some(v),
            &resp(200, &[], r#"{"CloseUrl":"","UserCanWrite":false,"Size":0,"A":[]}"#)
        )
        .is_empty()
    );
    let err = suite::parse_str(
        &format!(
            r#"<WopiValidation xmlns:ext="{}"><TestGroup Name="G"><TestCases><TestCase Name="C" Category="WopiCore">
               <Description>d</Description><Requests><CheckFileInfo><Validators>
               <JsonResponseContentValidator ext:NoNullProperties="yes"/></Validators></CheckFileInfo></Requests>
               </TestCase></TestCases></TestGroup></WopiValidation>"#,
            suite::EXT_NS
        ),
        Path::new("t.xml"),
        "t".into(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("is not a boolean"), "{err}");
}

#[test]
fn header_absent_fails_when_the_header_is_sent() {
    let v = r#"<ResponseHeaderValidator Header="x-wopi-lock" ext:Absent="true" ext:Severity="Should"/>"#;
    assert!(run(Some(v), &resp(200, &[], "")).is_empty());
    let f = one(run(Some(v), &resp(200, &[("X-WOPI-Lock", "L1")], "")));
    assert_eq!(f.check, "ResponseHeaderValidator x-wopi-lock ext:Absent");
    assert_eq!(f.actual, "'L1'");
    assert!(f.should_only);
    // An empty value is still the header being included.
    assert_eq!(one(run(Some(v), &resp(200, &[("X-WOPI-Lock", "")], ""))).actual, "''");
    // Without ext:Severity it is a requirement.
    let must = r#"<ResponseHeaderValidator Header="X-WOPI-Lock" ext:Absent="true"/>"#;
    assert!(!one(run(Some(must), &resp(200, &[("X-WOPI-Lock", "L1")], ""))).should_only);
    // ext:Absent="false" is the plain validator.
    let plain = r#"<ResponseHeaderValidator Header="X-WOPI-Lock" ext:Absent="false"/>"#;
    assert!(run(Some(plain), &resp(200, &[("X-WOPI-Lock", "L1")], "")).is_empty());
}

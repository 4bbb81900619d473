use super::*;

fn validator_file(name: &str) -> PathBuf {
    validator_dir().join(name)
}

fn parse(text: &str) -> Result<Suite, SuiteError> {
    parse_str(text, Path::new("t.xml"), "t".into())
}

fn wrap(requests: &str) -> String {
    format!(
        r#"<WopiValidation xmlns:ext="{EXT_NS}">
  <Resources><File Id="R" Name="r.docx" FilePath="x" /></Resources>
  <TestGroup Name="G">
    <TestCases>
      <TestCase Name="C" Category="WopiCore">
        <Description>d</Description>
        <Requests>
{requests}
        </Requests>
      </TestCase>
    </TestCases>
  </TestGroup>
</WopiValidation>"#
    )
}

#[test]
fn test_cases_xml_parses_with_the_documented_counts() {
    let suite = load(&validator_file("TestCases.xml")).unwrap();
    assert_eq!(suite.name, "core");
    assert_eq!(suite.prereqs.len(), 27);
    assert_eq!(suite.groups.len(), 33);
    let cases: usize = suite.groups.iter().map(|g| g.cases.len()).sum();
    assert_eq!(cases, 224);
    let requests: usize = suite.cases().map(|(_, c)| c.requests.len()).sum();
    assert_eq!(requests, 639);
    let prereq_requests: usize = suite.prereqs.iter().map(|c| c.requests.len()).sum();
    assert_eq!(prereq_requests, 32);
    let cleanup: usize = suite.cases().map(|(_, c)| c.cleanup.len()).sum::<usize>()
        + suite.prereqs.iter().map(|c| c.cleanup.len()).sum::<usize>();
    assert_eq!(cleanup, 142);
    // Category totals from validator-semantics.md §1.2.
    let count = |cat| suite.cases().filter(|(_, c)| c.category == cat).count();
    assert_eq!(count(Category::WopiCore), 121);
    assert_eq!(count(Category::OfficeOnline), 9);
    assert_eq!(count(Category::OfficeNativeClient), 2);
    assert_eq!(count(Category::WopiCoauth), 92);
    let delay = suite.groups.iter().find(|g| g.has_delay).unwrap();
    assert_eq!(delay.name, "CoauthLockExpiration");
    let locks = suite.groups.iter().find(|g| g.name == "Locks").unwrap();
    assert_eq!(
        locks.prereqs,
        ["WopiValidatorPrereq", "FileEditingPrereq", "LocksPrereq"]
    );
}

#[test]
fn validator_counts_match_the_document() {
    fn walk(v: &[Validator], codes: &mut usize, ors: &mut usize, props: &mut usize) {
        for v in v {
            match &v.kind {
                ValidatorKind::ResponseCode { .. } => *codes += 1,
                ValidatorKind::Or(c) | ValidatorKind::And(c) => {
                    *ors += 1;
                    walk(c, codes, ors, props);
                }
                ValidatorKind::JsonContent { properties, .. } => *props += properties.len(),
                _ => {}
            }
        }
    }
    let suite = load(&validator_file("TestCases.xml")).unwrap();
    let (mut codes, mut ors, mut props) = (0, 0, 0);
    let all = suite
        .prereqs
        .iter()
        .chain(suite.groups.iter().flat_map(|g| g.cases.iter()));
    for case in all {
        for r in case.all_requests().chain(case.cleanup.iter()) {
            if let Some(v) = &r.validators {
                walk(v, &mut codes, &mut ors, &mut props);
            }
        }
    }
    assert_eq!((codes, ors, props), (381, 32, 416));
}

#[test]
fn feature_test_cases_xml_parses_with_its_aliases() {
    let suite = load(&validator_file("FeatureTestCases.xml")).unwrap();
    assert_eq!(suite.name, "feature");
    assert_eq!(suite.prereqs.len(), 1);
    assert_eq!(suite.groups.len(), 2);
    assert_eq!(suite.cases().count(), 8);
    let save_as = suite.cases().find(|(_, c)| c.name == "Feature.ExcelSaveAs").unwrap().1;
    assert!(matches!(
        save_as.requests[0],
        Step::Request(Request {
            kind: RequestKind::CheckFileInfo,
            ..
        })
    ));
    let Step::Request(put) = &save_as.requests[1] else {
        panic!("not a request")
    };
    assert!(matches!(
        &put.kind,
        RequestKind::PutRelativeFile {
            mode: Some(PutRelativeMode::ExactName),
            ..
        }
    ));
    assert_eq!(save_as.resource_id.as_deref(), Some("ExcelBlankWorkbook"));
    assert_eq!(save_as.fail_message.as_deref(), Some("Save As in Excel not available."));
    assert!(
        save_as
            .documentation_link
            .as_deref()
            .unwrap()
            .contains("putrelativefile")
    );
}

#[test]
fn missing_file_is_an_io_error() {
    let err = load(Path::new("/nonexistent/TestCases.xml")).unwrap_err();
    assert!(matches!(err, SuiteError::Io { .. }));
}

#[test]
fn malformed_xml_names_file_line_column_and_path() {
    let text = wrap("<CheckFileInfo>\n</Lock>");
    let err = parse(&text).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("t.xml:"), "{msg}");
    let SuiteError::Parse { pos, element_path, .. } = err else {
        panic!()
    };
    assert_eq!(pos.line, 9);
    assert!(element_path.ends_with("Requests/CheckFileInfo"), "{element_path}");
}

#[test]
fn unknown_request_element_says_what_was_expected() {
    let err = parse(&wrap("          <CheckFileInf />")).unwrap_err();
    let SuiteError::Parse {
        pos,
        element_path,
        message,
        ..
    } = err
    else {
        panic!()
    };
    assert_eq!((pos.line, pos.column), (8, 11));
    assert_eq!(
        element_path,
        "WopiValidation/TestGroup/TestCases/TestCase[@Name='C']/Requests/CheckFileInf"
    );
    assert!(message.contains("unknown request element <CheckFileInf>"), "{message}");
    assert!(message.contains("CheckFileInfo, "), "{message}");
}

#[test]
fn unknown_attribute_and_bad_boolean_are_positioned() {
    let err = parse(&wrap("          <Lock Lock=\"a\" Lok=\"b\" />")).unwrap_err();
    let SuiteError::Parse { pos, message, .. } = err else {
        panic!()
    };
    assert_eq!((pos.line, pos.column), (8, 26));
    assert!(
        message.contains("unknown attribute Lok on <Lock>; expected one of: Lock, LockUserVisible"),
        "{message}"
    );

    let err = parse(&wrap("          <Lock Lock=\"a\" LockUserVisible=\"True\" />")).unwrap_err();
    let SuiteError::Parse { pos, .. } = &err else { panic!() };
    assert_eq!((pos.line, pos.column), (8, 26));
    assert!(err.to_string().contains("\"True\" is not a boolean"), "{err}");
}

#[test]
fn missing_required_attribute_and_unknown_validator() {
    let err = parse(&wrap("<UnlockAndRelock NewLock=\"x\" OldLock=\"y\" Lock=\"z\"/>")).unwrap_err();
    let SuiteError::Parse { pos, .. } = &err else { panic!() };
    assert_eq!(pos.column, 42, "{err}");
    let err = parse(&wrap("<Lock />")).unwrap_err();
    assert!(err.to_string().contains("<Lock> needs attribute Lock"), "{err}");
    let err = parse(&wrap(
        "<Lock Lock=\"a\"><Validators><FileUnknownValidator /></Validators></Lock>",
    ))
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown validator <FileUnknownValidator>"),
        "{err}"
    );
    let err = parse(&wrap(
        "<CheckFileInfo><Validators><JsonSchemaValidator Schema=\"Nope\"/></Validators></CheckFileInfo>",
    ))
    .unwrap_err();
    assert!(err.to_string().contains("unknown schema 'Nope'"), "{err}");
}

#[test]
fn unknown_prereq_name_is_an_error_with_the_name() {
    let text = r#"<WopiValidation><Resources><File Id="R" Name="r" FilePath="x"/></Resources>
<TestGroup Name="G"><PrereqTests><PrereqTest>Nope</PrereqTest></PrereqTests><TestCases>
<TestCase Name="C" Category="WopiCore"><Description>d</Description><Requests><CheckFileInfo/></Requests></TestCase>
</TestCases></TestGroup></WopiValidation>"#;
    let err = parse(text).unwrap_err();
    assert!(err.to_string().contains("no prereq case named 'Nope'"), "{err}");
}

#[test]
fn validators_presence_is_distinguished_from_absence() {
    let s = parse(&wrap("<Lock Lock=\"a\"/><Unlock Lock=\"a\"><Validators/></Unlock>")).unwrap();
    let reqs: Vec<_> = s.groups[0].cases[0].all_requests().collect();
    assert!(reqs[0].validators.is_none());
    assert_eq!(reqs[1].validators.as_ref().map(Vec::len), Some(0));
}

#[test]
fn extension_steps_parse_and_for_each_expands_rows() {
    let s = parse(&wrap(
        r#"<ext:ForEach>
             <ext:Row Id="A" Code="200"/>
             <ext:Row Id="B" Code="409"/>
             <Lock Lock="${Id}"><Validators><ResponseCodeValidator ExpectedCode="${Code}"/></Validators></Lock>
           </ext:ForEach>
           <ext:RotateKeys/>
           <ext:AdvanceClock Seconds="1801"/>
           <ext:Concurrent Repeat="2">
             <Lock Lock="X"><Validators/></Lock>
             <ext:ExpectStatus Code="200" Exactly="1"/>
             <ext:ExpectStatus Code="409" AtLeast="1"/>
           </ext:Concurrent>
           <ext:PostMessage Action="edit" ExpectMessage="App_LoadingStatus"/>"#,
    ))
    .unwrap();
    let steps = &s.groups[0].cases[0].requests;
    assert_eq!(steps.len(), 6);
    let Step::Request(r) = &steps[1] else { panic!() };
    assert_eq!(
        r.kind,
        RequestKind::Lock {
            lock: "B".into(),
            lock_user_visible: None
        }
    );
    assert!(matches!(
        r.validators.as_ref().unwrap()[0].kind,
        ValidatorKind::ResponseCode { expected: 409 }
    ));
    assert!(matches!(steps[2], Step::RotateKeys { .. }));
    assert!(matches!(steps[3], Step::AdvanceClock { seconds: 1801, .. }));
    let Step::Concurrent(c) = &steps[4] else { panic!() };
    assert_eq!((c.requests.len(), c.repeat, c.expect.len()), (1, 2, 2));
    assert_eq!(c.expect[1].count, CountRule::AtLeast(1));
    assert!(matches!(&steps[5], Step::PostMessage(p) if p.expect_message.as_deref() == Some("App_LoadingStatus")));
}

#[test]
fn for_each_with_an_unknown_column_is_an_error() {
    let err = parse(&wrap(
        r#"<ext:ForEach><ext:Row Id="A"/><Lock Lock="${Nope}"/></ext:ForEach>"#,
    ))
    .unwrap_err();
    assert!(err.to_string().contains("${Nope} is not a column"), "{err}");
}

#[test]
fn should_severity_is_read_from_the_extension_attribute() {
    let s = parse(&wrap(
        r#"<CheckFileInfo><Validators><ResponseHeaderValidator Header="X" ext:Severity="Should"/></Validators></CheckFileInfo>"#,
    ))
    .unwrap();
    let r = s.groups[0].cases[0].all_requests().next().unwrap();
    assert_eq!(r.validators.as_ref().unwrap()[0].severity, Severity::Should);
}

#[test]
fn suite_names_follow_the_house_rule() {
    assert_eq!(default_suite_name(Path::new("a/TestCases.xml")), "core");
    assert_eq!(default_suite_name(Path::new("FeatureTestCases.xml")), "feature");
    assert_eq!(
        default_suite_name(Path::new("suites/locks-concurrency.xml")),
        "ext_locks_concurrency"
    );
}

#[test]
fn every_test_case_example_in_the_suites_readme_parses() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/README.md")).unwrap();
    let mut examples = 0;
    for block in readme.split("```xml\n").skip(1) {
        let xml = block.split("```").next().unwrap();
        if !xml.trim_start().starts_with("<TestCase") {
            continue;
        }
        let text = format!(
            r#"<WopiValidation xmlns:ext="{EXT_NS}"><Resources><File Id="R" Name="r" FilePath="x"/></Resources>
               <TestGroup Name="G"><TestCases>{xml}</TestCases></TestGroup></WopiValidation>"#
        );
        let s = parse_str(&text, Path::new("README.md"), "readme".into()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert_eq!(s.cases().count(), 1);
        examples += 1;
    }
    assert_eq!(examples, 6, "one example per extension step");
}

#[test]
fn exclusive_is_read_from_the_case_or_its_group() {
    let text = format!(
        r#"<WopiValidation xmlns:ext="{EXT_NS}"><Resources><File Id="R" Name="r" FilePath="x"/></Resources>
           <TestGroup Name="G" ext:Exclusive="true"><TestCases>
             <TestCase Name="A" Category="WopiCore"><Description>d</Description><Requests><CheckFileInfo/></Requests></TestCase>
           </TestCases></TestGroup>
           <TestGroup Name="H"><TestCases>
             <TestCase Name="B" Category="WopiCore" ext:Exclusive="true"><Description>d</Description><Requests><CheckFileInfo/></Requests></TestCase>
             <TestCase Name="C" Category="WopiCore"><Description>d</Description><Requests><CheckFileInfo/></Requests></TestCase>
           </TestCases></TestGroup></WopiValidation>"#
    );
    let s = parse(&text).unwrap();
    let flags: Vec<bool> = s.cases().map(|(_, c)| c.exclusive).collect();
    assert_eq!(flags, [true, true, false]);
}

#[test]
fn profiles_are_read_from_the_case_or_its_group_and_name_real_profiles() {
    let text = format!(
        r#"<WopiValidation xmlns:ext="{EXT_NS}"><Resources><File Id="R" Name="r" FilePath="x"/></Resources>
           <TestGroup Name="G" ext:Profiles="office" ext:ProfileReason="needs .wopitest"><TestCases>
             <TestCase Name="A" Category="WopiCore"><Description>d</Description><Requests><CheckFileInfo/></Requests></TestCase>
             <TestCase Name="B" Category="WopiCore" ext:Profiles="office, onlyoffice"><Description>d</Description><Requests><CheckFileInfo/></Requests></TestCase>
           </TestCases></TestGroup>
           <TestGroup Name="H"><TestCases>
             <TestCase Name="C" Category="WopiCore"><Description>d</Description><Requests><CheckFileInfo/></Requests></TestCase>
           </TestCases></TestGroup></WopiValidation>"#
    );
    let s = parse(&text).unwrap();
    let skipped: Vec<Option<String>> = s.cases().map(|(_, c)| c.not_for_profile("collabora")).collect();
    assert_eq!(
        skipped[0].as_deref(),
        Some("does not apply to the collabora profile: the case is for office only (ext:Profiles); needs .wopitest")
    );
    assert!(
        skipped[1]
            .as_deref()
            .is_some_and(|r| r.contains("office and onlyoffice"))
    );
    assert_eq!(skipped[2], None);
    assert!(s.cases().all(|(_, c)| c.not_for_profile("office").is_none()));
    let bad = text.replace(r#"ext:Profiles="office""#, r#"ext:Profiles="libreoffice""#);
    let e = parse(&bad).unwrap_err().to_string();
    assert!(e.contains("unknown client profile `libreoffice`"), "{e}");
}

#[test]
fn ext_header_and_access_token_children_are_read() {
    let s = parse(&wrap(
        r#"<GetFile><ext:Header Name="X-WOPI-MaxExpectedSize" Value="1"/><ext:Header Name="X-Other" Value="$State:K"/></GetFile>
           <CheckFileInfo><ext:AccessToken Use="expired"/></CheckFileInfo>
           <GetFile><ext:AccessToken Use="other-file"/></GetFile>"#,
    ))
    .unwrap();
    let case = s.cases().next().unwrap().1;
    let reqs: Vec<&Request> = case
        .requests
        .iter()
        .map(|st| match st {
            Step::Request(r) => r,
            _ => panic!("not a request"),
        })
        .collect();
    assert_eq!(
        reqs[0].headers,
        vec![
            ExtraHeader {
                name: "X-WOPI-MaxExpectedSize".into(),
                value: "1".into()
            },
            ExtraHeader {
                name: "X-Other".into(),
                value: "$State:K".into()
            },
        ]
    );
    assert_eq!(reqs[0].token_use, None);
    assert_eq!(reqs[1].token_use, Some(TokenUse::Expired));
    assert_eq!(reqs[2].token_use, Some(TokenUse::OtherFile));
}

#[test]
fn bad_ext_header_and_access_token_are_errors() {
    let err = parse(&wrap(r#"<GetFile><ext:AccessToken Use="stale"/></GetFile>"#)).unwrap_err();
    assert!(err.to_string().contains("Use=\"stale\" is unknown"), "{err}");
    let err = parse(&wrap(r#"<GetFile><ext:Header Name="Bad Name" Value="1"/></GetFile>"#)).unwrap_err();
    assert!(err.to_string().contains("not a valid header name"), "{err}");
    let err = parse(&wrap(
        r#"<GetFile><ext:AccessToken Use="expired"/><Mutators><AccessToken Mutation="x"/></Mutators></GetFile>"#,
    ))
    .unwrap_err();
    assert!(err.to_string().contains("not both"), "{err}");
    let err = parse(&wrap(
        r#"<ext:Concurrent><GetFile><ext:AccessToken Use="expired"/></GetFile></ext:Concurrent>"#,
    ))
    .unwrap_err();
    assert!(
        err.to_string().contains("not supported inside <ext:Concurrent>"),
        "{err}"
    );
}

#[test]
fn proof_key_age_is_relative_and_exclusive_with_timestamp() {
    let s = parse(&wrap(
        r#"<CheckFileInfo><Mutators><ProofKey ext:AgeSeconds="1190"/></Mutators></CheckFileInfo>
           <CheckFileInfo><Mutators><ProofKey ext:AgeSeconds="-60"/></Mutators></CheckFileInfo>
           <CheckFileInfo><Mutators><ProofKey Timestamp="2015-08-17T00:00:00"/></Mutators></CheckFileInfo>"#,
    ))
    .unwrap();
    let stamps: Vec<_> = s.groups[0].cases[0]
        .all_requests()
        .map(|r| r.mutators.proof_key.as_ref().and_then(|m| m.timestamp.clone()))
        .collect();
    assert_eq!(
        stamps,
        vec![
            Some(ProofTimestamp::AgeSeconds(1190)),
            Some(ProofTimestamp::AgeSeconds(-60)),
            Some(ProofTimestamp::At("2015-08-17T00:00:00".into())),
        ]
    );
    let err = parse(&wrap(
        r#"<CheckFileInfo><Mutators><ProofKey Timestamp="2015-08-17" ext:AgeSeconds="10"/></Mutators></CheckFileInfo>"#,
    ))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Timestamp (an absolute date) or ext:AgeSeconds"),
        "{err}"
    );
    let err = parse(&wrap(
        r#"<CheckFileInfo><Mutators><ProofKey ext:AgeSeconds="20m"/></Mutators></CheckFileInfo>"#,
    ))
    .unwrap_err();
    assert!(err.to_string().contains("is not a whole number of seconds"), "{err}");
    // The attribute belongs to <ProofKey> only.
    let err = parse(&wrap(r#"<CheckFileInfo ext:AgeSeconds="1"/>"#)).unwrap_err();
    assert!(
        err.to_string().contains("unknown extension attribute ext:AgeSeconds"),
        "{err}"
    );
}

#[test]
fn header_absent_contradicting_a_present_header_is_an_error() {
    let s = parse(&wrap(
        r#"<Lock Lock="a"><Validators><ResponseHeaderValidator Header="X-WOPI-Lock" ext:Absent="true"/></Validators></Lock>"#,
    ))
    .unwrap();
    let r = s.groups[0].cases[0].all_requests().next().unwrap();
    let v = &r.validators.as_ref().unwrap()[0];
    assert!(matches!(&v.kind, ValidatorKind::ResponseHeaderAbsent { header } if header == "X-WOPI-Lock"));
    for extra in [r#"ExpectedValue="a""#, r#"IsRequired="true""#, r#"ShouldMatch="false""#] {
        let err = parse(&wrap(&format!(
            r#"<Lock Lock="a"><Validators><ResponseHeaderValidator Header="X-WOPI-Lock" ext:Absent="true" {extra}/></Validators></Lock>"#
        )))
        .unwrap_err();
        assert!(
            err.to_string().contains("cannot be combined with ext:Absent"),
            "{extra}: {err}"
        );
    }
    let err = parse(&wrap(
        r#"<Lock Lock="a"><Validators><ResponseHeaderValidator ext:Absent="true"/></Validators></Lock>"#,
    ))
    .unwrap_err();
    assert!(err.to_string().contains("needs attribute Header"), "{err}");
}

#[test]
fn header_case_sensitive_parses_and_needs_the_equality_comparator() {
    let header = |attrs: &str| {
        wrap(&format!(
            r#"<GetLock><Validators><ResponseHeaderValidator Header="X-WOPI-Lock" {attrs}/></Validators></GetLock>"#
        ))
    };
    let case_sensitive = |attrs: &str| {
        let s = parse(&header(attrs)).unwrap();
        let r = s.groups[0].cases[0].all_requests().next().unwrap();
        match &r.validators.as_ref().unwrap()[0].kind {
            ValidatorKind::ResponseHeader { case_sensitive, .. } => *case_sensitive,
            other => panic!("{other:?}"),
        }
    };
    assert!(case_sensitive(r#"ExpectedValue="MiXeD" ext:CaseSensitive="true""#));
    assert!(!case_sensitive(r#"ExpectedValue="MiXeD" ext:CaseSensitive="false""#));
    // The engine's rule is the default.
    assert!(!case_sensitive(r#"ExpectedValue="MiXeD""#));
    let err = parse(&header(
        r#"ExpectedValue="5" Comparator="&gt;" ext:CaseSensitive="true""#,
    ))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("ext:CaseSensitive applies to Comparator '=' only"),
        "{err}"
    );
    let err = parse(&header(r#"ext:CaseSensitive="yes""#)).unwrap_err();
    assert!(err.to_string().contains("is not a boolean"), "{err}");
    // Only ResponseHeaderValidator knows it.
    let err = parse(&wrap(
        r#"<GetLock><Validators><ResponseCodeValidator ExpectedCode="200" ext:CaseSensitive="true"/></Validators></GetLock>"#,
    ))
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown extension attribute ext:CaseSensitive"),
        "{err}"
    );
}

#[test]
fn overwrite_in_suggested_is_read_and_only_allowed_in_suggested_mode() {
    let put = |attrs: &str| {
        wrap(&format!(
            r#"<PutRelativeFile Name="a.wopitest" ResourceId="R" {attrs}/>"#
        ))
    };
    let flag = |attrs: &str| {
        let s = parse(&put(attrs)).unwrap();
        match &s.groups[0].cases[0].all_requests().next().unwrap().kind {
            RequestKind::PutRelativeFile {
                overwrite_in_suggested, ..
            } => *overwrite_in_suggested,
            other => panic!("{other:?}"),
        }
    };
    assert!(flag(
        r#"PutRelativeFileMode="Suggested" ext:OverwriteInSuggested="true""#
    ));
    assert!(!flag(r#"PutRelativeFileMode="Suggested""#));
    assert!(!flag(
        r#"PutRelativeFileMode="ExactName" ext:OverwriteInSuggested="false""#
    ));
    for mode in ["ExactName", "Conflicting"] {
        let err = parse(&put(&format!(
            r#"PutRelativeFileMode="{mode}" ext:OverwriteInSuggested="true""#
        )))
        .unwrap_err();
        assert!(
            err.to_string().contains("needs PutRelativeFileMode=\"Suggested\""),
            "{mode}: {err}"
        );
    }
    let err = parse(&put(
        r#"PutRelativeFileMode="Suggested" OverwriteRelative="true" ext:OverwriteInSuggested="true""#,
    ))
    .unwrap_err();
    assert!(err.to_string().contains("not both"), "{err}");
}

#[test]
fn differs_from_state_is_read_on_string_property_only() {
    let cfi = |prop: &str| {
        wrap(&format!(
            r#"<CheckFileInfo><Validators><JsonResponseContentValidator>{prop}</JsonResponseContentValidator></Validators></CheckFileInfo>"#
        ))
    };
    let s = parse(&cfi(r#"<StringProperty Name="Version" ext:DiffersFromState="V0"/>"#)).unwrap();
    let r = s.groups[0].cases[0].all_requests().next().unwrap();
    let ValidatorKind::JsonContent { properties, .. } = &r.validators.as_ref().unwrap()[0].kind else {
        panic!("not a JSON validator")
    };
    assert!(matches!(
        &properties[0].kind,
        JsonPropertyKind::String { differs_from_state: Some(k), .. } if k == "V0"
    ));
    for (prop, want) in [
        (
            r#"<StringProperty Name="Version" ExpectedStateKey="V0" ext:DiffersFromState="V0"/>"#,
            "ExpectedStateKey cannot be combined with ext:DiffersFromState",
        ),
        (
            r#"<StringProperty Name="Version" ExpectedValue="x" ext:DiffersFromState="V0"/>"#,
            "ExpectedValue cannot be combined with ext:DiffersFromState",
        ),
        (
            r#"<StringProperty Name="Version" ext:DiffersFromState=" "/>"#,
            "needs a state name",
        ),
        (
            r#"<IntegerProperty Name="Size" ext:DiffersFromState="V0"/>"#,
            "unknown extension attribute ext:DiffersFromState",
        ),
    ] {
        let err = parse(&cfi(prop)).unwrap_err();
        assert!(err.to_string().contains(want), "{prop}: {err}");
    }
}

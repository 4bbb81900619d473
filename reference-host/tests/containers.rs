//! Containers and ecosystem: CheckContainerInfo, CreateChildFile, CreateChildContainer, EnumerateChildren,
//! EnumerateAncestors (files and containers), DeleteContainer, RenameContainer, GetEcosystem, CheckEcosystem,
//! GetRootContainer, GetFileWopiSrc.

#![allow(clippy::unwrap_used)] // test helpers and assertions

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn json_of(r: reqwest::Response) -> Value {
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn ecosystem_root_children_and_ancestors() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"abc").await;

    // File -> ecosystem -> root container.
    let eco = json_of(get(&t, "/ecosystem_pointer", &[]).await).await;
    let eco = Target::from_url(eco["Url"].as_str().unwrap());
    assert!(eco.wopisrc.ends_with("/wopi/ecosystem"));
    assert_eq!(json_of(get(&eco, "", &[]).await).await["SupportsContainers"], true);
    let root = json_of(get(&eco, "/root_container_pointer", &[]).await).await;
    assert_eq!(root["ContainerPointer"]["Name"], "root");
    assert_eq!(root["ContainerInfo"]["UserCanDelete"], false);
    let root = Target::from_url(root["ContainerPointer"]["Url"].as_str().unwrap());
    assert_eq!(json_of(get(&root, "", &[]).await).await["Name"], "root");

    // Root's children include the file, with a usable URL.
    let children = json_of(get(&root, "/children", &[]).await).await;
    let files = children["ChildFiles"].as_array().unwrap();
    let entry = files.iter().find(|f| f["Name"] == "a.docx").unwrap();
    assert_eq!(entry["Size"], 3);
    assert_eq!(entry["Version"], "v1");
    let via_child = Target::from_url(entry["Url"].as_str().unwrap());
    assert_eq!(contents(&via_child).await, b"abc");

    // A child container with a file in it.
    let r = post(
        &root,
        "",
        "CREATE_CHILD_CONTAINER",
        &[("X-WOPI-RelativeTarget", "Sub+AF8-folder")],
        b"",
    )
    .await;
    let sub = json_of(r).await;
    assert_eq!(sub["ContainerPointer"]["Name"], "Sub_folder");
    let sub = Target::from_url(sub["ContainerPointer"]["Url"].as_str().unwrap());
    let r = post(
        &root,
        "",
        "CREATE_CHILD_CONTAINER",
        &[("X-WOPI-RelativeTarget", "Sub+AF8-folder")],
        b"",
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = post(
        &root,
        "",
        "CREATE_CHILD_CONTAINER",
        &[("X-WOPI-SuggestedTarget", "Sub+AF8-folder")],
        b"",
    )
    .await;
    assert_eq!(json_of(r).await["ContainerPointer"]["Name"], "Sub_folder (2)");

    let r = post(
        &sub,
        "",
        "CREATE_CHILD_FILE",
        &[("X-WOPI-RelativeTarget", "new.docx")],
        b"",
    )
    .await;
    let created = json_of(r).await;
    assert_eq!(created["Name"], "new.docx");
    assert!(created["HostEditUrl"].as_str().unwrap().contains("action=edit"));
    let child = Target::from_url(created["Url"].as_str().unwrap());
    assert_eq!(contents(&child).await, b"", "CreateChildFile makes an empty file");
    assert_eq!(
        post(
            &sub,
            "",
            "CREATE_CHILD_FILE",
            &[("X-WOPI-RelativeTarget", "new.docx")],
            b""
        )
        .await
        .status(),
        StatusCode::CONFLICT
    );
    let r = post(
        &sub,
        "",
        "CREATE_CHILD_FILE",
        &[("X-WOPI-SuggestedTarget", ".xlsx")],
        b"",
    )
    .await;
    assert_eq!(json_of(r).await["Name"], "New file.xlsx");
    let both = [("X-WOPI-RelativeTarget", "x.docx"), ("X-WOPI-SuggestedTarget", ".docx")];
    assert_eq!(
        post(&sub, "", "CREATE_CHILD_FILE", &both, b"").await.status(),
        StatusCode::NOT_IMPLEMENTED
    );
    let r = post(
        &sub,
        "",
        "CREATE_CHILD_FILE",
        &[("X-WOPI-RelativeTarget", "../x.docx")],
        b"",
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Filter by extension, case-insensitively.
    let filtered = json_of(get(&sub, "/children", &[("X-WOPI-FileExtensionFilterList", ".XLSX,.pdf")]).await).await;
    let names: Vec<_> = filtered["ChildFiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["Name"].clone())
        .collect();
    assert_eq!(names, vec![Value::from("New file.xlsx")]);

    // Ancestors, root first.
    let a = json_of(get(&child, "/ancestry", &[]).await).await;
    let names: Vec<_> = a["AncestorsWithRootFirst"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Name"].clone())
        .collect();
    assert_eq!(names, vec![Value::from("root"), Value::from("Sub_folder")]);
    let a = json_of(get(&sub, "/ancestry", &[]).await).await;
    let names: Vec<_> = a["AncestorsWithRootFirst"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Name"].clone())
        .collect();
    assert_eq!(names, vec![Value::from("root")]);
    assert_eq!(
        json_of(get(&root, "/ancestry", &[]).await).await["AncestorsWithRootFirst"],
        serde_json::json!([])
    );
    assert!(json_of(get(&sub, "/ecosystem_pointer", &[]).await).await["Url"].is_string());

    // Rename; delete refuses while not empty.
    let r = post(
        &sub,
        "",
        "RENAME_CONTAINER",
        &[("X-WOPI-RequestedName", "Renamed")],
        b"",
    )
    .await;
    assert_eq!(json_of(r).await["Name"], "Renamed");
    let r = post(&sub, "", "RENAME_CONTAINER", &[("X-WOPI-RequestedName", "a/b")], b"").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(header(&r, "X-WOPI-InvalidContainerNameError").is_some());
    assert_eq!(
        post(&sub, "", "DELETE_CONTAINER", &[], b"").await.status(),
        StatusCode::CONFLICT
    );
    for f in json_of(get(&sub, "/children", &[]).await).await["ChildFiles"]
        .as_array()
        .unwrap()
    {
        let f = Target::from_url(f["Url"].as_str().unwrap());
        assert_eq!(post(&f, "", "DELETE", &[], b"").await.status(), StatusCode::OK);
    }
    assert_eq!(
        post(&sub, "", "DELETE_CONTAINER", &[], b"").await.status(),
        StatusCode::OK
    );
    assert_eq!(get(&sub, "", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        post(&root, "", "DELETE_CONTAINER", &[], b"").await.status(),
        StatusCode::NOT_IMPLEMENTED
    );

    // GetFileWopiSrc from a HostEditUrl.
    let edit_url = cfi(&t).await["HostEditUrl"].as_str().unwrap().to_owned();
    let r = post(
        &eco,
        "",
        "GET_WOPI_SRC_WITH_ACCESS_TOKEN",
        &[("X-WOPI-HostNativeFileName", &edit_url)],
        b"",
    )
    .await;
    let url = json_of(r).await["Url"].as_str().unwrap().to_owned();
    assert!(url.contains("access_token_ttl="));
    let via_native = Target::from_url(&url);
    assert_eq!(via_native.wopisrc, t.wopisrc);
    assert_eq!(contents(&via_native).await, b"abc");
    let r = post(
        &eco,
        "",
        "GET_WOPI_SRC_WITH_ACCESS_TOKEN",
        &[("X-WOPI-HostNativeFileName", "nope")],
        b"",
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn tokens_are_bound_to_containers_and_the_ecosystem() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"x").await;
    let eco = Target::from_url(
        json_of(get(&t, "/ecosystem_pointer", &[]).await).await["Url"]
            .as_str()
            .unwrap(),
    );
    // A file token does not open the ecosystem, and an ecosystem token does not open the file.
    let file_token_on_eco = Target {
        wopisrc: eco.wopisrc.clone(),
        token: t.token.clone(),
    };
    assert_eq!(
        get(&file_token_on_eco, "", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let eco_token_on_file = Target {
        wopisrc: t.wopisrc.clone(),
        token: eco.token.clone(),
    };
    assert_eq!(
        get(&eco_token_on_file, "", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let root = json_of(get(&eco, "/root_container_pointer", &[]).await).await;
    let root = Target::from_url(root["ContainerPointer"]["Url"].as_str().unwrap());
    let wrong = Target {
        wopisrc: root.wopisrc.clone(),
        token: t.token.clone(),
    };
    assert_eq!(get(&wrong, "/children", &[]).await.status(), StatusCode::UNAUTHORIZED);
}

/// CheckContainerInfo.rst: `LicenseCheckForEditIsEnabled` and `IsEduUser` "should match the ... value returned in
/// CheckFileInfo"; the validator's `containers.LicensingPropertiesOnChildFolderMatchWithParentFolder` and
/// `CreateChildFile.LicensingPropertiesOnChildFileMatchWithParentFolder` require them on parent, child and file.
#[tokio::test]
async fn licensing_properties_match_across_files_and_containers() {
    let host = host().await;
    let t = new_file(&host, "a.docx", b"abc").await;
    let eco = json_of(get(&t, "/ecosystem_pointer", &[]).await).await;
    let eco = Target::from_url(eco["Url"].as_str().unwrap());
    let root = json_of(get(&eco, "/root_container_pointer", &[]).await).await;
    let root_pointer_info = root["ContainerInfo"].clone();
    let root = Target::from_url(root["ContainerPointer"]["Url"].as_str().unwrap());
    let sub = post(
        &root,
        "",
        "CREATE_CHILD_CONTAINER",
        &[("X-WOPI-RelativeTarget", "lic")],
        b"",
    )
    .await;
    let sub = json_of(sub).await;
    let sub_created_info = sub["ContainerInfo"].clone();
    let sub = Target::from_url(sub["ContainerPointer"]["Url"].as_str().unwrap());
    let child = post(
        &sub,
        "",
        "CREATE_CHILD_FILE",
        &[("X-WOPI-RelativeTarget", "c.docx")],
        b"",
    )
    .await;
    let child = Target::from_url(json_of(child).await["Url"].as_str().unwrap());

    let bodies = [
        ("file CheckFileInfo", cfi(&t).await),
        ("child file CheckFileInfo", cfi(&child).await),
        ("root CheckContainerInfo", json_of(get(&root, "", &[]).await).await),
        ("child CheckContainerInfo", json_of(get(&sub, "", &[]).await).await),
        ("GetRootContainer ContainerInfo", root_pointer_info),
        ("CreateChildContainer ContainerInfo", sub_created_info),
    ];
    for (what, body) in &bodies {
        assert_eq!(body["LicenseCheckForEditIsEnabled"], Value::Bool(true), "{what}");
        assert_eq!(body["IsEduUser"], Value::Bool(false), "{what}");
    }
}

//! Plan files: written and read back unchanged, split into shards that cover them, and refused with a
//! clear reason when edited into something unsafe.

use super::*;
use crate::ids::ProviderId;
use crate::transfer::model::{Digest, OriginScope};
use crate::transfer::plan::of_items;

fn origin() -> BatchOrigin {
    BatchOrigin {
        provider: ProviderId::new("nginx").unwrap(),
        account: None,
        job: None,
        scope: OriginScope::Whole,
    }
}

fn item(dest: &str, size: Option<u64>) -> ItemSpec {
    ItemSpec {
        source: Source::Url {
            url: format!("http://127.0.0.1:9/files/{dest}"),
        },
        dest: dest.to_string(),
        size,
        digest: Some(Digest::Sha256("ab".repeat(32))),
        auth: AuthPolicy::Anonymous,
    }
}

/// A plan of `files` from one folder `job` below `out`.
async fn plan_of(out: &Path, files: Vec<ItemSpec>) -> PlanFile {
    let mut plan = PlanFile::new(out).unwrap();
    let new = NewBatch {
        name: "job".into(),
        origin: origin(),
        key: "http://127.0.0.1:9/files/".into(),
        root: out.join("job"),
        continue_earlier: true,
    };
    let problems = plan
        .add("http://127.0.0.1:9/files/", &new, of_items(files))
        .await
        .unwrap();
    assert!(problems.is_empty());
    plan
}

#[tokio::test]
async fn a_plan_is_written_and_read_back_unchanged_with_its_paths_below_the_sources_folder() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_of(
        dir.path(),
        vec![item("b/2.fits", Some(20)), item("a.fits", None)],
    )
    .await;
    let dests: Vec<&str> = plan.items.iter().map(|i| i.dest.as_str()).collect();
    assert_eq!(dests, ["job/a.fits", "job/b/2.fits"]);
    assert_eq!(plan.sources[0].folder, "job");
    assert_eq!(plan.size(), (20, 1));
    let path = dir.path().join("plan.json");
    plan.write(&path).unwrap();
    let read = PlanFile::read(&path).unwrap();
    assert_eq!(read, plan);
    assert_eq!(read.id(), plan.id());
    assert_eq!(read.id().len(), 16);
    assert_eq!(
        read.shard_dir(Shard::new(1, 3).unwrap()),
        dir.path()
            .join(".jobfetch/plans")
            .join(plan.id())
            .join("shards/1-of-3")
    );
}

#[tokio::test]
async fn the_shards_of_a_plan_hold_its_files_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<ItemSpec> = (0..23)
        .map(|i| item(&format!("f{i:02}"), Some(1 << (i % 9))))
        .collect();
    let plan = plan_of(dir.path(), files).await;
    for count in 1..=7 {
        let mut all: Vec<String> = (0..count)
            .flat_map(|i| plan.shard_items(Shard::new(i, count).unwrap()))
            .map(|i| i.dest)
            .collect();
        all.sort();
        let expected: Vec<String> = plan.items.iter().map(|i| i.dest.clone()).collect();
        assert_eq!(all, expected, "{count} shards");
    }
    let (new, items) = plan.shard_batch(Shard::new(1, 2).unwrap());
    assert_eq!(new.root, plan.out);
    assert_eq!(new.origin.scope, OriginScope::Selection);
    assert!(
        new.key.contains(&plan.id()) && new.key.ends_with("1/2"),
        "{}",
        new.key
    );
    assert_eq!(items, plan.shard_items(Shard::new(1, 2).unwrap()));
}

#[tokio::test]
async fn a_batch_outside_the_plans_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = PlanFile::new(&dir.path().join("out")).unwrap();
    let new = NewBatch {
        name: "job".into(),
        origin: origin(),
        key: "k".into(),
        root: dir.path().join("elsewhere"),
        continue_earlier: true,
    };
    let err = plan.add("job", &new, of_items(vec![])).await.unwrap_err();
    assert!(
        err.message.contains("not below the plan's folder"),
        "{}",
        err.message
    );
}

/// A change made to a plan's JSON.
type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;

/// Writes `plan` as JSON after `edit`, and reads it back.
fn edited(plan: &PlanFile, edit: Edit) -> Result<PlanFile> {
    let dir = tempfile::tempdir().unwrap();
    let mut value = serde_json::to_value(plan).unwrap();
    edit(&mut value);
    let path = dir.path().join("plan.json");
    std::fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
    PlanFile::read(&path)
}

#[tokio::test]
async fn a_hostile_or_broken_plan_is_refused_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan_of(
        dir.path(),
        vec![item("a.fits", Some(1)), item("b.fits", Some(2))],
    )
    .await;
    let account = "mast:ana@mast.example.org";
    let cases: Vec<(&str, Edit)> = vec![
        (
            "could leave the plan's folder",
            Box::new(|v| v["items"][0]["dest"] = "../../etc/passwd".into()),
        ),
        (
            "could leave the plan's folder",
            Box::new(|v| v["items"][0]["dest"] = "/etc/passwd".into()),
        ),
        (
            "could leave the plan's folder",
            Box::new(|v| v["items"][0]["dest"] = "job//a".into()),
        ),
        (
            "where Jobfetch keeps",
            Box::new(|v| v["items"][0]["dest"] = ".jobfetch/plans/x".into()),
        ),
        (
            "go to the same place",
            Box::new(|v| v["items"][1]["dest"] = "job/a.fits".into()),
        ),
        (
            "not an absolute path",
            Box::new(|v| v["out"] = "relative/out".into()),
        ),
        (
            "names no job",
            Box::new(|v| v["sources"] = serde_json::json!([])),
        ),
        (
            "carries a secret",
            Box::new(|v| v["items"][0]["source"]["url"] = "https://h/x?token=abc".into()),
        ),
        (
            "not an http(s) URL",
            Box::new(|v| v["items"][0]["source"]["url"] = "file:///etc/passwd".into()),
        ),
        (
            "which its accounts list leaves out",
            Box::new(move |v| {
                v["items"][0]["source"] =
                    serde_json::json!({"kind": "resolver", "account": account, "key": "k"})
            }),
        ),
        (
            "does not read",
            Box::new(|v| v["format"] = "jobfetch-plan/9".into()),
        ),
        (
            "not a Jobfetch plan",
            Box::new(|v| v["format"] = "something-else".into()),
        ),
        (
            "not a Jobfetch plan",
            Box::new(|v| v["password"] = "hunter2".into()),
        ),
        (
            "not a Jobfetch plan",
            Box::new(|v| v["items"][0]["size"] = "big".into()),
        ),
    ];
    for (says, edit) in cases {
        let err = edited(&plan, edit).unwrap_err();
        assert!(
            err.message.contains(says),
            "expected {says:?} in: {}",
            err.message
        );
        assert!(
            !err.message.contains("hunter2") && !err.message.contains("abc"),
            "{}",
            err.message
        );
    }
    let not_json = dir.path().join("not.json");
    std::fs::write(&not_json, "#!/bin/sh\n").unwrap();
    let err = PlanFile::read(&not_json).unwrap_err();
    assert!(err.message.contains("jobfetch plan"), "{}", err.message);
}

#[tokio::test]
async fn items_that_need_an_account_name_it_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let account = AccountId::try_from("mast:ana@mast.example.org".to_string()).unwrap();
    let mut token = item("x.fits", Some(5));
    token.auth = AuthPolicy::ArchiveToken {
        account: account.clone(),
        scheme: "token".into(),
        hosts: vec!["mast.example.org".into()],
    };
    let mut resolved = item("y.tar", None);
    resolved.source = Source::Resolver {
        account: account.clone(),
        key: "job/1/results".into(),
    };
    let plan = plan_of(dir.path(), vec![token, resolved]).await;
    assert_eq!(plan.accounts, [account]);
    let path = dir.path().join("plan.json");
    plan.write(&path).unwrap();
    assert_eq!(PlanFile::read(&path).unwrap(), plan);
}

//! Child files in the storage layer on both databases: sealed files, masking per role, audited views
//! and reveals, duplicates that never leak another scope's file, versions, revisions and search.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use diesel::RunQueryDsl;
use serde_json::{Value, json};
use shouhu_domain::{ChildFile, check_char};
use shouhu_store::children::{self, Change, ChildFilter, Placement};
use shouhu_store::{Scope, StoreError, classes, users};

fn id_number(birth: &str, seq: &str) -> String {
    let first17 = format!("520502{birth}{seq}");
    let check = check_char(first17.as_bytes());
    format!("{first17}{check}")
}

fn scope_of(app: &TestApp, username: &str) -> Scope {
    app.store
        .with_conn(|c| {
            let user = users::find_for_login(c, username)?.unwrap();
            users::scope_for(c, &user, None)
        })
        .unwrap()
}

/// teacher1's school and first class.
fn placement(app: &TestApp) -> Placement {
    let teacher = scope_of(app, "teacher1");
    let class = app
        .store
        .with_conn(|c| classes::list(c, &teacher, teacher.school.unwrap()))
        .unwrap();
    Placement {
        school_id: teacher.school.unwrap(),
        class_id: Some(class[0].class.id),
    }
}

/// A file with both parents away in 广东, as JSON a form or the API would send.
fn file_json(name: &str, id: &str) -> Value {
    let birth = format!("{}-{}-{}", &id[6..10], &id[10..12], &id[12..14]);
    let sex = if (id.as_bytes()[16] - b'0') % 2 == 1 {
        "male"
    } else {
        "female"
    };
    json!({
        "name": name,
        "sex": sex,
        "ethnicity": "miao",
        "birth_date": birth,
        "id_doc_type": "resident_id_card",
        "id_number": id,
        "hukou_type": "agricultural",
        "residence_region": "520502101205",
        "address": "贵州省毕节市七星关区梨树镇小屯沟村三组12号",
        "schooling": "in_school",
        "health": {"kind": "healthy"},
        "father": {"name": "单建国", "phone": "13812345678",
                   "away": {"since": "2024-02-20", "province": "广东", "city": "东莞市"}},
        "mother": {"name": "李秀英", "phone": "13912345678",
                   "away": {"since": "2024-02-20", "province": "广东", "city": "深圳市"}},
        "guardians": [{"name": "单大山", "relation": "祖父", "phone": "0857-8221234", "is_carer": true}],
        "care_arrangement": "grandparents",
        "rating": "fair",
    })
}

fn file(name: &str, id: &str) -> ChildFile {
    serde_json::from_value(file_json(name, id)).unwrap()
}

fn create(app: &TestApp, who: &str, at: Placement, f: &ChildFile) -> Result<i64, StoreError> {
    let scope = scope_of(app, who);
    let key = app.store.key();
    app.store
        .with_conn(|c| children::create(c, &scope, &key, at, f, None))
        .map(|r| r.summary.id)
}

fn audit_kinds(app: &TestApp, actor: &str) -> Vec<(String, String)> {
    let filter = shouhu_store::audit::AuditFilter {
        actor: Some(actor.to_owned()),
        limit: 500,
        ..Default::default()
    };
    let events = app
        .store
        .with_conn(|c| shouhu_store::audit::list(c, &Scope::local_operator(), &filter))
        .unwrap();
    events.into_iter().map(|e| (e.kind, e.detail)).collect()
}

async fn a_file_is_sealed_at_rest_masked_when_read_and_revealed_with_an_audited_reason(
    app: TestApp,
) {
    let id = id_number("20150301", "123");
    let at = placement(&app);
    let child = create(&app, "teacher1", at, &file("单𠮷", &id)).unwrap();
    let key = app.store.key();

    // At rest neither the ID number nor a phone is anywhere in clear.
    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    #[derive(diesel::QueryableByName)]
    struct Sealed {
        #[diesel(sql_type = diesel::sql_types::Binary)]
        file_sealed: Vec<u8>,
    }
    let sql = "SELECT file_sealed FROM children";
    let rows: Vec<Sealed> = match &mut conn {
        shouhu_store::Conn::Sqlite(c) => diesel::sql_query(sql).load(c).unwrap(),
        shouhu_store::Conn::Postgres(c) => diesel::sql_query(sql).load(c).unwrap(),
    };
    let raw = String::from_utf8_lossy(&rows[0].file_sealed).into_owned();
    assert!(!raw.contains(&id[..10]) && !raw.contains("13812345678"));

    let teacher = scope_of(&app, "teacher1");
    let seen = app
        .store
        .with_conn(|c| children::get(c, &teacher, &key, child))
        .unwrap();
    assert_eq!(
        seen.file["id_number"],
        format!("520502********{}", &id[14..])
    );
    assert_eq!(seen.file["father"]["phone"], "138****5678");
    assert_eq!(seen.file["address"], "贵州省毕节市****");
    assert_eq!(
        seen.summary.name_pinyin, "shan",
        "单 reads shan; 𠮷 has no reading"
    );
    assert!(seen.summary.lb_mca && seen.summary.lb_xueji == 2);

    let no_reason = app
        .store
        .with_conn(|c| children::reveal(c, &teacher, &key, child, "  "));
    assert!(matches!(
        no_reason,
        Err(StoreError::Invalid {
            field: "reason",
            ..
        })
    ));
    let clear = app
        .store
        .with_conn(|c| children::reveal(c, &teacher, &key, child, "办理营养餐补助"))
        .unwrap();
    assert_eq!(clear.file["id_number"], id.as_str());
    assert_eq!(clear.file["father"]["phone"], "13812345678");
    let log = audit_kinds(&app, "teacher1");
    assert!(log.contains(&("child.view".to_owned(), String::new())));
    assert!(log.contains(&("child.reveal".to_owned(), "办理营养餐补助".to_owned())));
    assert!(
        log.iter().all(|(_, d)| !d.contains(&id[6..14])),
        "no ID number in the audit log"
    );

    // A subject teacher with no class or pairing cannot open it; a volunteer cannot reveal.
    let other = scope_of(&app, "teacher2");
    let hidden = app
        .store
        .with_conn(|c| children::get(c, &other, &key, child));
    assert!(matches!(hidden, Err(StoreError::NotFound)));
    let volunteer = scope_of(&app, "volunteer");
    let denied = app
        .store
        .with_conn(|c| children::reveal(c, &volunteer, &key, child, "想看"));
    assert!(matches!(
        denied,
        Err(StoreError::Forbidden(_) | StoreError::NotFound)
    ));
}
both_dbs!(a_file_is_sealed_at_rest_masked_when_read_and_revealed_with_an_audited_reason);

async fn a_stale_save_conflicts_and_each_save_leaves_a_masked_revision(app: TestApp) {
    let id = id_number("20160512", "246");
    let at = placement(&app);
    let child = create(&app, "teacher1", at, &file("单𠮷", &id)).unwrap();
    let teacher = scope_of(&app, "teacher1");
    let key = app.store.key();
    let patch = json!({"name": "单小𠮷", "father": {"phone": "13700001111"}});
    let saved = app
        .store
        .with_conn(|c| {
            children::update(
                c,
                &teacher,
                &key,
                child,
                1,
                None,
                &Change::Patch(patch.clone()),
            )
        })
        .unwrap();
    assert_eq!(saved.summary.version, 2);
    let stale = json!({"ethnicity": "han"});
    let conflict = app.store.with_conn(|c| {
        children::update(
            c,
            &teacher,
            &key,
            child,
            1,
            None,
            &Change::Patch(stale.clone()),
        )
    });
    assert!(
        matches!(
            conflict,
            Err(StoreError::Conflict {
                expected: 1,
                current: 2
            })
        ),
        "{conflict:?}"
    );
    let history = app
        .store
        .with_conn(|c| children::revisions(c, &teacher, child))
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        serde_json::to_value(&history[0].changes).unwrap(),
        json!({
            "name": ["单𠮷", "单小𠮷"],
            "father.phone": ["138****5678", "137****1111"],
        })
    );
    let text = serde_json::to_string(&history).unwrap();
    assert!(!text.contains(&id[6..14]) && !text.contains("13700001111"));
    let compared = app
        .store
        .with_conn(|c| children::compare(c, &teacher, child, 1, 2))
        .unwrap();
    assert_eq!(compared.len(), 2);

    // A bad value in a patch names its field and keeps the file as it was.
    let bad = json!({"mother": {"phone": "12345"}});
    let refused = app.store.with_conn(|c| {
        children::update(
            c,
            &teacher,
            &key,
            child,
            2,
            None,
            &Change::Patch(bad.clone()),
        )
    });
    match refused {
        Err(StoreError::InvalidFile { field, code }) => {
            assert_eq!(field, "mother.phone");
            assert!(code.starts_with("phone."), "{code}");
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    let now = app
        .store
        .with_conn(|c| children::get(c, &teacher, &key, child))
        .unwrap();
    assert_eq!(now.summary.version, 2);
}
both_dbs!(a_stale_save_conflicts_and_each_save_leaves_a_masked_revision);

async fn a_duplicate_is_refused_without_leaking_the_other_file(app: TestApp) {
    let id = id_number("20140909", "135");
    let bureau = scope_of(&app, "bureau");
    let teacher = scope_of(&app, "teacher1");
    let schools = app
        .store
        .with_conn(|c| shouhu_store::schools::list(c, &bureau, &Default::default()))
        .unwrap();
    let elsewhere = Placement {
        school_id: schools
            .iter()
            .find(|s| Some(s.id) != teacher.school)
            .unwrap()
            .id,
        class_id: None,
    };
    create(&app, "bureau", elsewhere, &file("王芳", &id)).unwrap();
    let refused = create(&app, "teacher1", placement(&app), &file("王芳", &id));
    assert!(
        matches!(refused, Err(StoreError::ChildExists { id: None })),
        "{refused:?}"
    );
    let again = create(&app, "bureau", elsewhere, &file("王芳", &id));
    assert!(matches!(
        again,
        Err(StoreError::ChildExists { id: Some(_) })
    ));

    // Without an ID number, the same name and birth date in the same township is the same child.
    let mut no_id = file("王芳", &id);
    no_id.id_number = None;
    let twin = create(&app, "bureau", elsewhere, &no_id);
    assert!(matches!(twin, Err(StoreError::ChildExists { id: Some(_) })));

    let mut wrong_birth = file("李四", &id_number("20130101", "111"));
    wrong_birth.birth_date = chrono::NaiveDate::from_ymd_opt(2013, 1, 2).unwrap();
    let mismatch = create(&app, "teacher1", placement(&app), &wrong_birth);
    assert!(matches!(
        mismatch,
        Err(StoreError::Invalid {
            field: "birth_date",
            ..
        })
    ));
}
both_dbs!(a_duplicate_is_refused_without_leaking_the_other_file);

async fn a_form_sent_twice_creates_one_file(app: TestApp) {
    let scope = scope_of(&app, "teacher1");
    let key = app.store.key();
    let mut f = file("赵六", &id_number("20150601", "321"));
    f.id_number = None;
    let at = placement(&app);
    let first = app
        .store
        .with_conn(|c| children::create(c, &scope, &key, at, &f, Some("form-token-1")))
        .unwrap();
    let second = app
        .store
        .with_conn(|c| children::create(c, &scope, &key, at, &f, Some("form-token-1")))
        .unwrap();
    assert_eq!(first.summary.id, second.summary.id);
}
both_dbs!(a_form_sent_twice_creates_one_file);

fn search(app: &TestApp, who: &str, q: &str) -> Vec<String> {
    let scope = scope_of(app, who);
    let filter = ChildFilter {
        q: Some(q.to_owned()),
        ..Default::default()
    };
    let page = app
        .store
        .with_conn(|c| children::list(c, &scope, &filter))
        .unwrap();
    page.items.into_iter().map(|c| c.name).collect()
}

async fn the_list_searches_by_pinyin_initials_and_id_tail_and_pages_by_cursor(app: TestApp) {
    let at = placement(&app);
    let names = [
        "张三",
        "张小明",
        "赵云",
        "单𠮷",
        "曾志伟",
        "阿依古丽·买买提",
    ];
    for (i, name) in names.iter().enumerate() {
        let id = id_number("20150301", &format!("{}", 101 + 2 * i));
        create(&app, "teacher1", at, &file(name, &id)).unwrap();
    }
    for q in ["zhang", "ZHANG", "Ｚｈａｎｇ"] {
        assert_eq!(search(&app, "teacher1", q), ["张三", "张小明"], "{q}");
    }
    assert_eq!(search(&app, "teacher1", "zh"), ["张三", "张小明", "赵云"]);
    assert_eq!(
        search(&app, "teacher1", "z"),
        ["曾志伟", "张三", "张小明", "赵云"]
    );
    assert_eq!(search(&app, "teacher1", "zs"), ["张三"]);
    assert_eq!(search(&app, "teacher1", "shan"), ["单𠮷"]);
    assert_eq!(search(&app, "teacher1", "买买提"), ["阿依古丽·买买提"]);
    let tail = &id_number("20150301", "103")[14..];
    assert_eq!(search(&app, "teacher1", tail), ["张小明"]);
    assert!(search(&app, "teacher2", "zh").is_empty(), "out of scope");
    // A county walks the pinyin order; a village child director ranges over where children live.
    assert_eq!(search(&app, "bureau", "zh"), ["张三", "张小明", "赵云"]);
    assert_eq!(search(&app, "director", "zh"), ["张三", "张小明", "赵云"]);
    assert_eq!(search(&app, "minzheng", "zs"), ["张三"]);

    let scope = scope_of(&app, "teacher1");
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let filter = ChildFilter {
            limit: Some(4),
            after: after.clone(),
            ..Default::default()
        };
        let page = app
            .store
            .with_conn(|c| children::list(c, &scope, &filter))
            .unwrap();
        seen.extend(page.items.into_iter().map(|c| c.name_pinyin));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen.len(), names.len());
    assert_eq!(seen, sorted);
}
both_dbs!(the_list_searches_by_pinyin_initials_and_id_tail_and_pages_by_cursor);

async fn a_class_is_promoted_whole_and_a_transfer_waits_for_the_receiving_school(app: TestApp) {
    let at = placement(&app);
    let first = create(
        &app,
        "teacher1",
        at,
        &file("张三", &id_number("20180301", "101")),
    )
    .unwrap();
    create(
        &app,
        "teacher1",
        at,
        &file("李四", &id_number("20180302", "103")),
    )
    .unwrap();
    let principal = scope_of(&app, "principal");
    let key = app.store.key();
    let class_id = at.class_id.unwrap();
    let done = app
        .store
        .with_conn(|c| {
            children::promote_class(c, &principal, &key, class_id, "二年级（9）班", vec![])
        })
        .unwrap();
    assert_eq!((done.moved, done.graduated), (2, 0));
    let new_class = done.new_class_id.unwrap();
    let moved = app
        .store
        .with_conn(|c| children::summary_of(c, &principal, first))
        .unwrap();
    assert_eq!(moved.class_id, Some(new_class));
    let history = app
        .store
        .with_conn(|c| children::revisions(c, &principal, first))
        .unwrap();
    assert!(
        history[0].changes.contains_key("_class"),
        "the move is history"
    );

    // A transfer to another school: pending until that school accepts; the child stays put.
    let bureau = scope_of(&app, "bureau");
    let other = app
        .store
        .with_conn(|c| shouhu_store::schools::list(c, &bureau, &Default::default()))
        .unwrap()
        .into_iter()
        .find(|s| s.id != at.school_id)
        .unwrap();
    let refused = app
        .store
        .with_conn(|c| children::request_transfer(c, &principal, first, other.id, " "));
    assert!(matches!(
        refused,
        Err(StoreError::Invalid {
            field: "reason",
            ..
        })
    ));
    let t = app
        .store
        .with_conn(|c| children::request_transfer(c, &principal, first, other.id, "随父母迁居"))
        .unwrap();
    assert_eq!(t.status, "pending");
    let twice = app
        .store
        .with_conn(|c| children::request_transfer(c, &principal, first, other.id, "再次"));
    assert!(twice.is_err(), "one pending request per child");
    // The sending school cannot accept on the receiver's behalf.
    let own = app
        .store
        .with_conn(|c| children::decide_transfer(c, &principal, &key, t.id, true, None));
    assert!(matches!(own, Err(StoreError::NotFound)));
    assert_eq!(
        app.store
            .with_conn(|c| children::summary_of(c, &principal, first))
            .unwrap()
            .school_id,
        at.school_id
    );
    let waiting = app
        .store
        .with_conn(|c| children::incoming(c, &bureau))
        .unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].child_name, "张三");
    let accepted = app
        .store
        .with_conn(|c| children::decide_transfer(c, &bureau, &key, t.id, true, None))
        .unwrap();
    assert_eq!(accepted.status, "accepted");
    let gone = app
        .store
        .with_conn(|c| children::summary_of(c, &principal, first));
    assert!(
        matches!(gone, Err(StoreError::NotFound)),
        "now the other school's"
    );
    let now = app
        .store
        .with_conn(|c| children::summary_of(c, &bureau, first))
        .unwrap();
    assert_eq!((now.school_id, now.class_id), (other.id, None));
}
both_dbs!(a_class_is_promoted_whole_and_a_transfer_waits_for_the_receiving_school);

async fn calibers_move_with_the_date_alone_and_the_refresh_runs_once_a_day(app: TestApp) {
    let at = placement(&app);
    let child = create(
        &app,
        "teacher1",
        at,
        &file("王芳", &id_number("20110601", "102")),
    )
    .unwrap();
    let teacher = scope_of(&app, "teacher1");
    let key = app.store.key();
    let before = app
        .store
        .with_conn(|c| children::summary_of(c, &teacher, child))
        .unwrap();
    assert!(before.lb_mca, "fifteen, both parents away");
    let sixteen = chrono::NaiveDate::from_ymd_opt(2027, 6, 1).unwrap();
    let changed = app
        .store
        .with_conn(|c| children::refresh_calibers(c, &key, sixteen))
        .unwrap();
    assert_eq!(changed, 1);
    let after = app
        .store
        .with_conn(|c| children::summary_of(c, &teacher, child))
        .unwrap();
    assert!(!after.lb_mca, "no longer under sixteen on the birthday");
    assert_eq!(after.lb_as_of, "2027-06-01");
    assert_eq!(after.lb_xueji, before.lb_xueji, "学籍 has no age limit");
    let again = app
        .store
        .with_conn(|c| children::refresh_calibers(c, &key, sixteen))
        .unwrap();
    assert_eq!(again, 0, "a second run the same day changes nothing");
}
both_dbs!(calibers_move_with_the_date_alone_and_the_refresh_runs_once_a_day);

//! Scope in the storage layer: each demo role sees exactly its subtree, and managers act only
//! inside theirs. Sessions expire when idle and at their absolute limit.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use shouhu_domain::{RegionCode, Role};
use shouhu_store::users::{self, UserInput};
use shouhu_store::{Scope, StoreError, auth, classes, schools};

fn scope_of(app: &TestApp, username: &str) -> Scope {
    app.store
        .with_conn(|c| {
            let user = users::find_for_login(c, username)?.unwrap();
            users::scope_for(c, &user, None)
        })
        .unwrap()
}

fn school_codes(app: &TestApp, scope: &Scope) -> Vec<String> {
    let list = app
        .store
        .with_conn(|c| schools::list(c, scope, &Default::default()))
        .unwrap();
    list.into_iter().map(|s| s.code).collect()
}

async fn each_role_sees_exactly_its_subtree(app: TestApp) {
    let all: Vec<String> = (1..=10).map(|n| format!("52240100{n:02}")).collect();
    assert_eq!(school_codes(&app, &scope_of(&app, "admin")), all);
    assert_eq!(school_codes(&app, &scope_of(&app, "bureau")), all);
    // 梨树镇 holds the nine-year school at the township and the village school of 小屯沟村.
    assert_eq!(
        school_codes(&app, &scope_of(&app, "minzheng")),
        ["5224010004", "5224010005"]
    );
    assert_eq!(
        school_codes(&app, &scope_of(&app, "director")),
        ["5224010005"]
    );
    for school_staff in ["principal", "teacher1", "teacher2"] {
        assert_eq!(
            school_codes(&app, &scope_of(&app, school_staff)),
            ["5224010004"],
            "{school_staff}"
        );
    }

    let principal = scope_of(&app, "principal");
    let school_id = principal.school.unwrap();
    let all_classes = app
        .store
        .with_conn(|c| classes::list(c, &principal, school_id))
        .unwrap();
    assert!(all_classes.len() > 1);
    let teacher = scope_of(&app, "teacher1");
    let own = app
        .store
        .with_conn(|c| classes::list(c, &teacher, school_id))
        .unwrap();
    assert_eq!(own.len(), 1, "a head teacher sees only their class");
    let other = all_classes
        .iter()
        .find(|c| c.class.id != own[0].class.id)
        .unwrap();
    let denied = app
        .store
        .with_conn(|c| classes::get(c, &teacher, other.class.id));
    assert!(matches!(denied, Err(StoreError::NotFound)));
    let other_school = app
        .store
        .with_conn(|c| schools::list(c, &scope_of(&app, "bureau"), &Default::default()))
        .unwrap()
        .into_iter()
        .find(|s| s.id != school_id)
        .unwrap();
    let denied = app
        .store
        .with_conn(|c| schools::get(c, &teacher, other_school.id));
    assert!(matches!(denied, Err(StoreError::NotFound)));
}
both_dbs!(each_role_sees_exactly_its_subtree);

async fn a_township_officer_cannot_create_a_user_above_the_township(app: TestApp) {
    let township = RegionCode::parse("520502101000").unwrap();
    let input = |name: &str, region: &str, role: Role| UserInput {
        username: name.to_owned(),
        display_name: name.to_owned(),
        role,
        region: RegionCode::parse(region).unwrap(),
        school_id: None,
    };
    let officer = app
        .store
        .with_conn(|c| {
            users::create(
                c,
                &scope_of(&app, "bureau"),
                input("lishu", township.as_str(), Role::Bureau),
                "x",
            )
        })
        .unwrap();
    assert!(
        officer.must_change_password,
        "an account made by a manager must change its password"
    );
    let scope = scope_of(&app, "lishu");
    let above = app.store.with_conn(|c| {
        users::create(
            c,
            &scope,
            input("up", "520502000000", Role::CivilAffairs),
            "x",
        )
    });
    assert!(
        matches!(above, Err(StoreError::Forbidden("user.outside_scope"))),
        "{above:?}"
    );
    let sideways = app.store.with_conn(|c| {
        users::create(
            c,
            &scope,
            input("side", "520502102000", Role::CivilAffairs),
            "x",
        )
    });
    assert!(matches!(
        sideways,
        Err(StoreError::Forbidden("user.outside_scope"))
    ));
    let admin = app.store.with_conn(|c| {
        users::create(
            c,
            &scope,
            input("boss", "520502101000", Role::SystemAdmin),
            "x",
        )
    });
    assert!(matches!(admin, Err(StoreError::Forbidden("user.grant"))));
    let inside = app.store.with_conn(|c| {
        users::create(
            c,
            &scope,
            input("cun", "520502101205", Role::ChildDirector),
            "x",
        )
    });
    assert!(inside.is_ok(), "{inside:?}");
    assert!(
        app.store
            .with_conn(|c| users::find_for_login(c, "up"))
            .unwrap()
            .is_none()
    );
}
both_dbs!(a_township_officer_cannot_create_a_user_above_the_township);

async fn sessions_expire_when_idle_and_at_their_limit(app: TestApp) {
    let policy = auth::SessionPolicy {
        idle_ms: 120_000,
        absolute_ms: 300_000,
    };
    let user = app.user_id("teacher1");
    let start = 1_000_000;
    let new_session = || {
        let (_, hash) = auth::new_secret();
        app.store
            .with_conn(|c| auth::create_session(c, user, &hash, "t", start, policy))
            .unwrap();
        hash
    };
    let alive = |hash: &str, now: i64| {
        app.store
            .with_conn(|c| auth::active_session(c, hash, now, policy))
            .unwrap()
            .is_some()
    };
    let idle = new_session();
    assert!(
        !alive(&idle, start + 121_000),
        "idle for longer than the idle limit"
    );
    let busy = new_session();
    assert!(alive(&busy, start + 100_000));
    assert!(
        alive(&busy, start + 210_000),
        "the request at +100 s refreshed the idle clock"
    );
    assert!(
        !alive(&busy, start + 301_000),
        "past the absolute limit, however busy"
    );
}
both_dbs!(sessions_expire_when_idle_and_at_their_limit);

async fn migrations_revert_and_reapply_cleanly(app: TestApp) {
    // Each down.sql must undo its up.sql on both dialects, demo data and all.
    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    let reverted = shouhu_store::revert_migrations(&mut conn).unwrap();
    assert!(reverted >= 1);
    let reapplied = shouhu_store::run_migrations(&mut conn).unwrap();
    assert_eq!(reapplied, reverted);
}
both_dbs!(migrations_revert_and_reapply_cleanly);

async fn roles_change_only_what_their_role_allows(app: TestApp) {
    use shouhu_domain::SchoolKind;
    let input = schools::SchoolInput {
        code: "5224019999".to_owned(),
        name: "梨树镇新建小学".to_owned(),
        region: RegionCode::parse("520502101000").unwrap(),
        kind: SchoolKind::Primary,
        boarding: false,
        hotline: None,
        address: None,
    };
    // The 民政 officer, child director and volunteer can see schools in reach but not run them.
    for name in ["minzheng", "volunteer", "principal", "teacher1"] {
        let scope = scope_of(&app, name);
        let denied = app.store.with_conn(|c| schools::create(c, &scope, &input));
        assert!(
            matches!(denied, Err(StoreError::Forbidden(_))),
            "{name}: {denied:?}"
        );
    }
    let new_village = |code: &str| shouhu_store::regions::NewRegion {
        code: RegionCode::parse(code).unwrap(),
        name: "新村".to_owned(),
    };
    let by_teacher = app.store.with_conn(|c| {
        shouhu_store::regions::create(c, &scope_of(&app, "teacher1"), new_village("520502101399"))
    });
    assert!(
        matches!(by_teacher, Err(StoreError::Forbidden("region.manage"))),
        "{by_teacher:?}"
    );
    let by_officer = app.store.with_conn(|c| {
        shouhu_store::regions::create(c, &scope_of(&app, "minzheng"), new_village("520502101399"))
    });
    assert!(by_officer.is_ok(), "{by_officer:?}");
    let created = app
        .store
        .with_conn(|c| schools::create(c, &scope_of(&app, "bureau"), &input));
    assert!(created.is_ok(), "{created:?}");
}
both_dbs!(roles_change_only_what_their_role_allows);

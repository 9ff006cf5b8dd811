//! The demo county's children (`serve --demo`): created through the store like typed-in files,
//! in every class of the demo schools, with ages that fit the class and ID numbers that agree
//! with the birth dates; and never loaded by the test harness.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use shouhu_domain::{age_on, today_shanghai};
use shouhu_store::children::{self, ChildFilter, ChildSummary};
use shouhu_store::{Scope, users};

fn everything(app: &TestApp, scope: &Scope) -> Vec<ChildSummary> {
    let mut filter = ChildFilter {
        limit: Some(500),
        ..Default::default()
    };
    let mut all = Vec::new();
    loop {
        let page = app
            .store
            .with_conn(|c| children::list(c, scope, &filter))
            .unwrap();
        all.extend(page.items);
        match page.next {
            Some(next) => filter.after = Some(next),
            None => return all,
        }
    }
}

async fn demo_children_fill_the_classes(app: TestApp) {
    let op = Scope::local_operator();
    assert!(
        everything(&app, &op).is_empty(),
        "the harness loads the county without children"
    );

    let loaded = shouhu::demo::load_children(&app.store).unwrap();
    let all = everything(&app, &op);
    assert_eq!(all.len(), loaded);
    assert!(loaded > 1000, "{loaded} children");

    let teacher = app
        .store
        .with_conn(|c| {
            let user = users::find_for_login(c, "teacher1")?.unwrap();
            users::scope_for(c, &user, None)
        })
        .unwrap();
    let class = everything(&app, &teacher);
    assert!(
        (25..=40).contains(&class.len()),
        "teacher1's class holds {} children",
        class.len()
    );
    let own = teacher.classes.clone().unwrap();
    assert!(class.iter().all(|c| own.contains(&c.class_id.unwrap())));

    let today = today_shanghai();
    let key = app.store.key();
    for summary in &all {
        let (_, file) = app
            .store
            .with_conn(|c| children::file_for(c, &op, &key, summary.id, "test.check"))
            .unwrap();
        let id = file.id_number.as_ref().expect("an ID number");
        assert_eq!(id.birth_date(), file.birth_date, "{}", summary.id);
        assert_eq!(id.sex(), file.sex, "{}", summary.id);
        assert!(file.residence_region.as_str().starts_with("520502"));
        let grade = summary.class_grade.unwrap();
        let age = age_on(file.birth_date, today);
        let youngest = u32::try_from(5 + grade).unwrap().max(3);
        assert!(
            (youngest..=youngest + 1).contains(&age),
            "aged {age} in grade {grade}"
        );
    }
}

both_dbs!(demo_children_fill_the_classes);

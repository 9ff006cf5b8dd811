//! The region, school and class pages over HTTP on both databases: who may change what, field
//! errors in Chinese that keep what was typed, stale edits, confirmations and the CSRF token.

mod common;

use common::TestApp;
use reqwest::StatusCode;
use shouhu_domain::{RegionCode, SchoolYear, today_shanghai};
use shouhu_store::classes::{self, ClassView};
use shouhu_store::schools::{self, School, SchoolFilter};
use shouhu_store::{Scope, StoreError, regions};

const LISHU_SCHOOL: &str = "梨树镇九年一贯制学校";
const OTHER_SCHOOL: &str = "鸭池镇中心小学";

fn all_schools(app: &TestApp) -> Vec<School> {
    app.store
        .with_conn(|c| schools::list(c, &Scope::local_operator(), &SchoolFilter::default()))
        .expect("store")
}

fn school_named(app: &TestApp, name: &str) -> School {
    all_schools(app)
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("school {name}"))
}

fn school_coded(app: &TestApp, code: &str) -> Option<School> {
    all_schools(app).into_iter().find(|s| s.code == code)
}

fn classes_of(app: &TestApp, school_id: i64) -> Vec<ClassView> {
    app.store
        .with_conn(|c| classes::list(c, &Scope::local_operator(), school_id))
        .expect("store")
}

fn region_exists(app: &TestApp, code: &str) -> Option<String> {
    let code = RegionCode::parse(code).expect("a region code");
    match app
        .store
        .with_conn(|c| regions::get(c, &Scope::local_operator(), &code))
    {
        Ok(r) => Some(r.name),
        Err(StoreError::NotFound) => None,
        Err(e) => panic!("{e}"),
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The class teacher1 heads (the demo makes them head of one grade-1 class).
fn own_class(app: &TestApp) -> ClassView {
    let teacher = app.user_id("teacher1");
    let school = school_named(app, LISHU_SCHOOL);
    classes_of(app, school.id)
        .into_iter()
        .find(|c| c.head_teachers.iter().any(|h| h.user_id == teacher))
        .expect("teacher1 heads a class")
}

const NEW_SCHOOL: [(&str, &str); 7] = [
    ("code", "5224019901"),
    ("name", "梨树镇新建小学"),
    ("region", "520502101000"),
    ("kind", "primary"),
    ("boarding", "on"),
    ("hotline", "0857 1234567"),
    ("address", "梨树镇街上 1 号"),
];

async fn bureau_creates_lists_and_edits_a_school(app: TestApp) {
    let bureau = app.login("bureau").await;
    let (status, html) = bureau.get_text("/schools/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("新增学校"));
    assert!(
        html.contains(r#"<option value="520502101000">梨树镇</option>"#),
        "townships of the county are offered"
    );
    assert!(
        html.contains("梨树镇 · 小屯沟村"),
        "villages carry their township"
    );
    let csrf = bureau.csrf("/schools/new").await;

    let r = bureau.post_form("/schools", &csrf, &NEW_SCHOOL).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let school = school_coded(&app, "5224019901").expect("stored");
    assert_eq!(location(&r), format!("/schools/{}?done=created", school.id));
    assert_eq!(school.name, "梨树镇新建小学");
    assert_eq!(school.region_code, "520502101000");
    assert_eq!(school.kind, "primary");
    assert!(school.boarding);
    assert_eq!(school.hotline.as_deref(), Some("0857-1234567"));
    assert_eq!(school.address.as_deref(), Some("梨树镇街上 1 号"));

    let (status, html) = bureau.get_text(&location(&r)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("已创建") && html.contains("0857-1234567"));
    assert!(
        html.contains("七星关区 / 梨树镇"),
        "the place from the county down"
    );

    let (status, html) = bureau.get_text("/schools").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("梨树镇新建小学") && html.contains("七星关区第一小学"));
    assert!(html.contains("寄宿制") && html.contains("小学"));
    let (_, html) = bureau.get_text("/schools?q=%E6%96%B0%E5%BB%BA").await;
    assert!(html.contains("梨树镇新建小学") && !html.contains("七星关区第一小学"));
    let (_, html) = bureau.get_text("/schools?region=520502102000").await;
    assert!(html.contains("岔河镇中学") && !html.contains("梨树镇新建小学"));

    let edit = format!("/schools/{}/edit", school.id);
    let (status, html) = bureau.get_text(&edit).await;
    assert_eq!(status, StatusCode::OK);
    let version_field = format!(r#"name="version" value="{}""#, school.version);
    assert!(
        html.contains(&version_field),
        "the edit form carries the version"
    );
    assert!(html.contains(r#"value="梨树镇新建小学""#));

    let version = school.version.to_string();
    let mut fields = NEW_SCHOOL.to_vec();
    fields[1] = ("name", "梨树镇第二小学");
    fields.push(("version", &version));
    let r = bureau
        .post_form(&format!("/schools/{}", school.id), &csrf, &fields)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/schools/{}?done=saved", school.id));
    let saved = school_coded(&app, "5224019901").expect("still there");
    assert_eq!(saved.name, "梨树镇第二小学");
    assert_eq!(saved.version, school.version + 1);

    // A second save from the same stale form must not overwrite the first.
    fields[1] = ("name", "过期的名字");
    let r = bureau
        .post_form(&format!("/schools/{}", school.id), &csrf, &fields)
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("已被他人修改"), "the conflict is explained");
    assert!(
        html.contains("梨树镇第二小学"),
        "what is stored now is shown"
    );
    assert!(
        html.contains(r#"value="过期的名字""#),
        "what was typed is kept"
    );
    let after = school_coded(&app, "5224019901").expect("still there");
    assert_eq!(
        (after.name.as_str(), after.version),
        ("梨树镇第二小学", saved.version)
    );
}
both_dbs!(bureau_creates_lists_and_edits_a_school);

async fn invalid_school_input_is_shown_again_with_chinese_field_errors(app: TestApp) {
    let bureau = app.login("bureau").await;
    let csrf = bureau.csrf("/schools/new").await;
    let before = all_schools(&app).len();
    let fields = [
        ("code", "5224019902"),
        ("name", "  "),
        ("region", "520102000000"),
        ("kind", "primary"),
        ("hotline", "123"),
        ("address", "贵阳市云岩区某路"),
    ];
    let r = bureau.post_form("/schools", &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("请填写学校名称。"), "empty name");
    assert!(
        html.contains("该区划不在您的管辖范围内。"),
        "贵阳 is outside"
    );
    assert!(
        html.contains("手机号应为 1 开头的 11 位数字。"),
        "bad hotline"
    );
    assert!(html.contains(r#"class="field-error""#));
    assert!(html.contains(r#"value="5224019902""#), "the code is kept");
    assert!(html.contains(r#"value="123""#), "the hotline is kept");
    assert!(
        html.contains(r#"value="贵阳市云岩区某路""#),
        "the address is kept"
    );
    assert_eq!(all_schools(&app).len(), before, "nothing stored");

    // A county is not a place for a school, and a code already taken is refused by field.
    let fields = [
        ("code", "5224010001"),
        ("name", "重复的学校"),
        ("region", "520502000000"),
        ("kind", "primary"),
    ];
    let r = bureau.post_form("/schools", &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("学校须设在乡镇"));
    let fields = [
        ("code", "5224010001"),
        ("name", "重复的学校"),
        ("region", "520502101000"),
        ("kind", "primary"),
    ];
    let r = bureau.post_form("/schools", &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("该学校标识码已被其他学校使用。"));
    assert!(html.contains(r#"value="重复的学校""#));
    assert_eq!(all_schools(&app).len(), before, "still nothing stored");
}
both_dbs!(invalid_school_input_is_shown_again_with_chinese_field_errors);

async fn principal_creates_a_class_headed_by_teacher1(app: TestApp) {
    let school = school_named(&app, LISHU_SCHOOL);
    let teacher1 = app.user_id("teacher1");
    let principal = app.login("principal").await;
    let new = format!("/schools/{}/classes/new", school.id);
    let (status, html) = principal.get_text(&new).await;
    assert_eq!(status, StatusCode::OK);
    let year = SchoolYear::containing(today_shanghai()).to_string();
    assert!(html.contains(&format!(r#"<option value="{year}" selected>"#)));
    assert!(html.contains("龙老师（班主任）") && html.contains("吴老师（任课教师）"));
    assert!(html.contains(">九年级<") && !html.contains(">高一<") && !html.contains(">小班<"));

    let csrf = principal.csrf(&new).await;
    let teacher = teacher1.to_string();
    let post = format!("/schools/{}/classes", school.id);
    let fields = [
        ("school_year", year.as_str()),
        ("grade", "7"),
        ("name", "七年级（1）班"),
        ("head_teachers", teacher.as_str()),
    ];
    let r = principal.post_form(&post, &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let class = classes_of(&app, school.id)
        .into_iter()
        .find(|c| c.class.name == "七年级（1）班")
        .expect("stored");
    assert_eq!(
        location(&r),
        format!("/classes/{}?done=created", class.class.id)
    );
    assert_eq!(class.class.grade, 7);
    let heads: Vec<i64> = class.head_teachers.iter().map(|h| h.user_id).collect();
    assert_eq!(heads, [teacher1]);

    let teacher = app.login("teacher1").await;
    let (status, html) = teacher
        .get_text(&format!("/classes/{}", class.class.id))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the new class is in teacher1's reach"
    );
    assert!(html.contains("七年级") && html.contains(&year) && html.contains("龙老师"));

    // Grades the school does not teach, and an empty name, are refused by field.
    let fields = [
        ("school_year", year.as_str()),
        ("grade", "10"),
        ("name", ""),
    ];
    let r = principal.post_form(&post, &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("该学校不设此年级。"));
    assert!(html.contains("请填写班级名称。"));
    let fields = [
        ("school_year", year.as_str()),
        ("grade", "7"),
        ("name", "七年级（1）班"),
    ];
    let r = principal.post_form(&post, &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("本校该学年已有同名班级。")
    );

    // The principal runs classes, not schools.
    let (status, _) = principal.get_text("/schools/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let before = all_schools(&app).len();
    let r = principal.post_form("/schools", &csrf, &NEW_SCHOOL).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(all_schools(&app).len(), before);
    let other = school_named(&app, OTHER_SCHOOL);
    let (status, _) = principal.get_text(&format!("/schools/{}", other.id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
both_dbs!(principal_creates_a_class_headed_by_teacher1);

async fn a_head_teacher_reaches_only_their_own_class(app: TestApp) {
    let own = own_class(&app);
    let school = school_named(&app, LISHU_SCHOOL);
    let sibling = classes_of(&app, school.id)
        .into_iter()
        .find(|c| c.class.id != own.class.id)
        .expect("a second class");
    let other_school = school_named(&app, OTHER_SCHOOL);
    let foreign = classes_of(&app, other_school.id).remove(0);
    let teacher = app.login("teacher1").await;

    let (status, html) = teacher
        .get_text(&format!("/classes/{}", own.class.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    let year = SchoolYear::new(own.class.school_year).to_string();
    assert!(html.contains(&own.class.name) && html.contains(&year));
    assert!(html.contains("一年级") && html.contains(LISHU_SCHOOL));
    let (status, _) = teacher
        .get_text(&format!("/classes/{}", sibling.class.id))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another class of the same school"
    );
    let (status, _) = teacher
        .get_text(&format!("/classes/{}", foreign.class.id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a class of another school");
    let (status, _) = teacher
        .get_text(&format!("/classes/{}/edit", sibling.class.id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = teacher
        .get_text(&format!("/schools/{}", other_school.id))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, html) = teacher.get_text(&format!("/schools/{}", school.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/classes/{}", own.class.id)));
    assert!(
        !html.contains(&format!("/classes/{}\"", sibling.class.id)),
        "only their class"
    );
    assert!(!html.contains("新增班级"));
    let (_, html) = teacher.get_text("/schools").await;
    assert!(html.contains(LISHU_SCHOOL) && !html.contains(OTHER_SCHOOL));

    // They may correct their own class but not open or close classes.
    let (status, _) = teacher
        .get_text(&format!("/schools/{}/classes/new", school.id))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, html) = teacher
        .get_text(&format!("/classes/{}/edit", own.class.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("龙老师（班主任）") && !html.contains("吴老师"),
        "only current heads"
    );
    let csrf = teacher.csrf("/").await;
    let r = teacher
        .post_form(&format!("/classes/{}/delete", sibling.class.id), &csrf, &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = teacher
        .post_form(&format!("/classes/{}/delete", own.class.id), &csrf, &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(classes_of(&app, school.id).len(), 12, "nothing deleted");

    let version = own.class.version.to_string();
    let own_year = own.class.school_year.to_string();
    let (grade, me) = (
        own.class.grade.to_string(),
        app.user_id("teacher1").to_string(),
    );
    let teacher2 = app.user_id("teacher2").to_string();
    let edit = format!("/classes/{}", own.class.id);
    let mut fields = vec![
        ("version", version.as_str()),
        ("school_year", own_year.as_str()),
        ("grade", grade.as_str()),
        ("name", "一年级（1）班·春芽"),
        ("head_teachers", me.as_str()),
        ("head_teachers", teacher2.as_str()),
    ];
    let r = teacher.post_form(&edit, &csrf, &fields).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "cannot add another head"
    );
    fields.pop();
    let r = teacher.post_form(&edit, &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = own_class(&app);
    assert_eq!(saved.class.name, "一年级（1）班·春芽");
    assert_eq!(saved.class.version, own.class.version + 1);
    let r = teacher.post_form(&edit, &csrf, &fields).await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "the same stale form again"
    );
    assert_eq!(own_class(&app).class.version, saved.class.version);
}
both_dbs!(a_head_teacher_reaches_only_their_own_class);

async fn form_posts_without_the_token_are_refused(app: TestApp) {
    let bureau = app.login("bureau").await;
    let before = all_schools(&app).len();
    let r = bureau.post_form("/schools", "", &NEW_SCHOOL).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = bureau
        .post_form("/schools", "not-the-token", &NEW_SCHOOL)
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(all_schools(&app).len(), before);
    assert!(school_coded(&app, "5224019901").is_none());

    let fields = [
        ("parent", "520502101000"),
        ("code", "520502101299"),
        ("name", "无令牌村"),
    ];
    let r = bureau.post_form("/regions", "", &fields).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(region_exists(&app, "520502101299"), None);
    let school = school_named(&app, "七星关区第一小学");
    let r = bureau
        .post_form(&format!("/schools/{}/delete", school.id), "", &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(all_schools(&app).len(), before);
}
both_dbs!(form_posts_without_the_token_are_refused);

async fn regions_are_browsed_and_added_inside_scope(app: TestApp) {
    let bureau = app.login("bureau").await;
    let (status, html) = bureau.get_text("/regions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("七星关区") && html.contains("贵州省") && html.contains("毕节市"));
    assert!(
        html.contains(r#"href="/regions?parent=520502101000""#),
        "townships link down"
    );
    assert!(
        !html.contains(r#"href="/regions?parent=520500000000""#),
        "no link above the root"
    );
    assert!(
        !html.contains("修改本区划名称"),
        "the own root is not renamed here"
    );

    let (status, html) = bureau.get_text("/regions?parent=520502101000").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("小屯沟村") && html.contains("新增下级区划"));
    assert!(
        html.contains(r#"href="/regions/520502101206/delete""#)
            && !html.contains(r#"href="/regions/520502101205/delete""#),
        "only a village with nothing under it offers deletion"
    );
    assert!(
        html.contains(r#"<a href="/schools?region=520502101205">1</a>"#),
        "its school"
    );
    assert!(
        html.contains(r#"href="/regions?parent=520502000000""#),
        "crumb to the county"
    );

    let csrf = bureau.csrf("/regions").await;
    let fields = [
        ("parent", "520502101000"),
        ("code", "520502101299"),
        ("name", "测试村"),
    ];
    let r = bureau.post_form("/regions", &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/regions?parent=520502101000&done=created");
    assert_eq!(
        region_exists(&app, "520502101299").as_deref(),
        Some("测试村")
    );
    let (_, html) = bureau.get_text(&location(&r)).await;
    assert!(html.contains("测试村") && html.contains("已创建"));

    // Refused by field: a code not directly under the node, an empty name, a taken code.
    let fields = [
        ("parent", "520502101000"),
        ("code", "520502102298"),
        ("name", ""),
    ];
    let r = bureau.post_form("/regions", &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("该代码不是本区划的直接下级") && html.contains("请填写区划名称。"));
    assert!(html.contains(r#"value="520502102298""#));
    assert_eq!(region_exists(&app, "520502102298"), None);
    let fields = [
        ("parent", "520502101000"),
        ("code", "520502101299"),
        ("name", "又一个测试村"),
    ];
    let r = bureau.post_form("/regions", &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("该区划代码已经存在。")
    );
    assert_eq!(
        region_exists(&app, "520502101299").as_deref(),
        Some("测试村")
    );

    // Rename.
    let r = bureau
        .post_form("/regions/520502101299", &csrf, &[("name", "测试新村")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        region_exists(&app, "520502101299").as_deref(),
        Some("测试新村")
    );
    let r = bureau
        .post_form("/regions/520502101299", &csrf, &[("name", "")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        region_exists(&app, "520502101299").as_deref(),
        Some("测试新村")
    );

    // The township officer works in their own township only.
    let minzheng = app.login("minzheng").await;
    let csrf = minzheng.csrf("/regions").await;
    let fields = [
        ("parent", "520502102000"),
        ("code", "520502102299"),
        ("name", "别的乡镇的村"),
    ];
    let r = minzheng.post_form("/regions", &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(region_exists(&app, "520502102299"), None);
    let (status, _) = minzheng.get_text("/regions?parent=520502102000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = minzheng
        .post_form("/regions/520502101000", &csrf, &[("name", "改名镇")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "not their own root");
    assert_eq!(
        region_exists(&app, "520502101000").as_deref(),
        Some("梨树镇")
    );
    let fields = [
        ("parent", "520502101000"),
        ("code", "520502101298"),
        ("name", "梨树镇新村"),
    ];
    let r = minzheng.post_form("/regions", &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        region_exists(&app, "520502101298").as_deref(),
        Some("梨树镇新村")
    );

    // School staff look but do not administer regions.
    let principal = app.login("principal").await;
    let (status, html) = principal.get_text("/regions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("梨树镇") && !html.contains("新增下级区划"));
    let csrf = principal.csrf("/regions").await;
    let fields = [
        ("parent", "520502101000"),
        ("code", "520502101297"),
        ("name", "校长加的村"),
    ];
    let r = principal.post_form("/regions", &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(region_exists(&app, "520502101297"), None);
}
both_dbs!(regions_are_browsed_and_added_inside_scope);

async fn deleting_needs_the_confirming_post_and_spares_what_is_in_use(app: TestApp) {
    let bureau = app.login("bureau").await;
    let csrf = bureau.csrf("/regions").await;
    let fields = [
        ("parent", "520502101000"),
        ("code", "520502101299"),
        ("name", "待删村"),
    ];
    let r = bureau.post_form("/regions", &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let (status, html) = bureau.get_text("/regions/520502101299/delete").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("确定要删除") && html.contains("待删村（520502101299）"));
    assert!(html.contains(r#"action="/regions/520502101299/delete""#));
    assert!(
        region_exists(&app, "520502101299").is_some(),
        "asking deletes nothing"
    );
    let r = bureau
        .post_form("/regions/520502101299/delete", &csrf, &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/regions?parent=520502101000&done=deleted");
    assert_eq!(region_exists(&app, "520502101299"), None);

    // 小屯沟村 has a school and the child director: refused, and it stays.
    let r = bureau
        .post_form("/regions/520502101205/delete", &csrf, &[])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("该区划下还有下级区划、学校或用户，不能删除。")
    );
    assert_eq!(
        region_exists(&app, "520502101205").as_deref(),
        Some("小屯沟村")
    );
    let (status, _) = bureau.get_text("/regions/520502000000/delete").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not the own root");

    // Schools: one with classes stays; a new empty one goes after confirmation.
    let lishu = school_named(&app, LISHU_SCHOOL);
    let r = bureau
        .post_form(&format!("/schools/{}/delete", lishu.id), &csrf, &[])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("该学校还有班级或教职工，不能删除。")
    );
    assert!(school_coded(&app, &lishu.code).is_some());
    let r = bureau.post_form("/schools", &csrf, &NEW_SCHOOL).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let fresh = school_coded(&app, "5224019901").expect("stored");
    let (status, html) = bureau
        .get_text(&format!("/schools/{}/delete", fresh.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("梨树镇新建小学"));
    assert!(school_coded(&app, "5224019901").is_some());
    let r = bureau
        .post_form(&format!("/schools/{}/delete", fresh.id), &csrf, &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/schools?done=deleted");
    assert!(school_coded(&app, "5224019901").is_none());

    // Classes: the principal closes one of their school's classes after confirmation.
    let principal = app.login("principal").await;
    let class = classes_of(&app, lishu.id).pop().expect("a class");
    let confirm = format!("/classes/{}/delete", class.class.id);
    let (status, html) = principal.get_text(&confirm).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&class.class.name));
    assert_eq!(classes_of(&app, lishu.id).len(), 12);
    let csrf = principal.csrf(&confirm).await;
    let r = principal.post_form(&confirm, &csrf, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/schools/{}?done=deleted", lishu.id));
    assert_eq!(classes_of(&app, lishu.id).len(), 11);
}
both_dbs!(deleting_needs_the_confirming_post_and_spares_what_is_in_use);

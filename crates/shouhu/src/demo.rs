//! `serve --demo`: a demo county (贵州省毕节市七星关区, real region codes) with ten schools, their
//! classes, one account per role and a few thousand synthetic child files, loaded into an empty
//! database so a newcomer can look around.

use std::ops::RangeInclusive;

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shouhu_domain::{
    Grade, Password, RegionCode, RegionLevel, Role, SchoolKind, SchoolYear, hash_password,
    today_shanghai,
};
use shouhu_store::children::{self, Placement};
use shouhu_store::classes::{self, ClassInput};
use shouhu_store::crypto::DeploymentKey;
use shouhu_store::regions::{self, NewRegion};
use shouhu_store::schools::{self, SchoolInput};
use shouhu_store::users::{self, UserInput};
use shouhu_store::{Conn, Scope, Store, StoreError, StoreResult};
use shouhu_synth::{Generator, Setting};

pub const COUNTY: &str = "520502000000";
pub const DEMO_PASSWORD: &str = "shouhu2026";

/// Real villages (NBS 2022) under the demo townships; the national table stops at townships.
const VILLAGES: [(&str, &str); 4] = [
    ("520502101205", "小屯沟村"),
    ("520502101206", "上小河村"),
    ("520502102200", "塘丰村"),
    ("520502102203", "亦乐村"),
];

/// (code, name, township or village, kind, boarding)
const SCHOOLS: [(&str, &str, &str, SchoolKind, bool); 10] = [
    (
        "5224010001",
        "七星关区第一小学",
        "520502001000",
        SchoolKind::Primary,
        false,
    ),
    (
        "5224010002",
        "七星关区第三中学",
        "520502002000",
        SchoolKind::Junior,
        true,
    ),
    (
        "5224010003",
        "鸭池镇中心小学",
        "520502100000",
        SchoolKind::Primary,
        false,
    ),
    (
        "5224010004",
        "梨树镇九年一贯制学校",
        "520502101000",
        SchoolKind::NineYear,
        true,
    ),
    (
        "5224010005",
        "梨树镇小屯沟村小学",
        "520502101205",
        SchoolKind::Primary,
        false,
    ),
    (
        "5224010006",
        "岔河镇中学",
        "520502102000",
        SchoolKind::Junior,
        true,
    ),
    (
        "5224010007",
        "岔河镇塘丰村小学",
        "520502102200",
        SchoolKind::Primary,
        false,
    ),
    (
        "5224010008",
        "朱昌镇中心幼儿园",
        "520502103000",
        SchoolKind::Kindergarten,
        false,
    ),
    (
        "5224010009",
        "千溪彝族苗族白族乡民族学校",
        "520502200000",
        SchoolKind::NineYear,
        true,
    ),
    (
        "5224010010",
        "阴底彝族苗族白族乡中学",
        "520502201000",
        SchoolKind::Junior,
        true,
    ),
];

struct DemoUser {
    username: &'static str,
    name: &'static str,
    role: Role,
    region: &'static str,
    school: Option<usize>,
}

const USERS: [DemoUser; 8] = [
    DemoUser {
        username: "admin",
        name: "系统管理员",
        role: Role::SystemAdmin,
        region: "520000000000",
        school: None,
    },
    DemoUser {
        username: "bureau",
        name: "七星关区教育局 王科长",
        role: Role::Bureau,
        region: COUNTY,
        school: None,
    },
    DemoUser {
        username: "minzheng",
        name: "梨树镇儿童督导员 李娟",
        role: Role::CivilAffairs,
        region: "520502101000",
        school: None,
    },
    DemoUser {
        username: "director",
        name: "小屯沟村儿童主任 杨秀英",
        role: Role::ChildDirector,
        region: "520502101205",
        school: None,
    },
    DemoUser {
        username: "principal",
        name: "梨树镇九年一贯制学校 陈校长",
        role: Role::Principal,
        region: "",
        school: Some(3),
    },
    DemoUser {
        username: "teacher1",
        name: "龙老师（班主任）",
        role: Role::HeadTeacher,
        region: "",
        school: Some(3),
    },
    DemoUser {
        username: "teacher2",
        name: "吴老师（任课教师）",
        role: Role::Teacher,
        region: "",
        school: Some(3),
    },
    DemoUser {
        username: "volunteer",
        name: "爱心妈妈 张华",
        role: Role::Volunteer,
        region: "520502101000",
        school: None,
    },
];

fn code(s: &str) -> StoreResult<RegionCode> {
    RegionCode::parse(s).map_err(|_| shouhu_store::StoreError::Seed(s.to_owned()))
}

/// Seed of the demo county's children: every fresh demo shows the same files.
pub const CHILDREN_SEED: u64 = 520_502;

/// Children per demo class, drawn from the same seed.
const CLASS_SIZES: RangeInclusive<usize> = 25..=40;

/// Loads the demo county unless the database already has users, then prints the accounts. The
/// child files come only with a fresh county, never into a database that was in use.
pub fn load_if_empty(store: &Store) -> anyhow::Result<()> {
    if load_quietly(store)? {
        let started = std::time::Instant::now();
        store
            .with_conn(|conn| save_calendar(conn, SchoolYear::containing(today_shanghai())))
            .context("saving the demo calendar")?;
        let loaded = load_children(store)?;
        let today = today_shanghai();
        store
            .with_conn(|conn| roll_calls(conn, today))
            .context("the demo roll calls")?;
        store
            .with_conn(|conn| shouhu_store::duties::run_daily(conn, today))
            .context("the first duty run")?;
        println!(
            "演示儿童档案 / demo child files: {loaded} ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    }
    println!("演示账号 / demo accounts (password 密码: {DEMO_PASSWORD}):");
    for u in &USERS {
        println!("  {:<10} {:<14} {}", u.username, u.role.code(), u.name);
    }
    Ok(())
}

/// Roll calls of teacher1's class for the last ten school days, as the head teacher took them:
/// a pupil on sick leave once, and one who has missed the last five days without excuse, so
/// the demo opens with a 疑似辍学 case to work on.
fn roll_calls(conn: &mut Conn, today: chrono::NaiveDate) -> StoreResult<()> {
    use shouhu_domain::AbsenceKind;
    use shouhu_store::dropout::{self, AbsenceInput, RollCallSubmit};
    let Some(user) = shouhu_store::users::find_for_login(conn, "teacher1")? else {
        return Ok(());
    };
    let teacher = shouhu_store::users::scope_for(conn, &user, None)?;
    let Some(school) = teacher.school else {
        return Ok(());
    };
    let Some(class) = classes::list(conn, &teacher, school)?.into_iter().next() else {
        return Ok(());
    };
    let mut days = Vec::new();
    let mut day = today;
    while days.len() < 10 && today - day < chrono::Duration::days(40) {
        let sheet = dropout::class_sheet(conn, &teacher, class.class.id, day)?;
        if sheet.is_school_day && sheet.children.len() >= 2 {
            days.push(sheet);
        }
        day = day.pred_opt().unwrap_or(day);
    }
    days.reverse();
    let absent_for_good = days.len().saturating_sub(5);
    for (i, sheet) in days.iter().enumerate() {
        let mut absences = Vec::new();
        if i >= absent_for_good {
            absences.push(AbsenceInput {
                child_id: sheet.children[0].child_id,
                kind: AbsenceKind::Unexcused,
                reason: None,
            });
        }
        if i == 2 {
            absences.push(AbsenceInput {
                child_id: sheet.children[1].child_id,
                kind: AbsenceKind::Sick,
                reason: Some("感冒发烧".into()),
            });
        }
        let input = RollCallSubmit {
            class_id: sheet.class_id,
            day: sheet.day,
            absences,
            version: sheet.version,
        };
        dropout::submit(conn, &teacher, &input, today)?;
    }
    Ok(())
}

/// The county's calendar for `year` as a bureau might publish it: terms from 1 September to 20
/// January and 20 February to 5 July, with National Day week, New Year's Day, Qingming and the
/// Labour Day holiday off. Dates are typical, not a given year's State Council notice.
fn save_calendar(conn: &mut Conn, year: SchoolYear) -> StoreResult<()> {
    use shouhu_domain::{Calendar, Holiday, Term};
    let y = year.start_year();
    let day = |y, m, d| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .ok_or_else(|| StoreError::Seed(format!("no date {y}-{m}-{d}")))
    };
    let holiday = |name: &str, start, end| Holiday {
        name: name.to_owned(),
        start,
        end,
    };
    let terms = vec![
        Term {
            number: 1,
            start: day(y, 9, 1)?,
            end: day(y + 1, 1, 20)?,
        },
        Term {
            number: 2,
            start: day(y + 1, 2, 20)?,
            end: day(y + 1, 7, 5)?,
        },
    ];
    let holidays = vec![
        holiday("国庆节", day(y, 10, 1)?, day(y, 10, 7)?),
        holiday("元旦", day(y + 1, 1, 1)?, day(y + 1, 1, 1)?),
        holiday("清明节", day(y + 1, 4, 5)?, day(y + 1, 4, 5)?),
        holiday("劳动节", day(y + 1, 5, 1)?, day(y + 1, 5, 5)?),
    ];
    let calendar = Calendar::new(year, terms, holidays, Vec::new())
        .map_err(|e| StoreError::Seed(e.to_string()))?;
    let county = shouhu_store::calendars::Owner::Region(code(COUNTY)?);
    shouhu_store::calendars::save(conn, &Scope::local_operator(), &county, &calendar, None)?;
    Ok(())
}

/// Loads the demo county into a database without users; returns whether it did.
pub fn load_quietly(store: &Store) -> anyhow::Result<bool> {
    if store.with_conn(users::count)? > 0 {
        return Ok(false);
    }
    let password = Password::parse(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .with_conn(|conn| conn_load(conn, &hash))
        .context("loading the demo county")?;
    Ok(true)
}

/// Fills every class of the demo schools with 25–40 synthetic children from [`CHILDREN_SEED`]:
/// ages that fit the class's grade, living in the villages of the school's township (the
/// township itself where the region table has no villages there). They are created through
/// `children::create` as the local operator, so they are sealed, projected, revised and
/// audited like files typed in by hand. Returns how many were created.
///
/// Tests load the county with [`load_quietly`] alone, so their lists hold only their own files.
pub fn load_children(store: &Store) -> anyhow::Result<usize> {
    let key = store.key();
    store
        .with_conn(|conn| shouhu_store::transaction(conn, |conn| conn_load_children(conn, &key)))
        .context("loading the demo children")
}

fn conn_load_children(conn: &mut Conn, key: &DeploymentKey) -> StoreResult<usize> {
    let op = Scope::local_operator();
    let filter = schools::SchoolFilter {
        region: Some(code(COUNTY)?),
        name_contains: None,
    };
    let in_county = schools::list(conn, &op, &filter)?;
    let mut sizes = StdRng::seed_from_u64(CHILDREN_SEED);
    let mut total = 0;
    for (n, (school_code, ..)) in (0u64..).zip(SCHOOLS) {
        let Some(school) = in_county.iter().find(|s| s.code == school_code) else {
            continue;
        };
        let setting = Setting {
            villages: villages_near(conn, &school.region()?)?,
            today: today_shanghai(),
        };
        let mut generator = Generator::new(CHILDREN_SEED + n, setting);
        for view in classes::list(conn, &op, school.id)? {
            let at = Placement {
                school_id: school.id,
                class_id: Some(view.class.id),
            };
            let ages = ages_in_grade(view.class.grade);
            for _ in 0..sizes.gen_range(CLASS_SIZES) {
                create_child(conn, &op, key, &mut generator, at, &ages)?;
                total += 1;
            }
        }
    }
    Ok(total)
}

/// Ages (周岁) of pupils in `grade` during the school year: a first-year pupil starts at six and
/// turns seven; 小班 (-2) holds three- and four-year-olds.
pub(crate) fn ages_in_grade(grade: i32) -> RangeInclusive<u32> {
    let youngest = u32::try_from(5 + grade).unwrap_or(3).max(3);
    youngest..=youngest + 1
}

/// Where a school's pupils live: the villages (or communities) of its township in the region
/// table, or the township itself when none are known.
pub(crate) fn villages_near(conn: &mut Conn, region: &RegionCode) -> StoreResult<Vec<RegionCode>> {
    let prefix = region.as_str().get(..9).unwrap_or(region.as_str());
    let township = code(prefix)?;
    let mut villages: Vec<RegionCode> = regions::gazetteer_children(conn, &township)?
        .into_iter()
        .filter(|r| r.level == RegionLevel::Village.code())
        .filter_map(|r| RegionCode::parse(&r.code).ok())
        .collect();
    if villages.is_empty() {
        villages.push(township);
    }
    Ok(villages)
}

/// Draws files until one is not already on record and creates it; returns its id and how many
/// files were drawn. Generators seeded apart may issue the same ID number, which the store's
/// duplicate check refuses.
pub(crate) fn create_child(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    generator: &mut Generator,
    at: Placement,
    ages: &RangeInclusive<u32>,
) -> StoreResult<(i64, usize)> {
    const TRIES: usize = 20;
    for draws in 1..=TRIES {
        let file = generator.child_aged(ages.clone());
        match children::create(conn, scope, key, at, &file, None) {
            Ok(record) => return Ok((record.summary.id, draws)),
            Err(StoreError::ChildExists { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Seed(format!(
        "no new synthetic child for school {} after {TRIES} draws",
        at.school_id
    )))
}

/// The demo accounts' user names, for tests and the printed list.
pub fn usernames() -> impl Iterator<Item = &'static str> {
    USERS.iter().map(|u| u.username)
}

pub(crate) fn grades_of(kind: SchoolKind) -> Vec<Grade> {
    (-2..=12)
        .filter_map(|n| Grade::new(n).ok())
        .filter(|g| kind.teaches(*g))
        .collect()
}

fn conn_load(conn: &mut Conn, hash: &str) -> StoreResult<()> {
    let op = Scope::local_operator();
    shouhu_store::transaction(conn, |conn| {
        for (c, name) in VILLAGES {
            regions::create(
                conn,
                &op,
                NewRegion {
                    code: code(c)?,
                    name: name.to_owned(),
                },
            )?;
        }
        let year = SchoolYear::containing(today_shanghai());
        let mut school_ids = Vec::new();
        for (c, name, region, kind, boarding) in SCHOOLS {
            let input = SchoolInput {
                code: c.to_owned(),
                name: name.to_owned(),
                region: code(region)?,
                kind,
                boarding,
                hotline: None,
                address: None,
            };
            let school = schools::create(conn, &op, &input)?;
            for grade in grades_of(kind).into_iter().take(6) {
                for n in 1..=2 {
                    let class = ClassInput {
                        school_id: school.id,
                        school_year: year,
                        grade,
                        name: format!("{grade}（{n}）班"),
                        head_teachers: vec![],
                    };
                    classes::create(conn, &op, &class)?;
                }
            }
            school_ids.push(school.id);
        }
        for u in &USERS {
            let school_id = u.school.map(|i| school_ids[i]);
            let region = if u.region.is_empty() {
                code(SCHOOLS[u.school.unwrap_or(0)].2)?
            } else {
                code(u.region)?
            };
            let input = UserInput {
                username: u.username.to_owned(),
                display_name: u.name.to_owned(),
                role: u.role,
                region,
                school_id,
            };
            let user = users::create(conn, &op, input, hash)?;
            if u.role == Role::HeadTeacher {
                let first = classes::list(conn, &op, school_ids[3])?;
                if let Some(view) = first.into_iter().find(|c| c.class.grade == 1) {
                    let input = ClassInput {
                        school_id: view.class.school_id,
                        school_year: year,
                        grade: Grade::parse("1")
                            .map_err(|e| shouhu_store::StoreError::Seed(e.to_string()))?,
                        name: view.class.name.clone(),
                        head_teachers: vec![user.id],
                    };
                    classes::update(conn, &op, view.class.id, view.class.version, &input)?;
                }
            }
        }
        Ok(())
    })
}

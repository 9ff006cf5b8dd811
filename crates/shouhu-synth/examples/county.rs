//! Generates a county's worth of children, reports the rate and the shares that matter, and
//! shows a few files to read: `cargo run --release -p shouhu-synth --example county [N] [SEED]`.

use std::time::Instant;

use chrono::NaiveDate;
use shouhu_domain::{
    CareArrangement, ChildFile, GuardianshipRating, HealthKind, HukouType, LeftBehind, RegionCode,
    Sex, XuejiLeftBehind,
};
use shouhu_synth::{Generator, Setting};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(300_000), |s| s.parse())?;
    let seed: u64 = args.next().map_or(Ok(2026), |s| s.parse())?;
    let villages = [
        "520502101205",
        "520502101206",
        "520502102200",
        "520502102203",
        "520502001003",
        "520502103201",
        "520502200204",
        "520502201210",
    ]
    .into_iter()
    .map(RegionCode::parse)
    .collect::<Result<Vec<_>, _>>()?;
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).ok_or("date")?;
    let mut g = Generator::new(seed, Setting { villages, today });

    let start = Instant::now();
    let files: Vec<ChildFile> = (0..n).map(|_| g.child()).collect();
    let took = start.elapsed();
    println!(
        "{n} children in {:.2} s: {:.0} per second",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );

    let share = |what: &str, pred: &dyn Fn(&ChildFile) -> bool| {
        let k = files.iter().filter(|f| pred(f)).count();
        println!("  {what:<24} {:>5.1}%", k as f64 * 100.0 / n as f64);
    };
    let lb = |f: &ChildFile| LeftBehind::of(&f.facts(true), today);
    share("民政 left-behind", &|f| lb(f).mca);
    share("学籍 both parents", &|f| {
        lb(f).xueji == XuejiLeftBehind::BothParents
    });
    share("学籍 one parent", &|f| {
        lb(f).xueji == XuejiLeftBehind::OneParent
    });
    share("统计 left-behind", &|f| lb(f).census);
    share("male", &|f| f.sex == Sex::Male);
    share("农业 hukou", &|f| {
        f.hukou_type == Some(HukouType::Agricultural)
    });
    share("non-Han", &|f| f.ethnicity != shouhu_domain::Ethnicity::Han);
    share("name outside the BMP", &|f| {
        f.name.as_str().chars().any(|c| u32::from(c) > 0xFFFF)
    });
    share("name with ·", &|f| f.name.as_str().contains('·'));
    share("disabled", &|f| f.health.kind() == HealthKind::Disabled);
    share("ill", &|f| f.health.kind() == HealthKind::Ill);
    share("any hardship tag", &|f| !f.active_tags(today).is_empty());
    share("key child", &|f| f.key_child.is_some());
    for care in CareArrangement::ALL {
        share(care.label_zh(), &|f| f.care_arrangement == Some(care));
    }
    for rating in GuardianshipRating::ALL {
        share(rating.label_zh(), &|f| f.rating == Some(rating));
    }
    share("entrustment", &|f| f.entrustment.is_some());
    share("incomplete", &|f| f.completeness() < 100);
    let mean = files
        .iter()
        .map(|f| f64::from(f.completeness()))
        .sum::<f64>()
        / n as f64;
    println!("  mean completeness        {mean:>5.1}%");

    println!();
    for f in files.iter().take(30) {
        println!("{}", line(f, today));
    }
    Ok(())
}

/// One roster line, to read the files the way a county official would.
fn line(f: &ChildFile, today: NaiveDate) -> String {
    let parent = |p: &Option<shouhu_domain::Parent>| {
        let Some(p) = p else { return "-".to_owned() };
        let name = p.name.as_ref().map_or("?".to_owned(), |n| n.to_string());
        let state = match (&p.away, p.cannot_guard) {
            (_, Some(r)) => r.label_zh().to_owned(),
            (Some(w), None) => {
                let employer = w
                    .employer
                    .as_ref()
                    .map_or(String::new(), |e| format!(" {e}"));
                format!("{}{employer}", p.work_place())
            }
            (None, None) => "在家".to_owned(),
        };
        format!("{name}({state})")
    };
    let carer = f
        .carer()
        .map_or("无".to_owned(), |(name, relation, phone)| {
            let phone = phone.map_or("无电话".to_owned(), |p| p.to_string());
            format!("{relation}{name} {phone}")
        });
    let tags: Vec<_> = f.active_tags(today).iter().map(|t| t.label_zh()).collect();
    format!(
        "{} {} {} {}岁 {} | 父 {} 母 {} | {} {} {} | {} {}",
        f.name,
        if f.sex == Sex::Male { "男" } else { "女" },
        f.ethnicity.label_zh(),
        shouhu_domain::age_on(f.birth_date, today),
        f.address.as_ref().map_or("", |a| a.as_str()),
        parent(&f.father),
        parent(&f.mother),
        carer,
        f.care_arrangement.map_or("", |c| c.label_zh()),
        f.rating.map_or("", |r| r.label_zh()),
        tags.join("、"),
        f.key_child.as_ref().map_or("", |k| k.reason.as_str()),
    )
}

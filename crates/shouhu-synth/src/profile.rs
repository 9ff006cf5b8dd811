//! The "五个清楚" profile in the words teachers use: personality, hobbies, strengths.

use rand::Rng;
use rand::rngs::StdRng;

use crate::pick::one;

const PERSONALITIES: &[&str] = &[
    "内向",
    "开朗",
    "活泼",
    "文静",
    "倔强",
    "懂事",
    "胆小",
    "好动",
    "腼腆",
    "乐观",
    "敏感",
    "独立",
    "沉默寡言",
    "爱笑",
    "有礼貌",
    "自尊心强",
    "较孤僻",
    "热心",
];
const HOBBIES: &[&str] = &[
    "画画",
    "打篮球",
    "唱歌",
    "看书",
    "跳绳",
    "踢足球",
    "跳舞",
    "下象棋",
    "做手工",
    "打乒乓球",
    "写毛笔字",
    "跑步",
    "放风筝",
    "看动画片",
    "玩手机游戏",
    "养小动物",
    "踢毽子",
    "讲故事",
];
const STRENGTHS: &[&str] = &[
    "数学",
    "语文",
    "英语",
    "作文",
    "书法",
    "画画",
    "体育",
    "唱歌",
    "跑步",
    "劳动积极",
    "乐于助人",
    "记忆力好",
    "动手能力强",
    "手工",
    "朗读",
    "会做家务",
    "照顾弟妹",
];

/// One to `most` different entries joined with 、, as teachers list them.
fn some(rng: &mut StdRng, list: &[&'static str], most: usize) -> String {
    let n = rng.gen_range(1..=most);
    let mut picked: Vec<&str> = Vec::with_capacity(n);
    while picked.len() < n {
        let item = one(rng, list);
        if !picked.contains(&item) {
            picked.push(item);
        }
    }
    picked.join("、")
}

pub(crate) fn personality(rng: &mut StdRng) -> String {
    some(rng, PERSONALITIES, 2)
}

pub(crate) fn hobbies(rng: &mut StdRng) -> String {
    some(rng, HOBBIES, 3)
}

pub(crate) fn strengths(rng: &mut StdRng) -> String {
    some(rng, STRENGTHS, 2)
}

#[cfg(test)]
pub(crate) fn all_strings() -> Vec<&'static str> {
    [PERSONALITIES, HOBBIES, STRENGTHS]
        .into_iter()
        .flatten()
        .copied()
        .collect()
}

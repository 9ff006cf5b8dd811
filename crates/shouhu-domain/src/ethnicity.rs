//! 民族: the 56 ethnic groups and two residual classes of GB 3304-91, with their two-digit codes.

use crate::ChildFactError;

choice! {
    /// Declared in GB 3304 order, so `gb_code` is the position. Codes are the standard's own
    /// romanised names (`zang`, `chosen`, `man`), which stay fixed while English names vary.
    pub enum Ethnicity: "ethnicity", ChildFactError::Ethnicity {
        Han = "han", "汉族", ["汉", "01", "1"];
        Mongol = "mongol", "蒙古族", ["蒙古", "02", "2", "蒙族"];
        Hui = "hui", "回族", ["回", "03", "3"];
        Tibetan = "zang", "藏族", ["藏", "04", "4"];
        Uyghur = "uygur", "维吾尔族", ["维吾尔", "05", "5", "维族"];
        Miao = "miao", "苗族", ["苗", "06", "6"];
        Yi = "yi", "彝族", ["彝", "07", "7"];
        Zhuang = "zhuang", "壮族", ["壮", "08", "8"];
        Bouyei = "buyei", "布依族", ["布依", "09", "9"];
        Korean = "chosen", "朝鲜族", ["朝鲜", "10"];
        Manchu = "man", "满族", ["满", "11"];
        Dong = "dong", "侗族", ["侗", "12"];
        Yao = "yao", "瑶族", ["瑶", "13"];
        Bai = "bai", "白族", ["白", "14"];
        Tujia = "tujia", "土家族", ["土家", "15"];
        Hani = "hani", "哈尼族", ["哈尼", "16"];
        Kazakh = "kazak", "哈萨克族", ["哈萨克", "17"];
        Dai = "dai", "傣族", ["傣", "18"];
        Li = "li", "黎族", ["黎", "19"];
        Lisu = "lisu", "傈僳族", ["傈僳", "20"];
        Va = "va", "佤族", ["佤", "21"];
        She = "she", "畲族", ["畲", "22"];
        Gaoshan = "gaoshan", "高山族", ["高山", "23"];
        Lahu = "lahu", "拉祜族", ["拉祜", "24"];
        Shui = "sui", "水族", ["水", "25"];
        Dongxiang = "dongxiang", "东乡族", ["东乡", "26"];
        Naxi = "naxi", "纳西族", ["纳西", "27"];
        Jingpo = "jingpo", "景颇族", ["景颇", "28"];
        Kyrgyz = "kirgiz", "柯尔克孜族", ["柯尔克孜", "29"];
        Tu = "tu", "土族", ["土", "30"];
        Daur = "daur", "达斡尔族", ["达斡尔", "31"];
        Mulao = "mulao", "仫佬族", ["仫佬", "32"];
        Qiang = "qiang", "羌族", ["羌", "33"];
        Blang = "blang", "布朗族", ["布朗", "34"];
        Salar = "salar", "撒拉族", ["撒拉", "35"];
        Maonan = "maonan", "毛南族", ["毛南", "36"];
        Gelao = "gelao", "仡佬族", ["仡佬", "37"];
        Xibe = "xibe", "锡伯族", ["锡伯", "38"];
        Achang = "achang", "阿昌族", ["阿昌", "39"];
        Pumi = "pumi", "普米族", ["普米", "40"];
        Tajik = "tajik", "塔吉克族", ["塔吉克", "41"];
        Nu = "nu", "怒族", ["怒", "42"];
        Uzbek = "uzbek", "乌孜别克族", ["乌孜别克", "43"];
        Russian = "russ", "俄罗斯族", ["俄罗斯", "44"];
        Evenki = "ewenki", "鄂温克族", ["鄂温克", "45"];
        Deang = "deang", "德昂族", ["德昂", "46"];
        Bonan = "bonan", "保安族", ["保安", "47"];
        Yugur = "yugur", "裕固族", ["裕固", "48"];
        Gin = "gin", "京族", ["京", "49"];
        Tatar = "tatar", "塔塔尔族", ["塔塔尔", "50"];
        Derung = "derung", "独龙族", ["独龙", "51"];
        Oroqen = "oroqen", "鄂伦春族", ["鄂伦春", "52"];
        Hezhen = "hezhen", "赫哲族", ["赫哲", "53"];
        Monba = "monba", "门巴族", ["门巴", "54"];
        Lhoba = "lhoba", "珞巴族", ["珞巴", "55"];
        Jino = "jino", "基诺族", ["基诺", "56"];
        /// 97: includes groups not yet recognised, such as 穿青人 in 毕节.
        Other = "other", "其他", ["其它", "97", "未识别民族", "穿青人"];
        /// 98: naturalised citizens of foreign descent.
        ForeignOrigin = "foreign_origin", "外国血统中国籍人士",
            ["外国血统", "外国血统中国籍", "外国血统中国籍人", "98"];
    }
}

impl Ethnicity {
    /// The GB 3304 code: 1 (汉族) to 56 (基诺族), then 97 and 98. Written with two digits.
    pub fn gb_code(self) -> u8 {
        match self {
            Ethnicity::Other => 97,
            Ethnicity::ForeignOrigin => 98,
            listed => listed as u8 + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        check_choice!(Ethnicity: "ethnicity");
        assert_eq!(Ethnicity::ALL.len(), 58);
        for (i, e) in Ethnicity::ALL.into_iter().enumerate() {
            let gb = e.gb_code();
            if i < 56 {
                assert_eq!(usize::from(gb), i + 1);
            }
            assert_eq!(Ethnicity::parse(&format!("{gb:02}")), Ok(e), "{gb}");
            // Spreadsheets drop the leading zero.
            assert_eq!(Ethnicity::parse(&gb.to_string()), Ok(e), "{gb}");
            assert_eq!(Ethnicity::parse(e.code()), Ok(e));
            assert_eq!(Ethnicity::parse(e.label_zh()), Ok(e));
            if let Some(bare) = e.label_zh().strip_suffix('族') {
                assert_eq!(Ethnicity::parse(bare), Ok(e), "{bare}");
            }
            assert_eq!(e.label_key(), format!("ethnicity.{}", e.code()));
        }
        let ends = (Ethnicity::ALL[0], Ethnicity::ALL[55]);
        assert_eq!((ends.0.label_zh(), ends.1.label_zh()), ("汉族", "基诺族"));
        assert_eq!(Ethnicity::parse(" 苗 族 "), Ok(Ethnicity::Miao));
        assert_eq!(Ethnicity::parse("Han"), Ok(Ethnicity::Han));
        assert_eq!(Ethnicity::parse("维族"), Ok(Ethnicity::Uyghur));
        assert_eq!(Ethnicity::parse("穿青人"), Ok(Ethnicity::Other));
        assert_eq!(Ethnicity::Other.gb_code(), 97);
        assert_eq!(Ethnicity::ForeignOrigin.gb_code(), 98);
        for s in ["", "57", "0", "00", "99", "火星族", "族"] {
            assert_eq!(Ethnicity::parse(s), Err(ChildFactError::Ethnicity), "{s:?}");
        }
    }
}

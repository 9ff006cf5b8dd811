//! The 劝返通知书 template: county-editable text with named blanks filled per case.

use super::DropoutError;

/// The blanks a template may use, written `{姓名}` in the text.
pub const NOTICE_FIELDS: [&str; 8] = [
    "监护人",
    "姓名",
    "学校",
    "年级班级",
    "离校日期",
    "返校期限",
    "联系人",
    "通知日期",
];

const MAX_CHARS: usize = 4000;

/// A checked template: every `{…}` names one of [`NOTICE_FIELDS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeTemplate(String);

pub fn default_notice_template() -> NoticeTemplate {
    NoticeTemplate(
        "{监护人}：\n\
         您的子女（被监护人）{姓名}，系{学校}{年级班级}学生，自{离校日期}起未到校上课。\
         根据《中华人民共和国义务教育法》第五条、第十一条和《中华人民共和国未成年人保护法》第十六条，\
         父母或者其他监护人应当保证适龄儿童、少年按时入学并完成义务教育。\n\
         请您于{返校期限}前送子女返校就读。如有困难，请与学校联系，学校将帮助解决。\
         逾期不返校的，将依法报请乡镇人民政府和县教育行政部门处理。\n\
         学校联系人：{联系人}\n\
         {通知日期}"
            .to_owned(),
    )
}

impl NoticeTemplate {
    pub fn parse(text: &str) -> Result<NoticeTemplate, DropoutError> {
        let text = text.trim().replace("\r\n", "\n");
        let chars = text.chars().count();
        if chars == 0 || chars > MAX_CHARS {
            return Err(DropoutError::TemplateLength);
        }
        let template = NoticeTemplate(text);
        template.fill(|_| Some(String::new()))?;
        Ok(template)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text with each blank replaced by `value(name)`; a blank it cannot fill, or an
    /// unclosed brace, is an error.
    pub fn fill(&self, value: impl Fn(&str) -> Option<String>) -> Result<String, DropoutError> {
        let mut out = String::with_capacity(self.0.len());
        let mut rest = self.0.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after.find('}').ok_or(DropoutError::Placeholder)?;
            let name = &after[..close];
            if !NOTICE_FIELDS.contains(&name) {
                return Err(DropoutError::Placeholder);
            }
            out.push_str(&value(name).ok_or(DropoutError::Placeholder)?);
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err(DropoutError::Placeholder);
        }
        out.push_str(rest);
        Ok(out)
    }
}

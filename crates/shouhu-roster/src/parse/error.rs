//! What can be wrong with a cell or a row, in Chinese, each with a stable code for translation.

use shouhu_domain::{
    ChildFactError, ChildFileError, IdCardError, PersonNameError, PhoneError, RegionCodeError,
    SchoolError, SexError,
};

/// A problem with one cell: the domain's own errors, and those only a roster can have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    #[error(transparent)]
    Name(#[from] PersonNameError),
    #[error(transparent)]
    Sex(#[from] SexError),
    #[error(transparent)]
    Id(#[from] IdCardError),
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error(transparent)]
    Region(#[from] RegionCodeError),
    #[error(transparent)]
    School(#[from] SchoolError),
    #[error(transparent)]
    Fact(#[from] ChildFactError),
    #[error(transparent)]
    File(#[from] ChildFileError),
    #[error("请填写{0}")]
    Required(&'static str),
    #[error("无法识别的日期，应写作 2015-03-01 或 2015年3月1日")]
    Date,
    #[error("日期不存在（该月没有这一天）")]
    NoSuchDay,
    #[error("出生日期晚于今天")]
    FutureBirthDate,
    #[error("出生日期只写了年月，请写到日")]
    MonthOnly,
    #[error("身份证号存成了数字，末几位已经丢失：请把这一列设为文本后重新填写")]
    IdAsNumber,
    #[error("应填“是”或“否”")]
    YesNo,
    #[error("残疾请写明类别和等级，如“肢体残疾二级”")]
    HealthDetail,
    #[error("填写了委托监护人的关系或电话，请同时填写委托监护人姓名")]
    EntrustedName,
    #[error("请填写委托监护人与儿童的关系")]
    EntrustedRelation,
    #[error("身份证号与第 {0} 行重复")]
    DuplicateId(u32),
    // Warnings: the row is still taken.
    #[error("未填，已按身份证号取“{0}”")]
    FromId(String),
    #[error("表中为“{stated}”，按父母外出情况应为“{derived}”")]
    LeftBehindDisagrees { stated: String, derived: String },
    #[error("无法识别，已忽略（留守情况由系统按父母外出情况计算）")]
    LeftBehindUnread,
    #[error("父母双方同时外出填的是“否”，但父亲和母亲都填了务工地点")]
    BothAwayDisagrees,
}

impl RowError {
    pub fn code(&self) -> &'static str {
        match self {
            RowError::Name(e) => e.code(),
            RowError::Sex(e) => e.code(),
            RowError::Id(e) => e.code(),
            RowError::Phone(e) => e.code(),
            RowError::Region(e) => e.code(),
            RowError::School(e) => e.code(),
            RowError::Fact(e) => e.code(),
            RowError::File(e) => e.code(),
            RowError::Required(_) => "roster.required",
            RowError::Date => "roster.date",
            RowError::NoSuchDay => "roster.no_such_day",
            RowError::FutureBirthDate => "roster.future_birth_date",
            RowError::MonthOnly => "roster.month_only",
            RowError::IdAsNumber => "roster.id_as_number",
            RowError::YesNo => "roster.yes_no",
            RowError::HealthDetail => "roster.health_detail",
            RowError::EntrustedName => "roster.entrusted_name",
            RowError::EntrustedRelation => "roster.entrusted_relation",
            RowError::DuplicateId(_) => "roster.duplicate_id",
            RowError::FromId(_) => "roster.from_id",
            RowError::LeftBehindDisagrees { .. } => "roster.left_behind_disagrees",
            RowError::LeftBehindUnread => "roster.left_behind_unread",
            RowError::BothAwayDisagrees => "roster.both_away_disagrees",
        }
    }
}

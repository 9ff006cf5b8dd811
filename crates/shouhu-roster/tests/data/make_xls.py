"""Writes registration-form.xls: a 2016 登记表-style .xls (BIFF8) with a merged title, a 填报单位
line and a two-row header (父亲 and 母亲 merged over their sub-columns). Needs xlwt:
python3 -m venv /tmp/v && /tmp/v/bin/pip install xlwt && /tmp/v/bin/python make_xls.py"""
import datetime
import xlwt

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_no(first17):
    return first17 + "10X98765432"[sum(int(a) * w for a, w in zip(first17, W)) % 11]


book = xlwt.Workbook(encoding="utf-8")
sheet = book.add_sheet("登记表")
date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
sheet.write_merge(0, 0, 0, 11, "农村留守儿童信息登记表")
sheet.write(1, 0, "填报单位：梨树镇中心小学")
top = ["序号", "姓名", "性别", "民族", "出生日期", "身份证号", "父亲", "", "", "母亲", "", "年级"]
sub = ["", "", "", "", "", "", "姓名", "务工地点", "联系电话", "姓名", "务工地点", ""]
for c, (t, s) in enumerate(zip(top, sub)):
    if t in ("父亲", "母亲"):
        sheet.write_merge(2, 2, c, c + 2 if t == "父亲" else c + 1, t)
    elif t:
        sheet.write_merge(2, 3, c, c, t)
    if s:
        sheet.write(3, c, s)
rows = [
    ["1", "吴𠮷", "男", "苗族", datetime.date(2015, 3, 1), id_no("52050220150301123"),
     "吴大山", "广东东莞", 13812345678, "龙阿妹", "浙江省义乌市", "三年级"],
    ["2", "阿依·木合", "女", "彝族", "2016年5月2日", id_no("52052620160502224"),
     "", "", "", "王芳", "福建泉州", "二年级"],
    ["3", "张三", "女", "汉族", datetime.date(2014, 1, 1), id_no("52050220150301133"),
     "", "", "", "", "", "四年级"],
]
for r, row in enumerate(rows, start=4):
    for c, v in enumerate(row):
        sheet.write(r, c, v, date if isinstance(v, datetime.date) else xlwt.Style.default_style)
sheet.write(8, 0, "填表人：李老师")
book.save("registration-form.xls")

"""Rebuilds ShouhuRareHan.ttf, the fallback for Han characters Noto Sans CJK SC lacks.

Needs fontTools (pip install fonttools) and the two Debian packages unpacked:
  apt-get download fonts-noto-cjk fonts-hanazono && dpkg-deb -x <each>.deb root/
  python3 make-rare-han.py root/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
      root/usr/share/fonts/truetype/hanazono/HanaMinA.ttf ShouhuRareHan.ttf
Only HanaMinA's Han characters absent from the primary font are kept, so the
fallback stays under 1 MB instead of the 22 MB of the whole font.
"""

import sys

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

NOTO_SC_FACE = 2


def is_han(c):
    return (
        0x2E80 <= c <= 0x2FDF
        or 0x3400 <= c <= 0x4DBF
        or 0x4E00 <= c <= 0x9FFF
        or 0xF900 <= c <= 0xFAFF
        or 0x20000 <= c <= 0x3134F
    )


def main(noto_path, hana_path, out_path):
    primary = TTCollection(noto_path, lazy=True).fonts[NOTO_SC_FACE].getBestCmap()
    hana = TTFont(hana_path, lazy=True).getBestCmap()
    wanted = sorted(c for c in hana if is_han(c) and c not in primary)
    opts = subset.Options()
    opts.layout_features = []
    opts.hinting = False
    opts.name_IDs = []
    opts.notdef_outline = True
    font = TTFont(hana_path)
    subsetter = subset.Subsetter(opts)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    # A new family name, so the subset is never mistaken for the whole HanaMinA.
    family = "Shouhu Rare Han"
    names = {
        0: "Copyright 2008-2017 GlyphWiki Project. Subset made for Shouhu.",
        1: family,
        2: "Regular",
        3: "ShouhuRareHan-Regular;subset of HanaMinA 2017-09-04",
        4: family,
        5: "Version 1.0; subset of HanaMinA",
        6: "ShouhuRareHan-Regular",
        13: "Hanazono Font License (see HANAZONO-LICENSE.txt)",
    }
    for name_id, value in names.items():
        font["name"].setName(value, name_id, 3, 1, 0x409)
    font.save(out_path)
    print(f"{len(wanted)} characters -> {out_path}")


if __name__ == "__main__":
    main(*sys.argv[1:4])

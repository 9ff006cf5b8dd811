-- Initials are searched inside a pinyin range; with them in the index no row is read to test them.
CREATE INDEX children_pinyin_initials ON children (name_pinyin, id, name_initials);
